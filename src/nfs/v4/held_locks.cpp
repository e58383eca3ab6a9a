#include "nfs/v4/held_locks.h"

#include <limits>

namespace nfsfuse::nfs::v4 {
namespace {

// The end of a lock "to the end of the file": past every byte a file can have.
constexpr uint64_t kToEnd = std::numeric_limits<uint64_t>::max();

// A range's end, exclusive. A range that would run past the last offset runs to the end.
uint64_t end_of(const LockRange& range) {
    if (range.length == 0 || range.length >= kToEnd - range.offset) return kToEnd;
    return range.offset + range.length;
}

LockRange range_of(uint64_t start, uint64_t end) {
    return {start, end == kToEnd ? 0 : end - start};
}

}  // namespace

void HeldLocks::cut(uint64_t start, uint64_t end) {
    // The span that begins before `start` may reach into the cut: keep its head, and its tail
    // when it reaches past the cut too (an unlock in the middle of a lock splits it).
    auto it = by_start_.lower_bound(start);
    if (it != by_start_.begin()) {
        auto before = std::prev(it);
        const Span span = before->second;
        if (span.end > start) {
            before->second.end = start;
            if (span.end > end) by_start_.emplace(end, Span{span.end, span.type});
        }
    }
    // Spans that begin inside the cut: gone, but for a tail reaching past it.
    while (it != by_start_.end() && it->first < end) {
        const Span span = it->second;
        it = by_start_.erase(it);
        if (span.end > end) {
            by_start_.emplace(end, span);
            break;
        }
    }
}

void HeldLocks::lock(LockType type, const LockRange& range) {
    uint64_t start = range.offset;
    uint64_t end = end_of(range);
    if (end <= start) return;
    cut(start, end);
    // Merge with neighbours of the same type that touch it.
    auto next = by_start_.lower_bound(end);
    if (next != by_start_.end() && next->first == end && next->second.type == type) {
        end = next->second.end;
        by_start_.erase(next);
    }
    auto it = by_start_.lower_bound(start);
    if (it != by_start_.begin()) {
        auto before = std::prev(it);
        if (before->second.end == start && before->second.type == type) {
            before->second.end = end;
            return;
        }
    }
    by_start_.emplace(start, Span{end, type});
}

void HeldLocks::unlock(const LockRange& range) {
    const uint64_t end = end_of(range);
    if (end > range.offset) cut(range.offset, end);
}

std::vector<HeldLocks::Held> HeldLocks::all() const {
    std::vector<Held> held;
    held.reserve(by_start_.size());
    for (const auto& [start, span] : by_start_)
        held.push_back({span.type, range_of(start, span.end)});
    return held;
}

}  // namespace nfsfuse::nfs::v4
