// The byte ranges one lock owner holds on one file, kept the way the server keeps them (POSIX
// locks: a new lock replaces whatever the owner held in its range, an unlock cuts its range out
// and may split a lock in two, and touching locks of one type merge), so that after a server
// restart we can reclaim exactly what was granted. Protocol-neutral.
// Thread-safety: none; a plain value, guarded by its owner (LockStates).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "nfs/types.h"

namespace nfsfuse::nfs::v4 {

class HeldLocks {
  public:
    struct Held {
        LockType type = LockType::write;
        LockRange range;  // length 0: to the end of any file
        bool operator==(const Held&) const = default;
    };

    void lock(LockType type, const LockRange& range);
    void unlock(const LockRange& range);
    bool empty() const { return by_start_.empty(); }
    // In the order of their offsets; no two overlap or touch with the same type.
    std::vector<Held> all() const;

  private:
    // [start, end) with end kToEnd for "to the end"; what lies in [start, end) is cut out.
    void cut(uint64_t start, uint64_t end);

    struct Span {
        uint64_t end = 0;
        LockType type = LockType::write;
    };
    std::map<uint64_t, Span> by_start_;  // non-overlapping spans by their first byte
};

}  // namespace nfsfuse::nfs::v4
