// One regular file's state, under one mutex, as the kernel NFS client keeps it in its nfs_inode:
// the data the server does not hold durably yet (PendingWrites: dirty, on the wire, unstable
// with its verifier), the failure still to report, the generation that validates nfsfuse's
// cached blocks, the stamp the kernel's cached pages match, and the file's opens with its hidden
// name (silly rename). Its verbs carry the ordering rules:
//   - settle before anything reads the file's size or data on the server (getattr, read,
//     lookup, readdir): gathered data is sent and nothing of it is on the wire;
//   - set_attributes is exclusive: settle, SETATTR, then drop everything beyond a new size from
//     every list, so truncated data is never sent again;
//   - flush commits a snapshot taken under the lock and settles only that snapshot; bytes written
//     under another verifier are dirty again and resent; an interrupt leaves what is unsent owed,
//     for the next fsync or close to send or report;
//   - every local change of the data moves the block generation on before it is visible;
//   - over the commit threshold a COMMIT of the unstable snapshot goes from a sender thread
//     while writers go on; one COMMIT is on the wire at a time, and a flush waits for the one
//     there and settles again before its own (what it made dirty again is not in a snapshot).
// Lock order: FileTable's mutex, then a File's mutex, then BlockCache's and WriteSenders' (leaf)
// mutexes. No mutex is held across a network call.
// Thread-safety: all methods may be called concurrently. Ownership: shared (shared_ptr) by the
// FileTable, the opens of the file and the WRITEs on the wire.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cache/block_cache.h"
#include "cache/stamp_chain.h"
#include "nfs/nfs_client.h"
#include "util/error.h"
#include "vfs/pending_writes.h"
#include "vfs/write_senders.h"

namespace nfsfuse::vfs {

// What every File of a mount shares. Outlives the files.
struct FileContext {
    nfs::DataIo& data;
    WriteSenders& senders;
    cache::BlockCache& blocks;
    uint64_t gather_limit = 1024 * 1024;  // the largest WRITE (the server's wtmax)
    // Unstable bytes of one file above which a COMMIT goes in the background, bounding what is
    // kept in memory for a resend (a writer waits for it beyond twice this).
    uint64_t commit_threshold = 64 * 1024 * 1024;
    size_t max_in_flight = 4;    // WRITEs of one file on the wire at once
    bool write_through = false;  // cache=none: every write FILE_SYNC before write() returns
    // A WRITE of ours changed the file on the server (attributes remembered elsewhere are old).
    std::function<void(const nfs::FileHandle&)> written;
    // Generations of file data, unique across every File of the mount (one handle may get a new
    // File after the last one was dropped, and blocks cached under the old one must not match).
    std::atomic<uint64_t> next_generation{1};
};

// A hidden file to remove once its last open is closed.
struct PendingRemoval {
    nfs::FileHandle directory;
    std::string name;
    std::optional<nfs::Credentials> remover;  // who unlinked it: the REMOVE is theirs
};

class File : public std::enable_shared_from_this<File> {
  public:
    File(nfs::FileHandle handle, FileContext& context);
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    const nfs::FileHandle& handle() const { return handle_; }

    // --- data ---
    // Takes `data` (write-behind, or written through). Throws the failure still to report, if
    // any, without taking the data; EINTR while waiting for room on the wire.
    void write(const nfs::CallContext& context, uint64_t offset, std::string_view data);
    // Sends what is gathered and waits until nothing of the file is on the wire. Does not
    // report a failure (flush does).
    void settle(const nfs::CallContext& context);
    // fsync and close: settle, then COMMIT until everything written is durable. Throws the
    // first failure since the last flush, which is then reported and cleared.
    void flush(const nfs::CallContext& context);
    // SETATTR through `call`, after settling (a later WRITE would change the size and mtime
    // again); a new size drops everything owed beyond it and every cached block.
    nfs::Attributes set_attributes(const nfs::CallContext& context,
                                   const nfs::SetAttributes& changes,
                                   const std::function<nfs::Attributes()>& call);
    // The bytes of [offset, offset + length) as the server has them after settling, through the
    // block cache under the current generation, with the bytes still owed laid over them: a
    // server that restarted has lost unstable data until it is sent again, and a program reads
    // what it wrote (the kernel client reads its pages).
    std::vector<cache::BlockCache::Piece> read(const nfs::CallContext& context, uint64_t offset,
                                               uint32_t length);
    // Whether anything is owed to the server or a failure waits to be reported.
    bool has_pending();
    uint64_t owed_bytes();
    // The size a program sees: the server's, or further where owed data goes further (the
    // server may have lost an unstable extending write; the kernel client ignores a smaller
    // size from the server while it has writes pending).
    uint64_t size_seen(uint64_t server_size);

    // --- what the server says ---
    // The server's stamp of the file now (any attributes received): blocks cached under another
    // stamp are old.
    void server_stamp(const nfs::ChangeStamp& stamp);
    // At open, with attributes fresh from the server: may the kernel keep its cached pages? Yes
    // exactly when the stamp is the one they were known to match (docs/SEMANTICS.md).
    bool keep_pages_at_open(const nfs::ChangeStamp& now);
    // Something changed the file in a way we cannot follow: the next open drops the pages.
    void forget_pages();

    // --- opens ---
    void opened();
    // One open ended. The last close of a hidden file hands back what to remove.
    std::optional<PendingRemoval> released();
    bool is_open();
    // Records that the open file was renamed to a hidden name instead of removed. False if its
    // last open ended meanwhile: the caller removes it now.
    [[nodiscard]] bool hide(PendingRemoval removal);
    // Not open, nothing owed, nothing to report: the table may drop it.
    bool idle();

    // --- lock owners ---
    // `owner` may hold locks on the file, taken last through the open `handle`.
    void lock_taken(nfs::LockOwner owner, uint64_t handle);
    // Forgets `owner`; true if it may have held locks (the caller releases them on the server).
    bool forget_lock_owner(nfs::LockOwner owner);
    // Forgets, and returns, the owners whose locks were taken last through `handle`: at its
    // release, an open file description's flock and OFD locks go with it.
    std::vector<nfs::LockOwner> forget_lock_owners_of(uint64_t handle);

  private:
    using Lock = std::unique_lock<std::mutex>;
    enum class Dispatch { complete_runs, everything };

    // With the lock held through `lock`.
    void wait_for_exclusive_end(const nfs::CallContext& context, Lock& lock);
    void wait(const nfs::CallContext& context, Lock& lock, const char* what);
    // Posts WRITEs for the dirty runs that may go now: with complete_runs, all but the run the
    // last write() is still extending while it is shorter than a full WRITE.
    void dispatch(Dispatch which);
    // When all that is owed is one dirty run of at most one WRITE, sends it FILE_SYNC from this
    // thread and returns true: no COMMIT needs to follow (the kernel's sync flush does this).
    bool send_alone_stable(const nfs::CallContext& context, Lock& lock);
    void settle_locked(const nfs::CallContext& context, Lock& lock);
    // One COMMIT of the current snapshot (none when nothing is unstable). Returns the bytes
    // written under another verifier, dirty again.
    uint64_t commit_once(const nfs::CallContext& context, Lock& lock);
    // With the lock: a COMMIT of `snapshot` returned `verifier`. Returns what commit_once does.
    uint64_t commit_returned(const PendingWrites::CommitSnapshot& snapshot, uint64_t verifier);
    // Over the commit threshold: a COMMIT of what is unstable now, from a sender thread. With the
    // lock, when no COMMIT is on the wire and no flush runs.
    void commit_in_background();
    // A WRITE's answer, or why it failed.
    using WriteOutcome = std::variant<nfs::WriteResult, Error>;
    // Sends one WRITE for `writer`, abandoned when `context` is; called without the lock.
    WriteOutcome send_write(const nfs::CallContext& context,
                            const std::optional<nfs::Credentials>& writer, uint64_t offset,
                            std::string_view data, nfs::Stability stability);
    // With the lock: the WRITE `tag` came back. Its bytes are settled or unstable; if it failed
    // they are dropped and the failure recorded, unless it was interrupted (they stay owed).
    void write_returned(uint64_t tag, const WriteOutcome& outcome);
    void send_in_background(PendingWrites::Request request);
    void write_through(const nfs::CallContext& context, Lock& lock, uint64_t offset,
                       std::string_view data);
    // A WRITE of ours came back (both chains of stamps follow it).
    void own_write_done(const nfs::WriteResult& result);
    void record_failure(int errnum, const std::string& message);
    void data_changed_here();

    const nfs::FileHandle handle_;
    FileContext& context_;

    std::mutex mutex_;
    std::condition_variable changed_;  // a WRITE finished, or an exclusive section ended
    // Guarded by mutex_:
    PendingWrites writes_;
    std::optional<std::pair<int, std::string>> failure_;  // errno and message, not reported yet
    uint64_t last_write_end_ = 0;     // where the last write() ended: its run may still grow
    bool exclusive_ = false;          // a SETATTR is on the wire: nothing else changes the data
    bool commit_in_flight_ = false;   // a COMMIT is on the wire (one at a time)
    uint64_t flushes_ = 0;            // flush() calls running
    uint64_t generation_;             // of the data; cached blocks of another one are not used
    cache::StampChain blocks_stamp_;  // the server's, as the blocks of `generation_` match it
    cache::StampChain pages_stamp_;   // the one the kernel's pages match
    // Whom owed data is sent and committed for: its latest writer, as the kernel client sends
    // a page for the open it was written through (empty: the mount's own identity).
    std::optional<nfs::Credentials> writer_;
    uint64_t opens_ = 0;
    std::optional<PendingRemoval> removal_;
    // Owners that may hold locks on the file, and the open each locked through last.
    std::map<nfs::LockOwner, uint64_t> lock_owners_;  // the hidden name to remove at the last close
};

}  // namespace nfsfuse::vfs
