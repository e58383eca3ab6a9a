// Blocking lock requests (F_SETLKW, OFD_SETLKW, flock without LOCK_NB) whose lock another owner
// holds: each is asked again with back-off, 100 ms doubling to 2 s, until it is taken, fails, or
// its caller gives up (a signal), as the kernel NFS client polls a server for a blocked lock.
// The kernel client starts at 1 s, but an NFSv4.1 server also calls it back when the lock is
// free (CB_NOTIFY_LOCK); nfsfuse has no callback service, so it polls more often instead.
// All waiters share one thread: a waiter must not hold one of FUSE's request threads, or
// enough of them would leave none to serve the unlock they wait for.
// Thread-safety: add() and wake() from any thread; `done` runs on the waiting thread.
// Ownership: owned by the Filesystem; its destructor ends every wait with EINTR.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "nfs/call_context.h"

namespace nfsfuse::vfs {

class LockWaits {
  public:
    using Clock = std::chrono::steady_clock;
    // One try: true when the lock was taken, false when it is still in the way; throws
    // nfsfuse::Error when the request failed.
    using Attempt = std::function<bool(const nfs::CallContext& context)>;
    // The end of a wait: 0 (taken) or an errno (EINTR when the caller gave up).
    using Done = std::function<void(int errnum)>;

    static constexpr std::chrono::milliseconds kFirstWait{100};
    static constexpr std::chrono::milliseconds kLongestWait{2000};

    LockWaits() = default;
    ~LockWaits();
    LockWaits(const LockWaits&) = delete;
    LockWaits& operator=(const LockWaits&) = delete;

    // Tries `attempt` after kFirstWait, and again until it is done. `context` is the caller's
    // (its credentials, and cancelled when the caller gives up: call wake() then).
    void add(std::shared_ptr<const nfs::CallContext> context, Attempt attempt, Done done);
    // A caller gave up: look at the waiters now rather than at their next try.
    void wake();
    // Ends every wait with EINTR, now and for waits added later.
    void stop();
    // How many waits are still going, for tests.
    size_t waiting();

  private:
    struct Waiter {
        std::shared_ptr<const nfs::CallContext> context;
        Attempt attempt;
        Done done;
        Clock::time_point next_try;
        std::chrono::milliseconds wait;
    };
    void run();
    // Tries one waiter (without the mutex); returns true when it is done.
    static bool try_once(Waiter& waiter);

    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Waiter> waiters_;  // guarded by mutex_
    bool stopping_ = false;        // guarded by mutex_
    std::thread thread_;           // started with the first waiter (nfsfuse forks after start-up)
};

}  // namespace nfsfuse::vfs
