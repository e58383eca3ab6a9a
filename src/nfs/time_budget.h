// One timeout shared by the steps of a setup exchange (ask the portmapper, connect, call), so
// that the whole takes no longer than the caller allowed, however the time falls between them.
// Thread-safety: a plain value, for one thread.
#pragma once

#include <algorithm>
#include <chrono>

namespace nfsfuse::nfs {

class TimeBudget {
  public:
    explicit TimeBudget(std::chrono::milliseconds total)
        : deadline_(std::chrono::steady_clock::now() + total) {}

    // What is left; at least 1 ms, as a timeout of 0 means "wait for ever" to RpcConnection.
    std::chrono::milliseconds left() const {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline_ - std::chrono::steady_clock::now());
        return std::max(left, std::chrono::milliseconds(1));
    }

  private:
    std::chrono::steady_clock::time_point deadline_;
};

}  // namespace nfsfuse::nfs
