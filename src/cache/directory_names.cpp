#include "cache/directory_names.h"

namespace nfsfuse::cache {

DirectoryNames::DirectoryNames(size_t max_directories, size_t max_names)
    : max_directories_(max_directories), max_names_(max_names) {}

void DirectoryNames::touch(Known& known, Clock::time_point now) {
    known.confirmed = now;
    by_age_.splice(by_age_.begin(), by_age_, known.age_position);
}

void DirectoryNames::forget_locked(const nfs::FileHandle& dir) {
    const auto found = known_.find(dir);
    if (found == known_.end()) return;
    by_age_.erase(found->second.age_position);
    known_.erase(found);
}

void DirectoryNames::created_empty(const nfs::FileHandle& dir, const nfs::ChangeStamp& stamp,
                                   Clock::time_point now) {
    if (max_directories_ == 0) return;
    std::lock_guard lock(mutex_);
    forget_locked(dir);
    while (known_.size() >= max_directories_) forget_locked(by_age_.back());
    by_age_.push_front(dir);
    known_.emplace(dir, Known{{}, stamp, now, by_age_.begin()});
}

DirectoryNames::Known* DirectoryNames::apply(const nfs::FileHandle& dir,
                                             const nfs::DirectoryChange& change,
                                             Clock::time_point now) {
    const auto found = known_.find(dir);
    if (found == known_.end()) return nullptr;
    Known& known = found->second;
    if (!change.before || !change.after || !(*change.before == known.stamp)) {
        forget_locked(dir);  // someone else changed it too, or the server will not say
        return nullptr;
    }
    known.stamp = *change.after;
    touch(known, now);
    return &known;
}

void DirectoryNames::added(const nfs::FileHandle& dir, const std::string& name,
                           const nfs::DirectoryChange& change, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    Known* known = apply(dir, change, now);
    if (!known) return;
    known->names.insert(name);
    if (known->names.size() > max_names_) forget_locked(dir);
}

void DirectoryNames::removed(const nfs::FileHandle& dir, const std::string& name,
                             const nfs::DirectoryChange& change, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    Known* known = apply(dir, change, now);
    if (known) known->names.erase(name);
}

void DirectoryNames::forget(const nfs::FileHandle& dir) {
    std::lock_guard lock(mutex_);
    forget_locked(dir);
}

bool DirectoryNames::certainly_absent(const nfs::FileHandle& dir, const std::string& name,
                                      Clock::time_point now, Clock::duration max_age) {
    std::lock_guard lock(mutex_);
    const auto found = known_.find(dir);
    if (found == known_.end()) return false;
    const Known& known = found->second;
    return now - known.confirmed < max_age && !known.names.contains(name);
}

size_t DirectoryNames::known_directories() {
    std::lock_guard lock(mutex_);
    return known_.size();
}

}  // namespace nfsfuse::cache
