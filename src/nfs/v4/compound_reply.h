// Reads the results of one NFSv4.1 COMPOUND (COMPOUND4res: status, tag, then one result per
// operation that ran), in the order the operations were sent, one typed reader per operation.
// Each reader checks that the next result is of the operation it reads and that it succeeded:
// a failed operation throws Nfs4Error (errno, "LOOKUP: server said NFS4ERR_NOENT", and the
// nfsstat4 for the session layer). The server stops at the first failure, so that result is the
// last; reading past the last result throws the COMPOUND's status. A malformed or truncated
// reply throws nfsfuse::Error(EIO) naming the field.
// Thread-safety: none. Does not own the reply bytes: they must outlive the reader and the views
// it returns (ReadReply::data), unless whoever keeps them is given (`owner`), whom a READ's data
// then names so that it may outlive the reader.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/rpc/xdr.h"
#include "nfs/types.h"
#include "nfs/v4/attr_mask.h"
#include "nfs/v4/fattr4_codec.h"
#include "nfs/v4/nfs4_constants.h"
#include "nfs/v4/nfs4_types.h"

namespace nfsfuse::nfs::v4 {

struct SequenceReply {
    SessionId sessionid{};
    uint32_t sequenceid = 0;
    uint32_t slotid = 0;
    uint32_t highest_slotid = 0;
    uint32_t target_highest_slotid = 0;
    uint32_t status_flags = 0;  // seq4_status values
};

struct ReadReply {
    bool eof = false;
    std::string_view data;  // into the reply bytes
    // Keeps the reply bytes alive (CompoundReply's owner), or empty: the bytes live only as long
    // as the caller of CompoundReply keeps them.
    std::shared_ptr<const void> owner;
};

struct WriteReply {
    uint32_t count = 0;
    StableHow committed = StableHow::unstable;
    uint64_t verifier = 0;
};

// nfsfuse never asks for delegations (the session layer should send
// open4_share_access::want_no_deleg), so a read or write delegation in the reply is refused with
// EIO rather than held without our knowing.
struct OpenReply {
    Stateid stateid;
    ChangeInfo cinfo;                                  // of the directory, for CLAIM_NULL
    uint32_t rflags = 0;                               // open4_result values
    AttrMask attrset;                                  // what a create set
    DelegationType delegation = DelegationType::none;  // none or none_ext
};

// LOCK4denied: the lock in the way of a LOCK or LOCKT, and whose it is (lock_owner4).
struct LockDenied {
    uint64_t offset = 0;
    uint64_t length = 0;  // all ones: to the end of any file
    LockType4 type = LockType4::write;
    uint64_t owner_clientid = 0;
    std::string owner;

    bool operator==(const LockDenied&) const = default;
};

// LOCK's result: the lock stateid it granted under, or (NFS4ERR_DENIED, which is no error to
// the caller) the lock in the way; then nothing was taken.
struct LockReply {
    Stateid stateid;
    std::optional<LockDenied> denied;
};

struct CreateReply {
    ChangeInfo cinfo;
    AttrMask attrset;
};

struct RenameReply {
    ChangeInfo source;
    ChangeInfo target;
};

struct DirectoryEntry4 {
    uint64_t cookie = 0;
    std::string name;
    Fattr4 attributes;
};

struct ReaddirReply {
    uint64_t cookieverf = 0;
    std::vector<DirectoryEntry4> entries;
    bool eof = false;
};

struct AccessReply {
    uint32_t supported = 0;  // which of the asked bits the server could check
    uint32_t access = 0;     // which of those are allowed
};

struct ExchangeIdReply {
    uint64_t clientid = 0;
    uint32_t sequenceid = 0;  // for CREATE_SESSION
    uint32_t flags = 0;       // exchgid4_flag values
    // server_owner4 and server scope: the same values mean the same server (trunking, restarts).
    uint64_t server_owner_minor = 0;
    std::string server_owner_major;
    std::string server_scope;
};

struct CreateSessionReply {
    SessionId sessionid{};
    uint32_t sequence = 0;
    uint32_t flags = 0;  // create_session4_flag values
    ChannelAttrs fore;
    ChannelAttrs back;
};

struct BindConnReply {
    SessionId sessionid{};
    uint32_t direction = 0;  // channel_dir_from_server4
};

class CompoundReply {
  public:
    // Reads status, tag and result count: throws EIO when even those are missing.
    explicit CompoundReply(std::string_view reply, std::shared_ptr<const void> owner = {});

    // The COMPOUND's status: that of the last operation the server ran.
    Nfs4Status status() const { return status_; }
    const std::string& tag() const { return tag_; }
    uint32_t result_count() const { return count_; }
    uint32_t results_read() const { return read_; }

    SequenceReply sequence();
    void putfh();
    void putrootfh();
    void savefh();
    void restorefh();
    void lookup();
    void lookupp();
    FileHandle getfh();
    Fattr4 getattr();
    AttrMask setattr();  // attrsset
    void verify();
    AccessReply access();
    ReadReply read();
    WriteReply write();
    uint64_t commit();  // the write verifier
    OpenReply open();
    Stateid close();
    LockReply lock();
    std::optional<LockDenied> lockt();  // nothing: no lock in the way
    Stateid locku();                    // the lock stateid, moved on
    void free_stateid();
    CreateReply create();
    ChangeInfo remove();
    RenameReply rename();
    ChangeInfo link();
    std::string readlink();
    ReaddirReply readdir();
    ExchangeIdReply exchange_id();
    CreateSessionReply create_session();
    void destroy_session();
    BindConnReply bind_conn_to_session();
    void reclaim_complete();
    void destroy_clientid();

  private:
    // Reads the next result's operation number and status; throws unless it is `op` and OK.
    void expect(Op op);
    // The same, returning the status instead of throwing when it is not OK (for the results
    // that carry data with an error: LOCK and LOCKT's DENIED).
    Nfs4Status expect_any_status(Op op);
    LockDenied decode_lock_denied(const char* what);

    XdrDecoder in_;
    std::shared_ptr<const void> owner_;
    Nfs4Status status_;
    std::string tag_;
    uint32_t count_ = 0;
    uint32_t read_ = 0;
};

}  // namespace nfsfuse::nfs::v4
