// A set of byte ranges of one file, kept merged: which bytes an owner holds locks on (whatever
// their type), so that an unlock of bytes it never locked costs no call to the server.
// Thread-safety: a plain value. Owned by NlmLockState.
#pragma once

#include <cstdint>
#include <map>

#include "nfs/types.h"

namespace nfsfuse::nfs {

class ByteRanges {
  public:
    void add(const LockRange& range);
    void remove(const LockRange& range);
    // Some byte of `range` is in the set.
    bool intersects(const LockRange& range) const;
    bool empty() const { return ends_by_start_.empty(); }
    // The merged ranges, first to last (length 0: to the end).
    std::map<uint64_t, uint64_t> ends_by_start() const { return ends_by_start_; }

  private:
    // [start, end) with end = UINT64_MAX for "to the end"; never touching or overlapping.
    std::map<uint64_t, uint64_t> ends_by_start_;
};

// The first byte after `range` (UINT64_MAX for one that runs to the end, or past it).
uint64_t end_of(const LockRange& range);

}  // namespace nfsfuse::nfs
