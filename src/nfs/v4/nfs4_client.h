// NfsClient over NFSv4.1: every operation is one COMPOUND (or two) under a Session, on file
// handles, with the attributes asked for in the same COMPOUND; paths are never re-walked.
// Data: every open of a file is an OPEN on the server with its own open-owner (OpenStates), and
// READ and WRITE go under one of the file's opens; lost state (a restarted server, an expired
// lease) is reopened by file handle. Owners travel as numbers (owner_names.h).
// Locks: Nfs4Locks. After the server forgot this client (a restart), in its grace period, the
// opens are reclaimed (CLAIM_PREVIOUS), then the locks; what cannot be reclaimed is opened
// again when next used (opens) or lost (locks, see nfs4_locks.h).
// Directory changes report no stamps (NFSv4 change_info is a change attribute, not the NFSv3 wcc
// size/mtime/ctime): the layer above then treats every directory as possibly changed by others.
// Thread-safety: all methods may be called concurrently (the Session is thread-safe).
// Ownership: owns its Session.
#pragma once

#include <memory>
#include <string>

#include "nfs/call_counters.h"
#include "nfs/nfs_client.h"
#include "nfs/v4/nfs4_locks.h"
#include "nfs/v4/open_states.h"
#include "nfs/v4/session.h"

namespace nfsfuse::nfs::v4 {

class Nfs4Client final : public NfsClient {
  public:
    // Sets up the session and finds the export: `export_path` in the server's pseudo filesystem
    // ("/export"), looked up component by component from PUTROOTFH. Throws nfsfuse::Error naming
    // the server and path.
    Nfs4Client(SessionSettings settings, const std::string& export_path);

    // Starts renewing the lease (Session::start_lease_renewal).
    void start() override;

    const FileHandle& root() const override { return root_; }
    uint32_t max_read() const override { return max_read_; }
    uint32_t max_write() const override { return max_write_; }

    Attributes getattr(const CallContext& context, const FileHandle& fh) override;
    Attributes setattr(const CallContext& context, const FileHandle& fh,
                       const SetAttributes& changes) override;
    Entry lookup(const CallContext& context, const FileHandle& dir,
                 const std::string& name) override;
    uint32_t access(const CallContext& context, const FileHandle& fh, uint32_t wanted) override;
    std::string readlink(const CallContext& context, const FileHandle& fh) override;
    ReadResult read(const CallContext& context, const FileHandle& fh, uint64_t offset,
                    uint32_t count) override;
    WriteResult write(const CallContext& context, const FileHandle& fh, uint64_t offset,
                      std::string_view data, Stability stability) override;
    uint64_t commit(const CallContext& context, const FileHandle& fh) override;
    OpenedFile open(const CallContext& context, const FileHandle& fh, OpenAccess access) override;
    void close(OpenId id) noexcept override;
    CreatedFile create(const CallContext& context, const FileHandle& dir, const std::string& name,
                       const NewObjectAttributes& attributes, bool exclusive,
                       OpenAccess access) override;
    Entry mkdir(const CallContext& context, const FileHandle& dir, const std::string& name,
                const NewObjectAttributes& attributes) override;
    Entry symlink(const CallContext& context, const FileHandle& dir, const std::string& name,
                  const std::string& target, const NewObjectAttributes& attributes) override;
    Entry mknod(const CallContext& context, const FileHandle& dir, const std::string& name,
                const SpecialFile& what, const NewObjectAttributes& attributes) override;
    Entry link(const CallContext& context, const FileHandle& target, const FileHandle& dir,
               const std::string& name) override;
    DirectoryChange remove(const CallContext& context, const FileHandle& dir,
                           const std::string& name) override;
    DirectoryChange rmdir(const CallContext& context, const FileHandle& dir,
                          const std::string& name) override;
    RenameChanges rename(const CallContext& context, const FileHandle& from_dir,
                         const std::string& from_name, const FileHandle& to_dir,
                         const std::string& to_name) override;
    std::vector<DirectoryEntry> readdir(const CallContext& context, const FileHandle& dir) override;
    FsStats statfs(const CallContext& context, const FileHandle& fh) override;
    std::optional<LockHolder> lock(const CallContext& context, const FileHandle& fh, OpenId open,
                                   const LockRequest& request) override;
    void unlock(const CallContext& context, const FileHandle& fh, OpenId open, LockOwner owner,
                const LockRange& range) override;
    std::optional<LockHolder> test(const CallContext& context, const FileHandle& fh, OpenId open,
                                   const LockRequest& request) override;

    std::map<std::string, uint64_t> call_counts() const override { return counters_.snapshot(); }

  private:
    // One COMPOUND under the session, counted under `what`.
    void call(const CallContext& context, const char* what, const Session::Build& build,
              const Session::Read& read, bool cachethis = false);
    using IoBuild = std::function<void(CompoundBuilder&, const Stateid&)>;
    // A READ or WRITE of `fh`: under an open of ours that allows it (OpenStates), opened again
    // when the server says it lost that open's state.
    void call_under_open(const CallContext& context, const char* what, const FileHandle& fh,
                         bool writing, const IoBuild& build, const Session::Read& read);
    // An OPEN that makes a new open under `owner` (from OpenStates::take_owner), which it gives
    // back when the server refuses.
    void call_opening(const CallContext& context, const std::string& owner,
                      const Session::Build& build, const Session::Read& read);
    // OPENs the file of `id` again (CLAIM_FH) unless another thread did since `failed`.
    void reopen(const CallContext& context, OpenId id, const Stateid& failed);
    // In the server's grace period after it forgot this client: the opens, then the locks
    // (Session::set_reclaim).
    void reclaim(const CallContext& context, uint64_t generation);
    void reclaim_opens(const CallContext& context, uint64_t generation);
    // The attributes of a decoded fattr4, owners mapped to ids.
    static Attributes attributes_of(const Fattr4& fattr);
    // A CREATE (directory, symlink, fifo) of `name` in `dir`.
    Entry create_object(const CallContext& context, const char* what, const FileHandle& dir,
                        const std::function<void(CompoundBuilder&)>& create);

    OpenStates opens_;
    std::unique_ptr<Nfs4Locks> locks_;  // never null after construction
    FileHandle root_;
    uint32_t max_read_ = 0;
    uint32_t max_write_ = 0;
    std::chrono::seconds lease_{0};  // the server's lease time
    CallCounters counters_;
    // Last, so it goes first: its lease renewal thread may reclaim state into the members
    // above (set_reclaim) until its destructor stops it.
    std::unique_ptr<Session> session_;
};

}  // namespace nfsfuse::nfs::v4
