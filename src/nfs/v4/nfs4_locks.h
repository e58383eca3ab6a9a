// nfs::Locks over NFSv4.1 (RFC 8881 sections 9 and 18.10-18.12, 18.38): LOCK, LOCKU, LOCKT and
// FREE_STATEID, for the Nfs4Client that owns it. Lock state (LockStates) is one per file and
// lock owner: the owner's first lock on a file makes it from the open the request comes through
// (open_to_lock_owner4), later ones use its lock stateid whatever open they come through
// (exist_lock_owner4). Owners are named per mount (LockOwnerNames).
//
// Behaviour:
// - lock(): NFS4ERR_DENIED returns the lock in the way, with the pid of its owner's latest
//   lock when the owner is one of this mount's, else pid 0. A waiting request asks with
//   READW_LT / WRITEW_LT. NFS4ERR_GRACE (the server restarted and is in its grace period) is
//   waited out by the session within the call's timeout. Other errors: nfs4_status.cpp's table
//   (DEADLOCK EDEADLK, OPENMODE EBADF, LOCK_RANGE EINVAL, anything about stateids EIO).
// - A stateid the server refuses (stale, bad, expired) is first given the time for a reclaim
//   under way; a reclaimed state is used again; the open a new lock state grows from is opened
//   again; a lock state the server dropped without our reclaiming it is lost.
// - Lost locks (a reclaim refused: no grace period, NFS4ERR_RECLAIM_BAD, DENIED, or a state the
//   server dropped): logged as an error naming file handle and owner; the server holds nothing
//   of the owner on the file any more. The owner's next lock() on the file fails once with EIO
//   ("lock lost after a server restart") and the state is forgotten, so the lock() after it
//   starts afresh; unlock() forgets the lost state and succeeds (so close works); test() is not
//   affected.
// - unlock() of an owner with no state on the file sends nothing. When the owner holds nothing
//   more on the file, its lock stateid is freed (FREE_STATEID): the server keeps no state of an
//   owner that holds no locks.
// - release_open(): before the CLOSE of an open, every lock state grown from it is unlocked in
//   full and freed (the server refuses the CLOSE with NFS4ERR_LOCKS_HELD otherwise).
// - reclaim(): after the server forgot this client, in its grace period, every state's ranges
//   are LOCKed again with reclaim set, under the open it grew from (reclaimed just before by
//   Nfs4Client); a state whose reclaim is refused is lost (above).
// Thread-safety: all methods may be called concurrently. Owned by Nfs4Client; uses its Session
// and OpenStates, which outlive it.
#pragma once

#include <functional>
#include <optional>

#include "nfs/nfs_client.h"
#include "nfs/v4/lock_owner_names.h"
#include "nfs/v4/lock_states.h"
#include "nfs/v4/open_states.h"
#include "nfs/v4/session.h"

namespace nfsfuse::nfs::v4 {

class Nfs4Locks {
  public:
    // One COMPOUND under the session, counted under `what` (Nfs4Client::call).
    using Call =
        std::function<void(const CallContext& context, const char* what,
                           const Session::Build& build, const Session::Read& read, bool cachethis)>;
    // OPENs the file of `id` again unless its stateid moved on from `failed` (Nfs4Client).
    using Reopen =
        std::function<void(const CallContext& context, OpenId id, const Stateid& failed)>;

    // `mount`: a number no other mount uses, for the lock owners' names.
    Nfs4Locks(Session& session, OpenStates& opens, uint64_t mount, Call call, Reopen reopen);

    std::optional<LockHolder> lock(const CallContext& context, const FileHandle& fh, OpenId open,
                                   const LockRequest& request);
    void unlock(const CallContext& context, const FileHandle& fh, LockOwner owner,
                const LockRange& range);
    std::optional<LockHolder> test(const CallContext& context, const FileHandle& fh,
                                   const LockRequest& request);
    void release_open(OpenId open) noexcept;
    // For Session::set_reclaim, after Nfs4Client reclaimed the opens.
    void reclaim(const CallContext& context, uint64_t generation);

  private:
    LockOwner4 owner4(LockOwner owner) const;
    LockHolder holder_of(const FileHandle& fh, const LockDenied& denied) const;
    // The open's stateid as it is now; `fallback` when the open is gone.
    Stateid open_stateid(OpenId open, const Stateid& fallback) const;
    // A state refused for its stateid `sent`: true when it still holds that stateid once a
    // reclaim under way is over (the server dropped it: lost), false when it changed.
    bool still_refused(const CallContext& context, const LockStates::Key& key, const Stateid& sent);
    // LOCKU `range` under `stateid`; returns the moved-on stateid.
    Stateid send_unlock(const CallContext& context, const FileHandle& fh, const Stateid& stateid,
                        const LockRange& range);
    // FREE_STATEID of a lock state that holds nothing (any left over is unlocked first).
    // Failures are logged: a lock state without locks costs the server only memory.
    void free_state(const CallContext& context, const LockStates::Key& key, const Stateid& stateid);
    // Reclaims one state; marks it lost when refused.
    void reclaim_state(const CallContext& context, const LockStates::Key& key,
                       const LockStates::State& state);

    Session& session_;
    OpenStates& opens_;
    const LockOwnerNames names_;
    const Call call_;
    const Reopen reopen_;
    LockStates states_;
};

}  // namespace nfsfuse::nfs::v4
