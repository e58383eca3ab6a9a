#include "cache/page_cache_stamps.h"

namespace nfsfuse::cache {

bool PageCacheStamps::keep_at_open(uint64_t inode, const nfs::ChangeStamp& now) {
    std::lock_guard lock(mutex_);
    const auto [known, inserted] = stamps_.try_emplace(inode, now);
    if (inserted) return false;  // nothing known about what the kernel may hold
    const bool unchanged = known->second == now;
    known->second = now;
    return unchanged;
}

void PageCacheStamps::after_own_write(uint64_t inode, const std::optional<nfs::ChangeStamp>& before,
                                      const std::optional<nfs::ChangeStamp>& after) {
    std::lock_guard lock(mutex_);
    const auto known = stamps_.find(inode);
    if (known == stamps_.end()) return;
    // Without both sides, or when the file had changed before our write, the pages may hold
    // data older than the server's: make the next open drop them.
    if (!before || !after || !(known->second == *before)) {
        stamps_.erase(known);
        return;
    }
    known->second = *after;
}

void PageCacheStamps::forget(uint64_t inode) {
    std::lock_guard lock(mutex_);
    stamps_.erase(inode);
}

}  // namespace nfsfuse::cache
