// FUSE requests over io_uring (Linux 6.14+): the kernel puts each request straight into one of
// our buffers and takes the reply from it, so a request costs no read(2) and no writev(2) on
// /dev/fuse. The kernel has one queue per possible CPU (it sends a request to the queue of the
// CPU its caller runs on, and uses the rings only once every queue has an entry); each queue
// gets `depth` entries.
//
// Each entry has an io_uring and a thread of its own, the only one that touches that ring
// (IORING_SETUP_SINGLE_ISSUER and DEFER_TASKRUN). The thread waits for a request, serves it right
// there (`serve`: libfuse, then the NFS calls), and sends the reply together with its next wait:
// one system call and one wake-up per request, no hand-over between threads. A request that
// blocks (an NFS call, a lock wait) holds only its own entry. Why not fewer threads that hand
// requests to a pool: measured, two hand-overs per request made a FUSE round trip 40% slower
// than over /dev/fuse.
//
// RELEASE, as in RequestLoop: announced (on_release) when its entry's thread takes it, before it
// serves anything. Entries have no order among themselves, so settle() lets a request that
// depends on earlier RELEASEs (an unlink of a file that looks open: its close may have been the
// last) have every idle entry's thread take in what the kernel has already given it.
//
// Thread-safety: reply() and settle() from any thread; the rest from the owner's thread.
// Ownership: owns its rings, buffers, eventfds and threads; does not own the /dev/fuse fd.
#pragma once

#include <liburing.h>
#include <sys/uio.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "fusefs/fuse_uring_abi.h"

namespace nfsfuse::fusefs {

// A request as libfuse takes it: fuse_in_header, its first argument and the rest, contiguous.
struct UringRequest {
    char* memory;
    size_t size;
};

class UringQueues {
  public:
    // A queue grows by an entry whenever all of its entries are busy, up to this many: a
    // request holds its entry until its reply, and a lock wait can last (each holds a thread).
    static constexpr size_t kMaxEntriesPerQueue = 256;

    using Serve = std::function<void(UringRequest)>;
    using ReleaseObserver = std::function<void(uint64_t fh)>;

    struct Settings {
        size_t queues = 0;        // the kernel's: one per possible CPU
        size_t depth = 0;         // entries (and threads) per queue to begin with
        size_t payload_size = 0;  // per entry, at least the kernel's largest request or reply
    };

    // Sets up the rings and buffers (nothing is sent to the kernel yet). Throws nfsfuse::Error
    // when the system refuses (no io_uring, a seccomp filter, memory).
    UringQueues(int fuse_fd, Settings settings);
    ~UringQueues();  // stops the threads first
    UringQueues(const UringQueues&) = delete;
    UringQueues& operator=(const UringQueues&) = delete;

    // Registers every entry with the kernel and serves until stop(). The kernel must have had
    // the INIT reply that accepted io_uring. `serve` runs on the entry's thread and must lead to
    // a reply() for the request, from that thread or any other.
    void start(Serve serve, ReleaseObserver on_release);
    void stop();

    // The reply (as libfuse writes it: fuse_out_header, then the arguments) to a request that
    // came through an entry. Returns false, sending nothing, when `unique` is not one of ours
    // (a request read from /dev/fuse, a notification, an interrupt's reply).
    bool reply(const iovec* iov, int count);

    // Returns once every entry that was idle has taken in what the kernel gave it before now
    // (announcing its RELEASEs). An entry busy with a request took it in already.
    void settle();

    uint64_t requests_served() const { return requests_served_.load(); }
    const Settings& settings() const { return settings_; }

  private:
    struct Entry {
        void* memory = nullptr;  // header and payload
        size_t memory_size = 0;
        io_uring ring{};
        bool ring_ready = false;
        int wake_fd = -1;  // an eventfd: a settle or a stop
        uint64_t wake_count = 0;
        uring_abi::RequestHeader* header = nullptr;
        char* payload = nullptr;
        iovec buffers[2]{};
        uint16_t qid = 0;
        std::thread thread;

        std::mutex mutex;  // guards what follows
        std::condition_variable replied_changed;
        uint64_t serving = 0;              // the unique of the request being served, 0 when idle
        bool replied = false;              // its reply is in the buffers
        std::atomic<bool> busy{false};     // serving a request it has announced
        std::atomic<uint64_t> settled{0};  // the newest settle it has done
    };

    // A new entry of queue `qid` (started, when the queues are); false once all queues together
    // have queues x kMaxEntriesPerQueue, or when stopping. Throws nfsfuse::Error when the
    // system refuses.
    bool add_entry(uint16_t qid);
    std::unique_ptr<Entry> make_entry(uint16_t qid) const;
    static void close_entry(Entry& entry);
    void start_entry(Entry& entry);
    void run(Entry& entry);
    void register_entry(Entry& entry);
    void arm_wake(Entry& entry);
    // Copies the request into one piece and announces a RELEASE; false if it is malformed.
    bool take_request(Entry& entry, UringRequest& request);
    void serve_and_commit(Entry& entry, UringRequest request);
    void fill_error(Entry& entry, uint64_t unique, int error);
    void wake(Entry& entry);

    const int fuse_fd_;
    const Settings settings_;
    Serve serve_;
    ReleaseObserver on_release_;
    // Entries only ever added: entries_[0, entry_count_) are set and stay until destruction, so
    // reply() and settle() read them without a lock.
    std::vector<std::unique_ptr<Entry>> entries_;
    std::atomic<size_t> entry_count_{0};
    std::mutex grow_mutex_;                        // held while adding an entry and while stopping
    bool started_ = false;                         // guarded by grow_mutex_
    std::vector<std::atomic<int>> idle_in_queue_;  // entries of each queue not serving
    std::atomic<bool> warned_full_{false};

    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> settle_requested_{0};
    std::mutex settle_mutex_;
    std::condition_variable settle_done_;
    std::atomic<uint64_t> requests_served_{0};
};

// The number of queues the kernel expects: one per possible CPU.
size_t uring_queue_count();

}  // namespace nfsfuse::fusefs
