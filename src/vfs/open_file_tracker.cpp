#include "vfs/open_file_tracker.h"

#include <unistd.h>

#include <cstdio>

namespace nfsfuse::vfs {

void OpenFileTracker::opened(uint64_t id) {
    std::lock_guard lock(mutex_);
    ++by_id_[id].open_count;
}

std::optional<PendingRemoval> OpenFileTracker::released(uint64_t id) {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    if (--it->second.open_count > 0) return std::nullopt;
    std::optional<PendingRemoval> removal = std::move(it->second.removal);
    by_id_.erase(it);
    return removal;
}

bool OpenFileTracker::any_open() const {
    std::lock_guard lock(mutex_);
    return !by_id_.empty();
}

bool OpenFileTracker::is_open(uint64_t id) const {
    std::lock_guard lock(mutex_);
    return by_id_.contains(id);
}

bool OpenFileTracker::hide(uint64_t id, PendingRemoval removal) {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return false;
    it->second.removal = std::move(removal);
    return true;
}

std::string OpenFileTracker::hidden_name(uint64_t fileid) {
    std::lock_guard lock(mutex_);
    // Like the kernel's ".nfsXXXX": the fileid, our pid and a counter keep names from colliding
    // between files, mounts and clients.
    char name[80];
    std::snprintf(name, sizeof name, ".nfsfuse%016llx%08x%04llx",
                  static_cast<unsigned long long>(fileid), static_cast<unsigned>(getpid()),
                  static_cast<unsigned long long>(++hidden_counter_ & 0xffff));
    return name;
}

}  // namespace nfsfuse::vfs
