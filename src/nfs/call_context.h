// What travels with one NFS call from the request that caused it down to the RPC layer: who is
// calling (the AUTH_SYS credentials the server is to judge the call by) and whether the caller
// gave up (a FUSE INTERRUPT, i.e. the process got a signal).
// Thread-safety: cancel() may be called from any thread while another waits in a call; the
// credentials are set before the call starts and never change during it.
// Owned by the caller of the NfsClient operation; lives for the duration of that call.
#pragma once

#include <atomic>
#include <optional>

#include "nfs/credentials.h"

namespace nfsfuse::nfs {

class CallContext {
  public:
    CallContext() = default;
    // A call made on behalf of `caller`.
    explicit CallContext(std::optional<Credentials> caller) : credentials_(std::move(caller)) {}
    // A call made for `caller` as part of `request`: abandoned when `request` is (a program's
    // fsync sending data another user wrote, with that user's credentials). `request` must
    // outlive this context.
    CallContext(const CallContext& request, std::optional<Credentials> caller)
        : request_(&request), credentials_(std::move(caller)) {}
    CallContext(const CallContext&) = delete;
    CallContext& operator=(const CallContext&) = delete;

    void cancel() noexcept { cancelled_.store(true, std::memory_order_release); }
    bool cancelled() const noexcept {
        return cancelled_.load(std::memory_order_acquire) || (request_ && request_->cancelled());
    }

    // Whom the call is made for; empty: the mount's own identity (uid=/gid=, or nfsfuse's user).
    const std::optional<Credentials>& credentials() const noexcept { return credentials_; }

  private:
    std::atomic<bool> cancelled_{false};
    const CallContext* const request_ = nullptr;
    const std::optional<Credentials> credentials_;
};

}  // namespace nfsfuse::nfs
