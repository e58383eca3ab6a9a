// NfsClient over NFSv3: every operation is one (or a few) NFSv3 calls on file handles, encoded
// and decoded by nfs/v3; paths are never re-walked from the export root.
// Thread-safety: all methods may run concurrently. Ownership: owns its Nfs3Connections.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "nfs/call_counters.h"
#include "nfs/nfs3_connection.h"
#include "nfs/nfs_client.h"
#include "nfs/nlm_locks.h"
#include "nfs/v3/nfs3_results.h"

namespace nfsfuse::nfs {

class Nfs3Client final : public NfsClient {
  public:
    // One or more connections to the same export (nconnect). With more than one, the first
    // carries metadata calls and the others READ, WRITE and COMMIT in turn, so a lookup never
    // queues behind megabytes of data on one TCP stream.
    explicit Nfs3Client(std::vector<std::unique_ptr<Nfs3Connection>> connections);
    explicit Nfs3Client(std::unique_ptr<Nfs3Connection> connection);

    // Nothing runs in the background: NFSv3 has no lease, and a connection is read by its
    // callers (RpcConnection).

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
    // Sends `procedure` with `arguments`; on NFS3_OK reads the rest of the reply with
    // read_ok(XdrDecoder&), or read_ok(XdrDecoder&, RpcReply&) to take the reply's record over,
    // otherwise throws the status's errno. Retries NFS3ERR_JUKEBOX (server busy) with pauses.
    template <class ReadOk>
    void execute(const CallContext& context, v3::Procedure procedure, std::string_view arguments,
                 ReadOk&& read_ok);
    // With `payload` sent after the arguments without a copy (Nfs3Connection::call).
    template <class ReadOk>
    void execute(const CallContext& context, v3::Procedure procedure, std::string_view arguments,
                 std::string_view payload, ReadOk&& read_ok);

    // Sends CREATE of `name` in `dir`; `how` is the createhow3 already encoded.
    v3::CreatedObject send_create(const CallContext& context, const FileHandle& dir,
                                  const std::string& name, std::string_view how);
    // CREATE that fails with EEXIST when the name exists, safe to replay (see the .cpp).
    Entry create_exclusive(const CallContext& context, const FileHandle& dir,
                           const std::string& name, const NewObjectAttributes& attributes);
    // Sends a call that makes a new object (MKDIR, SYMLINK, MKNOD) and fills in what the server
    // left out of its reply.
    Entry make_object(const CallContext& context, v3::Procedure procedure, const FileHandle& dir,
                      const std::string& name, std::string_view arguments);
    // Fills in what the server left out with LOOKUP / GETATTR.
    Entry complete_entry(const CallContext& context, const FileHandle& dir, const std::string& name,
                         v3::CreatedObject created);

    // The connection a call goes on.
    Nfs3Connection& connection_for(v3::Procedure procedure);

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
