// Attributes the server sent a moment ago, to answer the kernel's GETATTR that often follows at
// once (after a chown, after an open, which makes the kernel drop what it holds): the answer a
// GETATTR would bring back is the one we just got. Entries are used for at most `max_age` (one
// second, or less when the attribute times are shorter), well inside the time the kernel itself
// may trust them, so no change by another client is seen later than without this.
// Whatever changes an object through us replaces or drops its entry; a change to a name whose
// object we do not know (unlink, rename) drops them all.
// Thread-safety: all methods may be called concurrently (one mutex).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "nfs/types.h"

namespace nfsfuse::cache {

class RecentAttributes {
  public:
    using Clock = std::chrono::steady_clock;

    // max_age 0: remembers nothing. Past `capacity` entries everything is dropped (cheap, and a
    // moment later it is all too old anyway).
    RecentAttributes(Clock::duration max_age, size_t capacity)
        : max_age_(max_age), capacity_(capacity) {}

    void remember(const nfs::FileHandle& fh, const nfs::Attributes& attributes,
                  Clock::time_point now);
    std::optional<nfs::Attributes> get(const nfs::FileHandle& fh, Clock::time_point now);
    void forget(const nfs::FileHandle& fh);
    void forget_all();

  private:
    struct Entry {
        nfs::Attributes attributes;
        Clock::time_point received;
    };
    const Clock::duration max_age_;
    const size_t capacity_;
    std::mutex mutex_;
    std::unordered_map<nfs::FileHandle, Entry, nfs::FileHandleHash> entries_;  // guarded
};

}  // namespace nfsfuse::cache
