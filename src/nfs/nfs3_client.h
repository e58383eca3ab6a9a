// NfsClient over NFSv3: every operation is one (or a few) raw libnfs rpc_nfs3_* calls on file
// handles; paths are never re-walked from the export root.
// Thread-safety: all methods may run concurrently; each connection serialises access to its libnfs
// context. Ownership: owns its Nfs3Connections.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "nfs/call_counters.h"
#include "nfs/nfs3_connection.h"
#include "nfs/nfs3_convert.h"
#include "nfs/nfs_client.h"
#include "nfs/nlm_locks.h"

namespace nfsfuse::nfs {

class Nfs3Client final : public NfsClient {
  public:
    // One or more connections to the same export (nconnect). With more than one, the first
    // carries metadata calls and the others READ, WRITE and COMMIT in turn, so a lookup never
    // queues behind megabytes of data on one TCP stream.
    explicit Nfs3Client(std::vector<std::unique_ptr<Nfs3Connection>> connections);
    explicit Nfs3Client(std::unique_ptr<Nfs3Connection> connection);

    // Starts the connections' service threads (see Nfs3Connection::start).
    void start() override {
        for (const auto& connection : connections_) connection->start();
    }

    const FileHandle& root() const override { return connections_.front()->root(); }
    uint32_t max_read() const override { return connections_.front()->max_read(); }
    uint32_t max_write() const override { return connections_.front()->max_write(); }

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
    // NFSv3 has no opens: open is the GETATTR of close-to-open, close does nothing.
    OpenedFile open(const CallContext& context, const FileHandle& fh, OpenAccess access) override;
    void close(OpenId) noexcept override {}
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
    // Locks through the server's NLM lock service (nlm_locks.h).
    std::optional<LockHolder> lock(const CallContext& context, const FileHandle& fh, OpenId open,
                                   const LockRequest& request) override {
        return locks_.lock(context, fh, open, request);
    }
    void unlock(const CallContext& context, const FileHandle& fh, OpenId open, LockOwner owner,
                const LockRange& range) override {
        locks_.unlock(context, fh, open, owner, range);
    }
    std::optional<LockHolder> test(const CallContext& context, const FileHandle& fh, OpenId open,
                                   const LockRequest& request) override {
        return locks_.test(context, fh, open, request);
    }

    std::map<std::string, uint64_t> call_counts() const override { return counters_.snapshot(); }

  private:
    // Sends one request built by `submit`; on NFS3_OK runs on_ok(reply) on the service thread,
    // otherwise throws the mapped errno. Retries NFS3ERR_JUKEBOX (server busy) with back-off.
    template <class Reply, class OnOk>
    void execute(const CallContext& context, const char* what, const Nfs3Connection::Submit& submit,
                 OnOk&& on_ok);

    // What a create-style reply said about the new object; the server may leave out either part.
    struct CreatedObject {
        std::optional<FileHandle> handle;
        std::optional<Attributes> attributes;
        DirectoryChange parent_change;
    };
    template <class ResOk>
    static CreatedObject capture_created(const ResOk& ok);
    // Sends CREATE `how` of `name` in `dir`.
    CreatedObject send_create(const CallContext& context, const FileHandle& dir,
                              const std::string& name, const createhow3& how);
    // CREATE that fails with EEXIST when the name exists, safe to replay (see the .cpp).
    Entry create_exclusive(const CallContext& context, const FileHandle& dir,
                           const std::string& name, const NewObjectAttributes& attributes);
    // Fills in what the server left out with LOOKUP / GETATTR.
    Entry complete_entry(const CallContext& context, const FileHandle& dir, const std::string& name,
                         CreatedObject created);

    // The connection a call named `what` ("READ", "LOOKUP", ...) goes on.
    Nfs3Connection& connection_for(const char* what);

    std::vector<std::unique_ptr<Nfs3Connection>> connections_;  // at least one
    std::atomic<size_t> next_data_connection_{0};
    // Exclusive CREATE verifiers: a random start, then one more for each call, so no two calls
    // of this client (nor, most likely, of another) send the same.
    const uint64_t first_verifier_;
    std::atomic<uint64_t> verifiers_used_{0};
    CallCounters counters_;
    NlmLocks locks_;  // connects to the server's NLM service at the first lock call
};

}  // namespace nfsfuse::nfs
