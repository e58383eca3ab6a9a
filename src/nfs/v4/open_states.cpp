#include "nfs/v4/open_states.h"

namespace nfsfuse::nfs::v4 {
namespace {

bool allows(OpenAccess access, bool writing) {
    if (access == OpenAccess::read_write) return true;
    return writing ? access == OpenAccess::write : access == OpenAccess::read;
}

}  // namespace

std::string OpenStates::take_owner() {
    std::lock_guard lock(mutex_);
    if (idle_owners_.empty()) return "nfsfuse-open-" + std::to_string(next_owner_++);
    std::string owner = std::move(idle_owners_.back());
    idle_owners_.pop_back();
    return owner;
}

void OpenStates::give_back_owner(std::string owner) {
    std::lock_guard lock(mutex_);
    idle_owners_.push_back(std::move(owner));
}

OpenId OpenStates::add(Open open) {
    std::lock_guard lock(mutex_);
    const OpenId id = next_id_++;
    by_handle_.emplace(open.handle, id);
    opens_.emplace(id, std::move(open));
    return id;
}

std::optional<OpenStates::Open> OpenStates::remove(OpenId id) {
    std::lock_guard lock(mutex_);
    const auto found = opens_.find(id);
    if (found == opens_.end()) return std::nullopt;
    auto [first, last] = by_handle_.equal_range(found->second.handle);
    for (auto it = first; it != last; ++it) {
        if (it->second == id) {
            by_handle_.erase(it);
            break;
        }
    }
    Open open = std::move(found->second);
    opens_.erase(found);
    return open;
}

std::optional<OpenStates::Open> OpenStates::find(OpenId id) const {
    std::lock_guard lock(mutex_);
    const auto found = opens_.find(id);
    if (found == opens_.end()) return std::nullopt;
    return found->second;
}

std::vector<std::pair<OpenId, OpenStates::Open>> OpenStates::all() const {
    std::lock_guard lock(mutex_);
    return {opens_.begin(), opens_.end()};
}

OpenStates::ForIo OpenStates::for_io(const FileHandle& handle, bool writing) const {
    std::lock_guard lock(mutex_);
    auto [first, last] = by_handle_.equal_range(handle);
    for (auto it = first; it != last; ++it) {
        const Open& open = opens_.at(it->second);
        if (allows(open.access, writing)) return {it->second, open.stateid};
    }
    return {0, Stateid::anonymous()};
}

bool OpenStates::replace(OpenId id, const Stateid& failed, const Stateid& fresh) {
    std::lock_guard lock(mutex_);
    const auto found = opens_.find(id);
    if (found == opens_.end()) return false;
    Stateid& held = found->second.stateid;
    // Two threads may reopen at once: the server answers both OPENs with one state, the later
    // with the higher seqid, which must win whatever order the answers are stored in.
    const bool newer_of_same_state = held.other == fresh.other && fresh.seqid > held.seqid;
    if (!(held == failed) && !newer_of_same_state) return false;
    held = fresh;
    return true;
}

}  // namespace nfsfuse::nfs::v4
