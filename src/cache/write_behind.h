// Write-behind for file data: a write() returns once its data is held here; contiguous writes are
// gathered into requests of up to `gather_limit` bytes and sent as UNSTABLE writes (the server may
// keep them in memory), and a COMMIT at flush (close) or fsync makes them durable. What was sent
// but not yet committed is kept, because a server that restarts in between loses it: its write
// verifier then differs from the one COMMIT returns, and everything since the last good COMMIT is
// sent again. Errors are never swallowed: a failed send is reported by the next write and by the
// next flush or fsync of the file.
//
// Callers must send() a file's gathered data before anything that reads its size or contents on
// the server (GETATTR, READ, SETATTR, LOOKUP...): until then the server has not seen it.
// Thread-safety: all methods may be called concurrently; one mutex per file, and the table's own
// mutex is never held across a network call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "nfs/nfs_client.h"

namespace nfsfuse::cache {

class WriteBehind {
  public:
    // Called with what the server said about each WRITE sent (for the page cache stamps).
    using OnWritten = std::function<void(const nfs::FileHandle&, const nfs::WriteResult&)>;

    // gather_limit: the largest WRITE (the server's wtmax). commit_threshold: sent but
    // uncommitted bytes of one file above which a COMMIT is sent right away, bounding the memory
    // kept for resends.
    WriteBehind(nfs::NfsClient& client, size_t gather_limit, size_t commit_threshold,
                OnWritten on_written);

    // Takes `data` for the file. May send gathered data (and COMMIT) first. Throws the file's
    // recorded failure, if any, without taking the data.
    void write(const nfs::CancelToken& cancel, const nfs::FileHandle& fh, uint64_t offset,
               std::string_view data);
    // Sends what is gathered for the file (UNSTABLE), so the server's view includes it.
    void send(const nfs::CancelToken& cancel, const nfs::FileHandle& fh);
    // send() for every file.
    void send_all(const nfs::CancelToken& cancel);
    // Sends, then COMMITs and checks the verifier (sending again when it changed). Throws the
    // first failure since the last flush; the failure is then cleared (reported once here).
    void flush(const nfs::CancelToken& cancel, const nfs::FileHandle& fh);
    // Whether anything of the file is gathered or uncommitted.
    bool has_pending(const nfs::FileHandle& fh);
    // Drops the file's bookkeeping if nothing is pending and no failure waits to be reported
    // (at its last close), so the table does not grow with every file ever written.
    void forget_if_clean(const nfs::FileHandle& fh);

  private:
    struct Extent {
        uint64_t offset = 0;
        std::string data;
    };
    struct File {
        std::mutex mutex;
        Extent gathered;                  // not sent yet; empty when data is empty
        std::vector<Extent> uncommitted;  // sent UNSTABLE, not yet committed
        size_t uncommitted_bytes = 0;
        std::optional<uint64_t> verifier;  // of the uncommitted writes
        bool verifier_changed = false;     // they saw different verifiers: resend all
        std::optional<std::pair<int, std::string>> failure;  // errno and message, not reported
        bool retired = false;  // erased from the table: writers must fetch a new File
    };

    std::shared_ptr<File> file_of(const nfs::FileHandle& fh, bool create);
    // With File::mutex held.
    void send_locked(const nfs::CancelToken& cancel, const nfs::FileHandle& fh, File& file);
    void send_extent_locked(const nfs::CancelToken& cancel, const nfs::FileHandle& fh, File& file,
                            Extent extent);
    void commit_locked(const nfs::CancelToken& cancel, const nfs::FileHandle& fh, File& file);
    [[noreturn]] static void throw_failure(const File& file);

    nfs::NfsClient& client_;
    const size_t gather_limit_;
    const size_t commit_threshold_;
    OnWritten on_written_;
    std::mutex table_mutex_;
    std::unordered_map<nfs::FileHandle, std::shared_ptr<File>, nfs::FileHandleHash>
        files_;  // guarded by table_mutex_
};

}  // namespace nfsfuse::cache
