// Write-behind for file data: a write() returns once its data is held here; contiguous writes are
// gathered into requests of up to `gather_limit` bytes and sent as UNSTABLE writes (the server may
// keep them in memory) by sender threads, so the next write is taken while the last is on the
// wire, and a COMMIT at flush (close) or fsync makes them durable. Requests whose ranges overlap
// are never on the wire together (the server could apply them in the wrong order). What was sent
// but not yet committed is kept, because a server that restarts in between loses it: its write
// verifier then differs from the one COMMIT returns, and everything since the last good COMMIT is
// sent again. Errors are never swallowed: a failed send is reported by the next write and by the
// next flush or fsync of the file.
//
// Callers must send() a file's gathered data before anything that reads its size or contents on
// the server (GETATTR, READ, SETATTR, LOOKUP...): until then the server has not seen it.
// Thread-safety: all methods may be called concurrently; one mutex per file, and neither it nor
// the table's mutex is held across a network call. Waits for requests on the wire end with EINTR
// when the caller's CancelToken fires.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
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
    // max_in_flight: requests of one file on the wire at once; senders: threads sending them.
    WriteBehind(nfs::NfsClient& client, size_t gather_limit, size_t commit_threshold,
                OnWritten on_written, size_t max_in_flight = 4, size_t senders = 4);
    // Sends what is still queued, then stops the sender threads.
    ~WriteBehind();
    WriteBehind(const WriteBehind&) = delete;
    WriteBehind& operator=(const WriteBehind&) = delete;

    // Takes `data` for the file. May send gathered data (and COMMIT) first. Throws the file's
    // recorded failure, if any, without taking the data.
    void write(const nfs::CancelToken& cancel, const nfs::FileHandle& fh, uint64_t offset,
               std::string_view data);
    // Sends what is gathered for the file and waits for every request of it on the wire, so the
    // server's view includes it: UNSTABLE, or FILE_SYNC when it is all that is pending and fits
    // one request (see send_alone_stable). Throws the file's recorded failure.
    void send(const nfs::CancelToken& cancel, const nfs::FileHandle& fh);
    // send() for every file.
    void send_all(const nfs::CancelToken& cancel);
    // Sends as send() does, then COMMITs and checks the verifier (sending again when it changed),
    // unless all was written through already. Throws the
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
        std::condition_variable changed;                         // a request of this file completed
        std::vector<std::pair<uint64_t, uint64_t>> on_the_wire;  // [begin, end) of each request
        Extent gathered;                  // not sent yet; empty when data is empty
        std::vector<Extent> uncommitted;  // sent UNSTABLE, not yet committed
        size_t uncommitted_bytes = 0;
        std::optional<uint64_t> verifier;  // of the uncommitted writes
        bool verifier_changed = false;     // they saw different verifiers: resend all
        std::optional<std::pair<int, std::string>> failure;  // errno and message, not reported
        bool retired = false;  // erased from the table: writers must fetch a new File
    };

    struct Request {
        nfs::FileHandle fh;
        std::shared_ptr<File> file;
        Extent extent;
    };
    using FileLock = std::unique_lock<std::mutex>;

    std::shared_ptr<File> file_of(const nfs::FileHandle& fh, bool create);
    // With File::mutex held (through `lock`, which waits release).
    // Queues the gathered data, after waiting for room and for overlapping requests to finish.
    void queue_gathered(const nfs::CancelToken& cancel, const nfs::FileHandle& fh,
                        const std::shared_ptr<File>& file, FileLock& lock);
    // Hands a request to the sender threads (started on first use).
    void enqueue(Request request);
    // When the gathered data is all the file has pending (nothing uncommitted, nothing on the
    // wire), sends it from the calling thread as one FILE_SYNC WRITE and returns true: the server
    // writes it through, and the COMMIT that would follow is saved, as the kernel NFS client does
    // for a sync flush that fits one request. A failure is recorded and thrown.
    bool send_alone_stable(const nfs::CancelToken& cancel, const nfs::FileHandle& fh,
                           const std::shared_ptr<File>& file, FileLock& lock);
    // Waits until none of the file's requests is on the wire.
    static void wait_idle(const nfs::CancelToken& cancel, File& file, FileLock& lock);
    // Sends one extent and records the result; called without File::mutex for the network call.
    void send_now(const nfs::CancelToken& cancel, const nfs::FileHandle& fh, File& file,
                  FileLock& lock, Extent extent);
    void record_sent(File& file, Extent extent, const nfs::WriteResult& result);
    void commit_locked(const nfs::CancelToken& cancel, const nfs::FileHandle& fh, File& file,
                       FileLock& lock);
    [[noreturn]] static void throw_failure(const File& file);
    void sender_loop();

    nfs::NfsClient& client_;
    const size_t gather_limit_;
    const size_t commit_threshold_;
    OnWritten on_written_;
    const size_t max_in_flight_;
    const size_t sender_count_;
    // The threads start with the first request, not in the constructor: nfsfuse daemonizes (forks)
    // after building the filesystem, and threads do not survive a fork.
    std::once_flag senders_started_;

    std::mutex queue_mutex_;
    std::condition_variable queue_changed_;
    std::deque<Request> queue_;  // guarded by queue_mutex_
    bool stopping_ = false;      // guarded by queue_mutex_
    std::vector<std::thread> senders_;

    std::mutex table_mutex_;
    std::unordered_map<nfs::FileHandle, std::shared_ptr<File>, nfs::FileHandleHash>
        files_;  // guarded by table_mutex_
};

}  // namespace nfsfuse::cache
