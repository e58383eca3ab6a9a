// Lets a caller abandon a blocking NFS call (a FUSE INTERRUPT, i.e. the process got a signal).
// Thread-safety: cancel() may be called from any thread while another waits in a call.
// Owned by the caller of the NfsClient operation; lives for the duration of that call.
#pragma once

#include <atomic>

namespace nfsfuse::nfs {

class CancelToken {
  public:
    void cancel() noexcept { cancelled_.store(true, std::memory_order_release); }
    bool cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }

  private:
    std::atomic<bool> cancelled_{false};
};

}  // namespace nfsfuse::nfs
