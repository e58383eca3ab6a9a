#include "vfs/inode_table.h"

#include "util/error.h"

namespace nfsfuse::vfs {

InodeTable::InodeTable(nfs::FileHandle root) {
    by_handle_.emplace(root, kRootId);
    // The kernel never sends a lookup for the root, nor forgets it: give it one lookup that stays.
    by_id_.emplace(kRootId, Inode{std::move(root), 1});
}

uint64_t InodeTable::remember(const nfs::FileHandle& handle) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = by_handle_.try_emplace(handle, next_id_);
    if (inserted) {
        by_id_.emplace(next_id_, Inode{handle, 0});
        ++next_id_;
    }
    ++by_id_.at(it->second).lookups;
    return it->second;
}

std::optional<uint64_t> InodeTable::find(const nfs::FileHandle& handle) const {
    std::lock_guard lock(mutex_);
    auto it = by_handle_.find(handle);
    if (it == by_handle_.end()) return std::nullopt;
    return it->second;
}

nfs::FileHandle InodeTable::handle(uint64_t id) const {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) throw Error(ESTALE, "unknown inode " + std::to_string(id));
    return it->second.handle;
}

std::optional<nfs::FileHandle> InodeTable::forget(uint64_t id, uint64_t count) {
    if (id == kRootId) return std::nullopt;
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    if (it->second.lookups > count) {
        it->second.lookups -= count;
        return std::nullopt;
    }
    nfs::FileHandle handle = std::move(it->second.handle);
    by_handle_.erase(handle);
    by_id_.erase(it);
    return handle;
}

size_t InodeTable::size() const {
    std::lock_guard lock(mutex_);
    return by_id_.size();
}

uint64_t InodeTable::lookup_count(uint64_t id) const {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    return it == by_id_.end() ? 0 : it->second.lookups;
}

}  // namespace nfsfuse::vfs
