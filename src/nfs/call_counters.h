// How many calls of each kind a client sent, by procedure name ("READ", "GETATTR", ...): the
// evidence that a cache hit cost no call, and a view for users (getfattr -n user.nfsfuse.calls).
// Thread-safety: safe from any thread (one mutex; a count is cheap next to a network call).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace nfsfuse::nfs {

class CallCounters {
  public:
    void count(const char* procedure) {
        std::lock_guard lock(mutex_);
        ++counts_[procedure];
    }
    std::map<std::string, uint64_t> snapshot() const {
        std::lock_guard lock(mutex_);
        return counts_;
    }

  private:
    mutable std::mutex mutex_;
    std::map<std::string, uint64_t> counts_;  // guarded by mutex_
};

}  // namespace nfsfuse::nfs
