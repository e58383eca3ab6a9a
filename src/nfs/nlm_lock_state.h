// What this mount's lock owners hold on the server, as far as NLM replies told us: per owner its
// svid (fixed while the owner holds or asks for anything, as the server knows the owner by it),
// and per file the bytes it holds, or that its locks there were lost (a server restart: nfsfuse
// runs no statd and does not reclaim). Pure bookkeeping: NlmLocks makes the calls.
// Thread-safety: every method is safe from any thread (one mutex). Owned by NlmLocks.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>

#include "nfs/byte_ranges.h"
#include "nfs/types.h"

namespace nfsfuse::nfs {

class NlmLockState {
  public:
    // A call of `owner` starts: returns the svid its calls carry. The owner's svid while it is
    // known; else `pid` when it is a process id no other owner of this mount has, else a
    // derived one. Every begin_call is matched by one end_call.
    uint32_t begin_call(LockOwner owner, uint32_t pid);
    void end_call(LockOwner owner);

    // The server granted `range` (or may have: a LOCK whose reply never came).
    void granted(LockOwner owner, const FileHandle& fh, const LockRange& range);
    // The owner holds nothing in `range` any more. An unlock of the whole file also forgets
    // that its locks there were lost (POSIX: a close releases them all).
    void released(LockOwner owner, const FileHandle& fh, const LockRange& range);
    // The owner may hold something in `range` (an UNLOCK there is worth sending).
    bool holds(LockOwner owner, const FileHandle& fh, const LockRange& range) const;
    // True once after the owner's locks on `fh` were lost, and forgets them.
    bool take_lost(LockOwner owner, const FileHandle& fh);

    // The server lost every lock (it restarted): each owner's next lock on each file it held
    // locks on fails once (take_lost). Returns how many (owner, file) pairs lost locks.
    size_t mark_all_lost();
    bool holds_any() const;

  private:
    struct FileLocks {
        ByteRanges held;
        bool lost = false;
    };
    struct OwnerState {
        uint32_t svid = 0;
        int calls = 0;  // begin_call without end_call yet
        std::unordered_map<FileHandle, FileLocks, FileHandleHash> files;
    };
    // Forgets `owner` when nothing of it is left. Under mutex_.
    void forget_if_idle(LockOwner owner);
    // Drops `fh` of `state` when nothing of it is left. Under mutex_.
    static void forget_file_if_empty(OwnerState& state, const FileHandle& fh);

    mutable std::mutex mutex_;
    std::unordered_map<LockOwner, OwnerState> owners_;  // guarded by mutex_
    std::map<uint32_t, LockOwner> owner_by_svid_;       // guarded by mutex_
};

}  // namespace nfsfuse::nfs
