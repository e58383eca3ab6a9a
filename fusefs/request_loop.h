// Serves a FUSE session's requests on a pool of threads, as libfuse's fuse_session_loop_mt does,
// with one guarantee that loop lacks: requests are taken from the kernel one at a time, and each
// RELEASE is announced (`on_release`) before the next request is taken.
//
// Why: close(2) returns before the kernel's RELEASE is handled, so the unlink a program sends
// right after close is queued behind it. In libfuse's loop the two are read by different threads
// that then race, and the unlink may still find the file open and hide it instead of removing it
// (its link count one too high, its directory not empty). Announced in kernel order, a RELEASE is
// always counted before any request the kernel queued after it.
//
// Requests that come over io_uring (FuseDevice decides at INIT) are served by the threads of
// their ring entries (UringQueues), which announce RELEASEs as they take them; entries have no
// order among themselves, so the filesystem settles them (release barrier) before it decides
// that a file being unlinked or renamed over is still open.
//
// Stops when the filesystem is unmounted, or at SIGINT, SIGTERM or SIGHUP (which it handles while
// it runs). Thread-safety: run() once, from one thread.
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "fusefs/fuse_adapter.h"
#include "fusefs/fuse_device.h"

namespace nfsfuse::fusefs {

class RequestLoop {
  public:
    // Gets the `fh` the filesystem gave the file at open. Runs on the reading thread while no
    // other request can be taken: keep it short, and do not block.
    using ReleaseObserver = std::function<void(uint64_t fh)>;

    struct Outcome {
        int signal = 0;  // the signal that stopped the loop, if one did
        int error = 0;   // errno of a failed read from the kernel, 0 if none
    };

    // Serves `adapter`'s session, whose I/O it takes over (FuseDevice) while it runs.
    RequestLoop(FuseAdapter& adapter, size_t max_threads, ReleaseObserver on_release,
                FuseDevice::Settings device_settings);
    ~RequestLoop();
    RequestLoop(const RequestLoop&) = delete;
    RequestLoop& operator=(const RequestLoop&) = delete;

    // Serves requests until the loop stops; returns why it stopped.
    Outcome run();

  private:
    void work();
    // Waits for the next request and reads it into `buffer`. Returns its size, 0 when the loop is
    // to stop, or -errno. Called with receive_mutex_ held.
    int receive(fuse_buf& buffer);
    void announce_if_release(const fuse_buf& buffer) const;
    // Serves a request that came over io_uring (on its entry's thread).
    void serve_from_queue(UringRequest request);
    void start_worker();  // called with receive_mutex_ held
    void stop();

    FuseAdapter& adapter_;
    fuse_session* const session_;
    const FuseDevice::Settings device_settings_;
    const size_t max_threads_;
    const ReleaseObserver on_release_;
    const int stop_fd_;  // an eventfd, readable once the loop is to stop

    std::mutex receive_mutex_;              // held by the one thread reading from the kernel
    std::vector<std::thread> workers_;      // guarded by receive_mutex_
    std::atomic<size_t> idle_workers_ = 0;  // not busy with a request
    std::atomic<int> read_error_ = 0;
};

}  // namespace nfsfuse::fusefs
