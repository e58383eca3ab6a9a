#include "cache/recent_attributes.h"

namespace nfsfuse::cache {

void RecentAttributes::remember(const nfs::FileHandle& fh, const nfs::Attributes& attributes,
                                Clock::time_point now) {
    if (max_age_ <= Clock::duration::zero()) return;
    std::lock_guard lock(mutex_);
    if (entries_.size() >= capacity_) entries_.clear();
    entries_.insert_or_assign(fh, Entry{attributes, now});
}

std::optional<nfs::Attributes> RecentAttributes::get(const nfs::FileHandle& fh,
                                                     Clock::time_point now) {
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(fh);
    if (found == entries_.end()) return std::nullopt;
    if (now - found->second.received >= max_age_) {
        entries_.erase(found);
        return std::nullopt;
    }
    return found->second.attributes;
}

void RecentAttributes::forget(const nfs::FileHandle& fh) {
    std::lock_guard lock(mutex_);
    entries_.erase(fh);
}

void RecentAttributes::forget_all() {
    std::lock_guard lock(mutex_);
    entries_.clear();
}

}  // namespace nfsfuse::cache
