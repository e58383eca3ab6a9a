// Builds the arguments of one NFSv4.1 COMPOUND call (COMPOUND4args: tag, minor version 1, the
// operations in order), one method per operation, for RpcConnection::call(kNfsProc4Compound).
// Pure encoding: what to put in a COMPOUND (SEQUENCE first, slots, stateids) is the session
// layer's business. Layouts follow RFC 8881 section 18 (XDR of RFC 5662).
// A WRITE's data is not copied into the arguments: finish_request() leaves it where it is, for
// the connection to send in its place (a COMPOUND goes on after it: GETATTR).
// Thread-safety: none; one per request. finish() hands the bytes over and ends the builder's use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nfs/rpc/rpc_message.h"
#include "nfs/rpc/rpc_transport.h"
#include "nfs/rpc/xdr.h"
#include "nfs/types.h"
#include "nfs/v4/attr_mask.h"
#include "nfs/v4/fattr4_codec.h"
#include "nfs/v4/nfs4_types.h"

namespace nfsfuse::nfs::v4 {

// open_owner4: whose open this is. `owner` is ours to choose, up to 1024 bytes.
struct OpenOwner {
    uint64_t clientid = 0;
    std::string owner;
};

// lock_owner4 has the same shape (state_owner4): our client id and a name of our choosing.
using LockOwner4 = OpenOwner;

// How an OPEN creates its file (openflag4 with OPEN4_CREATE). `verifier` is for exclusive4_1 and
// exclusive4 only; exclusive4 (NFSv4.0's) sends no attributes.
struct OpenCreate {
    CreateMode mode = CreateMode::unchecked;
    AttributesToSet attributes;
    uint64_t verifier = 0;
};

// COMPOUND4args with a WRITE's data left out of `bytes`: it goes at `payload_at` (after the
// opaque's length, before its padding). `payload` views the caller's data, which must outlive
// the call.
struct CompoundRequest {
    std::string bytes;
    size_t payload_at = 0;
    std::string_view payload;
    // Views into `bytes`: valid while this is, unmoved.
    SplicedArguments arguments() const;
};

class CompoundBuilder {
  public:
    // `tag` is echoed by the server; we use it to name the request in logs.
    explicit CompoundBuilder(std::string tag);

    CompoundBuilder& sequence(const SessionId& session, uint32_t sequenceid, uint32_t slotid,
                              uint32_t highest_slotid, bool cachethis);
    CompoundBuilder& putfh(const FileHandle& handle);
    CompoundBuilder& putrootfh();
    CompoundBuilder& getfh();
    CompoundBuilder& savefh();
    CompoundBuilder& restorefh();
    CompoundBuilder& lookup(std::string_view name);
    CompoundBuilder& lookupp();
    CompoundBuilder& getattr(const AttrMask& request);
    CompoundBuilder& setattr(const Stateid& stateid, const AttributesToSet& attributes);
    // VERIFY that the current object is of `type`: the COMPOUND stops with NFS4ERR_NOT_SAME
    // when it is not (RFC 8881 section 18.31).
    CompoundBuilder& verify_type(Ftype4 type);
    // `bits`: nfs::AccessBits (the same values as ACCESS4_*).
    CompoundBuilder& access(uint32_t bits);
    CompoundBuilder& read(const Stateid& stateid, uint64_t offset, uint32_t count);
    CompoundBuilder& write(const Stateid& stateid, uint64_t offset, StableHow stable,
                           std::string_view data);
    CompoundBuilder& commit(uint64_t offset, uint32_t count);

    // OPEN with CLAIM_NULL: `name` in the current directory, created when `create` is given.
    // `share_access`/`share_deny`: open4_share_access / open4_share_deny values (share_access
    // may include open4_share_access::want_no_deleg).
    CompoundBuilder& open(const OpenOwner& owner, uint32_t share_access, uint32_t share_deny,
                          std::string_view name, const std::optional<OpenCreate>& create);
    // OPEN with CLAIM_FH: the current filehandle, an existing file.
    CompoundBuilder& open_current(const OpenOwner& owner, uint32_t share_access,
                                  uint32_t share_deny);
    // OPEN with CLAIM_PREVIOUS: reclaims, in the server's grace period after it restarted, an
    // open of the current filehandle we held before (no delegation).
    CompoundBuilder& open_previous(const OpenOwner& owner, uint32_t share_access,
                                   uint32_t share_deny);
    CompoundBuilder& close(const Stateid& stateid);

    // Byte-range locks of the current filehandle. `length`: NFS's, all ones up to the end.
    // LOCK for a lock-owner with no state on the file yet (open_to_lock_owner4): its lock state
    // grows from `open_stateid`. `reclaim`: a lock held before the server restarted.
    CompoundBuilder& lock_new_owner(LockType4 type, bool reclaim, uint64_t offset, uint64_t length,
                                    const Stateid& open_stateid, const LockOwner4& owner);
    // LOCK under the lock-owner's lock stateid (exist_lock_owner4).
    CompoundBuilder& lock_existing_owner(LockType4 type, bool reclaim, uint64_t offset,
                                         uint64_t length, const Stateid& lock_stateid);
    CompoundBuilder& locku(LockType4 type, const Stateid& lock_stateid, uint64_t offset,
                           uint64_t length);
    // Which lock would stand in the way of `owner`'s; takes none.
    CompoundBuilder& lockt(LockType4 type, uint64_t offset, uint64_t length,
                           const LockOwner4& owner);
    // Ends a lock stateid that holds no locks (or any stateid the server should forget).
    CompoundBuilder& free_stateid(const Stateid& stateid);

    CompoundBuilder& create_directory(std::string_view name, const AttributesToSet& attributes);
    CompoundBuilder& create_symlink(std::string_view name, std::string_view target,
                                    const AttributesToSet& attributes);
    // A fifo or socket; or a block or character device numbered `major`, `minor`.
    // Throws EINVAL for other types (regular files are made by OPEN).
    CompoundBuilder& create_special(Ftype4 type, std::string_view name,
                                    const AttributesToSet& attributes, uint32_t major = 0,
                                    uint32_t minor = 0);
    // SAVED_FH: source directory, CURRENT_FH: target directory.
    CompoundBuilder& rename(std::string_view old_name, std::string_view new_name);
    // SAVED_FH: the file, CURRENT_FH: the directory to add `new_name` to.
    CompoundBuilder& link(std::string_view new_name);
    CompoundBuilder& remove(std::string_view name);
    CompoundBuilder& readlink();
    // `cookieverf`: 0 with cookie 0, else the verifier of the previous READDIR reply.
    CompoundBuilder& readdir(uint64_t cookie, uint64_t cookieverf, uint32_t dircount,
                             uint32_t maxcount, const AttrMask& request);

    // Client owner {verifier, owner id}; state protection SP4_NONE; no implementation id.
    // `flags`: exchgid4_flag values.
    CompoundBuilder& exchange_id(uint64_t verifier, std::string_view owner_id, uint32_t flags);
    // `callback_credentials`: AUTH_SYS parameters for the server's callbacks, or AUTH_NONE when
    // empty. `flags`: create_session4_flag values.
    CompoundBuilder& create_session(uint64_t clientid, uint32_t sequence, uint32_t flags,
                                    const ChannelAttrs& fore, const ChannelAttrs& back,
                                    uint32_t cb_program,
                                    const std::optional<AuthSys>& callback_credentials);
    CompoundBuilder& destroy_session(const SessionId& session);
    // `direction`: channel_dir_from_client4; never in RDMA mode.
    CompoundBuilder& bind_conn_to_session(const SessionId& session, uint32_t direction);
    // rca_one_fs false: reclaim is complete for every filesystem.
    CompoundBuilder& reclaim_complete();
    CompoundBuilder& destroy_clientid(uint64_t clientid);

    size_t operation_count() const { return count_; }
    // The COMPOUND4args bytes, a WRITE's data copied in place.
    std::string finish();
    // The same with the WRITE's data left where it is.
    CompoundRequest finish_request();

  private:
    void begin(Op op);
    void put_stateid(const Stateid& stateid);
    void open_head(const OpenOwner& owner, uint32_t share_access, uint32_t share_deny);
    void lock_head(LockType4 type, bool reclaim, uint64_t offset, uint64_t length);
    void put_state_owner(const OpenOwner& owner);

    XdrEncoder out_;
    size_t count_position_;
    uint32_t count_ = 0;
    // The first WRITE's data and where it goes in out_ (a second one is copied in).
    std::optional<size_t> payload_at_;
    std::string_view payload_;
};

}  // namespace nfsfuse::nfs::v4
