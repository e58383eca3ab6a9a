#include "nfs/v4/lock_states.h"

#include <cerrno>

#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

// How often a caller waiting for its turn looks whether it was interrupted.
constexpr std::chrono::milliseconds kTurnCheck{100};

}  // namespace

LockStates::Turn::Turn(LockStates& states, Key key, std::shared_ptr<Entry> entry)
    : states_(states), key_(std::move(key)), entry_(std::move(entry)) {}

LockStates::Turn::~Turn() {
    entry_->turn.unlock();
    states_.end_turn(key_, entry_);
}

std::unique_ptr<LockStates::Turn> LockStates::take_turn(const Key& key,
                                                        const CallContext& context) {
    std::shared_ptr<Entry> entry;
    {
        std::lock_guard lock(mutex_);
        std::shared_ptr<Entry>& slot = entries_[key];
        if (!slot) slot = std::make_shared<Entry>();
        entry = slot;
        ++entry->users;
    }
    while (!entry->turn.try_lock_for(kTurnCheck)) {
        if (context.cancelled()) {
            end_turn(key, entry);
            throw Error(EINTR, "lock: interrupted while another call of the owner ran");
        }
    }
    return std::make_unique<Turn>(*this, key, std::move(entry));
}

void LockStates::end_turn(const Key& key, const std::shared_ptr<Entry>& entry) {
    std::lock_guard lock(mutex_);
    // An entry that holds no state goes once nobody waits for it.
    if (--entry->users == 0 && !entry->kept) entries_.erase(key);
}

LockStates::Kept* LockStates::kept_at(const Key& key) const {
    const auto found = entries_.find(key);
    if (found == entries_.end() || !found->second->kept) return nullptr;
    return &*found->second->kept;
}

std::optional<LockStates::State> LockStates::find(const Key& key) const {
    std::lock_guard lock(mutex_);
    const Kept* kept = kept_at(key);
    if (!kept) return std::nullopt;
    return State{kept->open, kept->stateid, kept->lost, kept->pid, kept->held.all()};
}

void LockStates::granted(const Key& key, OpenId open, const Stateid& stateid, LockType type,
                         const LockRange& range, uint32_t pid) {
    std::lock_guard lock(mutex_);
    std::shared_ptr<Entry>& entry = entries_[key];
    if (!entry) entry = std::make_shared<Entry>();
    if (!entry->kept) entry->kept = Kept{open, stateid, false, pid, {}};
    entry->kept->stateid = stateid;
    entry->kept->pid = pid;
    entry->kept->held.lock(type, range);
}

bool LockStates::unlocked(const Key& key, const Stateid& stateid, const LockRange& range) {
    std::lock_guard lock(mutex_);
    Kept* kept = kept_at(key);
    if (!kept) return true;
    kept->stateid = stateid;
    kept->held.unlock(range);
    return kept->held.empty();
}

void LockStates::forget(const Key& key) {
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(key);
    if (found == entries_.end()) return;
    found->second->kept.reset();
    if (found->second->users == 0) entries_.erase(found);
}

void LockStates::mark_lost(const Key& key) {
    std::lock_guard lock(mutex_);
    if (Kept* kept = kept_at(key)) {
        kept->lost = true;
        kept->held = {};
    }
}

bool LockStates::reclaimed(const Key& key, const Stateid& old, const Stateid& fresh) {
    std::lock_guard lock(mutex_);
    Kept* kept = kept_at(key);
    if (!kept || kept->lost || !(kept->stateid == old)) return false;
    kept->stateid = fresh;
    return true;
}

std::vector<LockStates::Key> LockStates::grown_from(OpenId open) const {
    std::lock_guard lock(mutex_);
    std::vector<Key> keys;
    for (const auto& [key, entry] : entries_)
        if (entry->kept && entry->kept->open == open) keys.push_back(key);
    return keys;
}

std::vector<std::pair<LockStates::Key, LockStates::State>> LockStates::held() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<Key, State>> states;
    for (const auto& [key, entry] : entries_) {
        const std::optional<Kept>& kept = entry->kept;
        if (kept && !kept->lost)
            states.emplace_back(
                key, State{kept->open, kept->stateid, false, kept->pid, kept->held.all()});
    }
    return states;
}

uint32_t LockStates::pid_of(const Key& key) const {
    std::lock_guard lock(mutex_);
    const Kept* kept = kept_at(key);
    return kept && !kept->lost ? kept->pid : 0;
}

}  // namespace nfsfuse::nfs::v4
