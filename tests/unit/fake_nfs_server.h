// An NFS server in memory behind the NfsClient interface, for tests of the filesystem layer: a
// tree of files, directories, symlinks and FIFOs with NFS's rules, and the part of a server that
// write-behind depends on: UNSTABLE WRITEs change the file at once but become durable only at
// COMMIT (or when written FILE_SYNC), and restart() loses what was not durable and changes the
// write verifier, as a crashed server does. Another client's changes and faults (an interrupted
// call, a restart in the middle of one) are injected through the hooks.
// Thread-safety: every method may be called concurrently (one mutex; hooks run without it).
// Ownership: the test owns it; it outlives the filesystem layer using it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nfs/nfs_client.h"

namespace nfsfuse::testing {

class FakeNfsServer : public nfs::NfsClient {
  public:
    FakeNfsServer();

    // --- for tests ---
    using Hook = std::function<void(const std::string& procedure)>;
    // Runs before every call, with its procedure name ("WRITE", "COMMIT"...), without the lock:
    // it may throw (an interrupted call) or change the server (a restart in the middle). Calls
    // come from write-behind's threads too, also after the test set another hook: a hook must
    // own (or share) what it uses. nullptr: none.
    void set_before_call(Hook hook);
    // Runs after a call changed the server, with its procedure name, without the lock.
    void set_after_call(Hook hook);

    // A crash and restart: every file loses what is not durable; a new write verifier.
    void restart();
    // The handle of `path` ("dir/name"), following no symlink. Throws ENOENT.
    nfs::FileHandle resolve(const std::string& path) const;
    // What the file holds now, and what would survive a restart.
    std::string contents(const nfs::FileHandle& fh) const;
    std::string durable_contents(const nfs::FileHandle& fh) const;
    // Another client writes (durably) or truncates a file.
    void write_as_another_client(const nfs::FileHandle& fh, uint64_t offset,
                                 const std::string& data);
    uint64_t calls(const std::string& procedure) const;
    // Whom the latest call of `procedure` was made for (empty: the mount's own identity).
    std::optional<nfs::Credentials> last_caller(const std::string& procedure) const;

    // --- NfsClient ---
    const nfs::FileHandle& root() const override { return root_; }
    uint32_t max_read() const override { return max_transfer_; }
    uint32_t max_write() const override { return max_transfer_; }
    void set_max_transfer(uint32_t bytes) { max_transfer_ = bytes; }
    nfs::Attributes getattr(const nfs::CallContext&, const nfs::FileHandle& fh) override;
    nfs::Attributes setattr(const nfs::CallContext&, const nfs::FileHandle& fh,
                            const nfs::SetAttributes& changes) override;
    nfs::Entry lookup(const nfs::CallContext&, const nfs::FileHandle& dir,
                      const std::string& name) override;
    uint32_t access(const nfs::CallContext&, const nfs::FileHandle& fh, uint32_t wanted) override;
    std::string readlink(const nfs::CallContext&, const nfs::FileHandle& fh) override;
    nfs::ReadResult read(const nfs::CallContext&, const nfs::FileHandle& fh, uint64_t offset,
                         uint32_t count) override;
    nfs::WriteResult write(const nfs::CallContext&, const nfs::FileHandle& fh, uint64_t offset,
                           std::string_view data, nfs::Stability stability) override;
    uint64_t commit(const nfs::CallContext&, const nfs::FileHandle& fh) override;
    nfs::OpenedFile open(const nfs::CallContext&, const nfs::FileHandle& fh,
                         nfs::OpenAccess access) override;
    void close(nfs::OpenId id) noexcept override;
    nfs::CreatedFile create(const nfs::CallContext&, const nfs::FileHandle& dir,
                            const std::string& name, const nfs::NewObjectAttributes& attributes,
                            bool exclusive, nfs::OpenAccess access) override;
    nfs::Entry mkdir(const nfs::CallContext&, const nfs::FileHandle& dir, const std::string& name,
                     const nfs::NewObjectAttributes& attributes) override;
    nfs::Entry symlink(const nfs::CallContext&, const nfs::FileHandle& dir, const std::string& name,
                       const std::string& target,
                       const nfs::NewObjectAttributes& attributes) override;
    nfs::Entry mknod(const nfs::CallContext&, const nfs::FileHandle& dir, const std::string& name,
                     const nfs::SpecialFile& what,
                     const nfs::NewObjectAttributes& attributes) override;
    nfs::Entry link(const nfs::CallContext&, const nfs::FileHandle& target,
                    const nfs::FileHandle& dir, const std::string& name) override;
    nfs::DirectoryChange remove(const nfs::CallContext&, const nfs::FileHandle& dir,
                                const std::string& name) override;
    nfs::DirectoryChange rmdir(const nfs::CallContext&, const nfs::FileHandle& dir,
                               const std::string& name) override;
    nfs::RenameChanges rename(const nfs::CallContext&, const nfs::FileHandle& from_dir,
                              const std::string& from_name, const nfs::FileHandle& to_dir,
                              const std::string& to_name) override;
    std::vector<nfs::DirectoryEntry> readdir(const nfs::CallContext&,
                                             const nfs::FileHandle& dir) override;
    nfs::FsStats statfs(const nfs::CallContext&, const nfs::FileHandle& fh) override;
    std::map<std::string, uint64_t> call_counts() const override;

    // Locks as a server keeps them for all its clients: POSIX byte ranges per owner. Owners are
    // per client in a real server; here every mount over this fake shares one owner space.
    std::optional<nfs::LockHolder> lock(const nfs::CallContext& context, const nfs::FileHandle& fh,
                                        nfs::OpenId open, const nfs::LockRequest& request) override;
    void unlock(const nfs::CallContext& context, const nfs::FileHandle& fh, nfs::OpenId open,
                nfs::LockOwner owner, const nfs::LockRange& range) override;
    std::optional<nfs::LockHolder> test(const nfs::CallContext& context, const nfs::FileHandle& fh,
                                        nfs::OpenId open, const nfs::LockRequest& request) override;
    // The locks held on `fh` now, for checks: "OWNER:r|w:BEGIN-END" in order (END exclusive,
    // "max" for to the end).
    std::vector<std::string> locks_held(const nfs::FileHandle& fh) const;

  private:
    struct Node {
        nfs::FileType type = nfs::FileType::regular;
        uint32_t mode = 0644;
        uint32_t uid = 0;
        uint32_t gid = 0;
        uint32_t nlink = 1;
        uint64_t change = 1;
        std::string data;     // regular: what the file holds now
        std::string durable;  // regular: what survives a restart
        std::string target;   // symlink
        uint32_t major = 0;   // devices
        uint32_t minor = 0;
        std::map<std::string, uint64_t> children;  // directory
    };
    struct HeldLock {
        nfs::LockOwner owner = 0;
        nfs::LockType type = nfs::LockType::write;
        uint64_t begin = 0;
        uint64_t end = 0;  // exclusive; UINT64_MAX: to the end
        uint32_t pid = 0;
    };
    using Lock = std::unique_lock<std::mutex>;

    // Counts the call and runs before_call; returns the lock to do it under.
    Lock begin(const nfs::CallContext& context, const std::string& procedure);
    void end(Lock& lock, const std::string& procedure);
    Node& node(const nfs::FileHandle& fh);
    const Node& node(const nfs::FileHandle& fh) const;
    Node& directory(const nfs::FileHandle& fh);
    uint64_t id_of(const nfs::FileHandle& fh) const;
    static nfs::FileHandle handle_of(uint64_t id);
    nfs::Attributes attributes_of(uint64_t id) const;
    nfs::ChangeStamp stamp_of(uint64_t id) const;
    nfs::Entry entry_of(uint64_t id) const;
    // Adds a new object `name` to `dir`; returns its entry with the directory's change.
    nfs::Entry add(const nfs::CallContext& context, const nfs::FileHandle& dir,
                   const std::string& name, Node created);
    // add() of an empty object of `type` for the call `procedure`.
    nfs::Entry add_typed(const nfs::CallContext& context, const std::string& procedure,
                         const nfs::FileHandle& dir, const std::string& name, nfs::FileType type,
                         uint32_t mode);
    // Drops one link of `id`; the object goes with its last link.
    void unlink_node(uint64_t id);
    // The first lock of another owner on `id` in the way of `request`. With mutex_.
    std::optional<nfs::LockHolder> conflict(uint64_t id, const nfs::LockRequest& request) const;
    // Takes [begin, end) out of `owner`'s locks on `id`, splitting those across its edges.
    void cut_locks(uint64_t id, nfs::LockOwner owner, uint64_t begin, uint64_t end);

    std::shared_ptr<const Hook> hook(const std::shared_ptr<const Hook>& which) const;

    mutable std::mutex hooks_mutex_;
    std::shared_ptr<const Hook> before_call_;  // guarded by hooks_mutex_
    std::shared_ptr<const Hook> after_call_;   // guarded by hooks_mutex_
    mutable std::mutex mutex_;
    std::map<uint64_t, Node> nodes_;                                  // guarded by mutex_
    uint64_t next_id_ = 2;                                            // guarded by mutex_
    uint64_t verifier_ = 1000;                                        // guarded by mutex_
    uint64_t next_open_ = 1;                                          // guarded by mutex_
    std::map<std::string, uint64_t> calls_;                           // guarded by mutex_
    std::map<std::string, std::optional<nfs::Credentials>> callers_;  // guarded by mutex_
    std::map<uint64_t, std::vector<HeldLock>> locks_;                 // guarded by mutex_
    nfs::FileHandle root_;
    uint32_t max_transfer_ = 64 * 1024;
};

}  // namespace nfsfuse::testing
