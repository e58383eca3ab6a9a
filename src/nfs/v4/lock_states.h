// The lock state this mount holds on an NFSv4.1 server: one per file and lock owner (a lock
// stateid stands for one lock-owner's locks on one file, RFC 8881 section 9.1.4), with the open
// it grew from, its stateid as the server last returned it, the ranges granted (HeldLocks, for
// reclaim after a server restart), the pid of the owner's latest lock request (F_GETLK answers
// name it), and whether the state was lost.
// Calls of one owner on one file take turns (take_turn): one at a time, so that the stateid each
// sends is the one the previous returned and the ranges kept follow the order in which the
// server applied them. The table's own mutex is held only to read or change the table, never
// across a call; a reclaim after a server restart changes states without a turn (the calls it
// races then fail for their stale stateid and look again).
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nfs/call_context.h"
#include "nfs/types.h"
#include "nfs/v4/held_locks.h"
#include "nfs/v4/nfs4_types.h"

namespace nfsfuse::nfs::v4 {

class LockStates {
  public:
    struct Key {
        FileHandle handle;
        LockOwner owner = 0;
        bool operator==(const Key&) const = default;
    };
    // A copy of one state, for a call to use.
    struct State {
        OpenId open = 0;  // the open the state grew from (open_to_lock_owner4)
        Stateid stateid;
        // The server no longer holds it (a reclaim was refused): the owner's next lock reports
        // it once, an unlock forgets it.
        bool lost = false;
        uint32_t pid = 0;
        std::vector<HeldLocks::Held> held;
    };

  private:
    struct Kept {
        OpenId open = 0;
        Stateid stateid;
        bool lost = false;
        uint32_t pid = 0;
        HeldLocks held;
    };
    struct Entry {
        std::optional<Kept> kept;  // guarded by LockStates::mutex_
        int users = 0;             // turns held or awaited; guarded by LockStates::mutex_
        std::timed_mutex turn;     // held by the call whose turn it is
    };

  public:
    // One call's turn at a (file, owner); ends when destroyed.
    class Turn {
      public:
        Turn(LockStates& states, Key key, std::shared_ptr<Entry> entry);
        ~Turn();
        Turn(const Turn&) = delete;
        Turn& operator=(const Turn&) = delete;

      private:
        LockStates& states_;
        const Key key_;
        const std::shared_ptr<Entry> entry_;
    };

    // Waits for the turn at `key`. Throws EINTR when `context` is cancelled meanwhile.
    [[nodiscard]] std::unique_ptr<Turn> take_turn(const Key& key, const CallContext& context);

    std::optional<State> find(const Key& key) const;
    // The server granted `range` under `stateid` (a new state grows from `open`).
    void granted(const Key& key, OpenId open, const Stateid& stateid, LockType type,
                 const LockRange& range, uint32_t pid);
    // The server released `range`, and the state's stateid moved on to `stateid`. Returns true
    // when the owner holds nothing more on the file.
    bool unlocked(const Key& key, const Stateid& stateid, const LockRange& range);
    void forget(const Key& key);
    void mark_lost(const Key& key);
    // A reclaim got `fresh` for the state that was `old`. False when the state changed since
    // (then `fresh` is not kept).
    bool reclaimed(const Key& key, const Stateid& old, const Stateid& fresh);

    // The states that grew from `open`.
    std::vector<Key> grown_from(OpenId open) const;
    // Every state not lost, for a reclaim.
    std::vector<std::pair<Key, State>> held() const;
    // The pid of the owner's latest lock on the file, 0 when it holds none.
    uint32_t pid_of(const Key& key) const;

  private:
    struct KeyHash {
        size_t operator()(const Key& key) const noexcept {
            return FileHandleHash{}(key.handle) ^ std::hash<LockOwner>{}(key.owner) * 31;
        }
    };
    // With mutex_ held: the state kept at `key`, or nullptr.
    Kept* kept_at(const Key& key) const;
    void end_turn(const Key& key, const std::shared_ptr<Entry>& entry);

    mutable std::mutex mutex_;
    std::unordered_map<Key, std::shared_ptr<Entry>, KeyHash> entries_;  // guarded by mutex_
};

}  // namespace nfsfuse::nfs::v4
