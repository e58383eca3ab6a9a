#include "nfs/nlm_lock_state.h"

#include "nfs/nlm_owners.h"

namespace nfsfuse::nfs {

uint32_t NlmLockState::begin_call(LockOwner owner, uint32_t pid) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = owners_.try_emplace(owner);
    OwnerState& state = it->second;
    ++state.calls;
    if (!inserted) return state.svid;
    // Servers that know an owner by host and svid alone (Linux lockd) would merge two owners
    // with one svid: each owner of this mount gets its own.
    uint32_t svid = (pid != 0 && !(pid & kDerivedSvidBit)) ? pid : derived_svid(owner);
    while (owner_by_svid_.count(svid))
        svid = derived_svid(owner + svid);  // taken: another derived value
    state.svid = svid;
    owner_by_svid_.emplace(svid, owner);
    return svid;
}

void NlmLockState::end_call(LockOwner owner) {
    std::lock_guard lock(mutex_);
    auto it = owners_.find(owner);
    if (it == owners_.end()) return;
    --it->second.calls;
    forget_if_idle(owner);
}

void NlmLockState::granted(LockOwner owner, const FileHandle& fh, const LockRange& range) {
    std::lock_guard lock(mutex_);
    auto it = owners_.find(owner);
    if (it == owners_.end()) return;  // only within begin_call/end_call
    it->second.files[fh].held.add(range);
}

void NlmLockState::released(LockOwner owner, const FileHandle& fh, const LockRange& range) {
    std::lock_guard lock(mutex_);
    auto it = owners_.find(owner);
    if (it == owners_.end()) return;
    auto file = it->second.files.find(fh);
    if (file == it->second.files.end()) return;
    file->second.held.remove(range);
    if (range.offset == 0 && range.length == 0) file->second.lost = false;
    forget_file_if_empty(it->second, fh);
    forget_if_idle(owner);
}

bool NlmLockState::holds(LockOwner owner, const FileHandle& fh, const LockRange& range) const {
    std::lock_guard lock(mutex_);
    auto it = owners_.find(owner);
    if (it == owners_.end()) return false;
    auto file = it->second.files.find(fh);
    return file != it->second.files.end() && file->second.held.intersects(range);
}

bool NlmLockState::take_lost(LockOwner owner, const FileHandle& fh) {
    std::lock_guard lock(mutex_);
    auto it = owners_.find(owner);
    if (it == owners_.end()) return false;
    auto file = it->second.files.find(fh);
    if (file == it->second.files.end() || !file->second.lost) return false;
    file->second.lost = false;
    forget_file_if_empty(it->second, fh);
    forget_if_idle(owner);
    return true;
}

size_t NlmLockState::mark_all_lost() {
    std::lock_guard lock(mutex_);
    size_t pairs = 0;
    for (auto& [owner, state] : owners_) {
        for (auto& [fh, file] : state.files) {
            if (file.held.empty()) continue;
            file.held = ByteRanges{};
            file.lost = true;
            ++pairs;
        }
    }
    return pairs;
}

bool NlmLockState::holds_any() const {
    std::lock_guard lock(mutex_);
    for (const auto& [owner, state] : owners_)
        for (const auto& [fh, file] : state.files)
            if (!file.held.empty()) return true;
    return false;
}

void NlmLockState::forget_file_if_empty(OwnerState& state, const FileHandle& fh) {
    auto file = state.files.find(fh);
    if (file != state.files.end() && file->second.held.empty() && !file->second.lost)
        state.files.erase(file);
}

void NlmLockState::forget_if_idle(LockOwner owner) {
    auto it = owners_.find(owner);
    if (it == owners_.end() || it->second.calls > 0 || !it->second.files.empty()) return;
    owner_by_svid_.erase(it->second.svid);
    owners_.erase(it);
}

}  // namespace nfsfuse::nfs
