// The FUSE session's I/O (libfuse's custom io): requests read from /dev/fuse, and replies sent
// either back to /dev/fuse or, for a request that came over io_uring, into its ring entry.
//
// It also decides the transport at INIT, since libfuse 3.14 knows nothing of io_uring: when the
// kernel offers FUSE over io_uring and the mount allows it (io_uring=auto), it sets up the queues
// and adds the flag to libfuse's INIT reply; once the kernel has that reply, the queues start.
// Otherwise, or when the system refuses io_uring, every request keeps coming through /dev/fuse,
// and the log says which transport runs and why. FORGET, INTERRUPT and notifications always go
// through /dev/fuse (the kernel's choice). It adds FUSE_HANDLE_KILLPRIV_V2 to that reply too
// (see reply_to_init).
//
// Thread-safety: read() and writev() from any number of threads. Ownership: owns the queues;
// not the fd (the session closes it).
#pragma once

#include <fuse_lowlevel.h>
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "fusefs/uring_queues.h"

namespace nfsfuse::fusefs {

class FuseDevice {
  public:
    struct Settings {
        bool io_uring_allowed = true;  // io_uring=auto; false: io_uring=off
        // Ring entries (each with its thread) in all queues together: as many requests at once
        // as the /dev/fuse loop serves. At least 2 per queue even so.
        size_t max_entries = 32;
    };

    // `serve` serves a request that came over io_uring, on its entry's thread.
    FuseDevice(int fuse_fd, Settings settings, UringQueues::Serve serve,
               UringQueues::ReleaseObserver on_release);
    ~FuseDevice();
    FuseDevice(const FuseDevice&) = delete;
    FuseDevice& operator=(const FuseDevice&) = delete;

    // libfuse's custom io; its userdata (the session's) must lead to this object (FuseAdapter
    // does: see FuseAdapter::device).
    static const fuse_custom_io& io();

    ssize_t read(void* buffer, size_t size);
    ssize_t writev(const iovec* iov, int count);

    // UringQueues::settle, when requests come over io_uring; nothing otherwise (/dev/fuse has
    // one queue, read in the kernel's order, and RequestLoop announces a RELEASE before it takes
    // the next request).
    void settle();
    // Stops the entries' threads (each after the request it serves).
    void stop();

    // For user.nfsfuse.transport: the transport and the requests each way took.
    std::string transport_text() const;

  private:
    void note_init_request(const void* buffer, size_t size);
    ssize_t reply_to_init(const iovec* iov, int count);

    const int fuse_fd_;
    const Settings settings_;
    UringQueues::Serve serve_;
    UringQueues::ReleaseObserver on_release_;

    std::mutex init_mutex_;
    uint64_t init_unique_ = 0;  // the INIT request, until answered
    bool kernel_offers_uring_ = false;
    uint32_t kernel_init_flags_ = 0;  // what the kernel's INIT offers (fuse_init_in::flags)

    std::unique_ptr<UringQueues> queues_;  // set while answering INIT, before requests come
    std::atomic<bool> uring_started_{false};
    std::atomic<uint64_t> device_requests_{0};
};

}  // namespace nfsfuse::fusefs
