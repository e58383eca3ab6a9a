#include "nfs/byte_ranges.h"

#include <algorithm>
#include <iterator>
#include <limits>

namespace nfsfuse::nfs {

uint64_t end_of(const LockRange& range) {
    constexpr uint64_t kEnd = std::numeric_limits<uint64_t>::max();
    if (range.length == 0 || range.length > kEnd - range.offset) return kEnd;
    return range.offset + range.length;
}

void ByteRanges::add(const LockRange& range) {
    uint64_t start = range.offset;
    uint64_t end = end_of(range);
    // Swallow every range that overlaps or touches [start, end).
    auto it = ends_by_start_.upper_bound(start);
    if (it != ends_by_start_.begin() && std::prev(it)->second >= start) --it;
    while (it != ends_by_start_.end() && it->first <= end) {
        start = std::min(start, it->first);
        end = std::max(end, it->second);
        it = ends_by_start_.erase(it);
    }
    ends_by_start_.emplace(start, end);
}

void ByteRanges::remove(const LockRange& range) {
    const uint64_t start = range.offset;
    const uint64_t end = end_of(range);
    auto it = ends_by_start_.upper_bound(start);
    if (it != ends_by_start_.begin() && std::prev(it)->second > start) --it;
    while (it != ends_by_start_.end() && it->first < end) {
        const uint64_t kept_start = it->first;
        const uint64_t kept_end = it->second;
        it = ends_by_start_.erase(it);
        if (kept_start < start) ends_by_start_.emplace(kept_start, start);
        if (kept_end > end) ends_by_start_.emplace(end, kept_end);
    }
}

bool ByteRanges::intersects(const LockRange& range) const {
    const uint64_t start = range.offset;
    const uint64_t end = end_of(range);
    auto it = ends_by_start_.upper_bound(start);
    if (it != ends_by_start_.begin() && std::prev(it)->second > start) return true;
    return it != ends_by_start_.end() && it->first < end;
}

}  // namespace nfsfuse::nfs
