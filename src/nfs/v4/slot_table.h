// The fore-channel slots of one NFSv4.1 session (RFC 8881 section 2.10.6). Every request uses a
// slot, and each slot carries its own sequence id; the server runs a request only if its sequence
// id is the slot's next one, and answers a repeated one from its reply cache. So: a request takes
// a free slot and sends the slot's current sequence id; when the server's SEQUENCE succeeded (even
// if an operation after it failed) the id advances; when SEQUENCE itself failed, or the request
// never reached the server, the slot is given back unchanged; and when the reply was lost with the
// connection, the caller keeps the slot and sends the very same request again (a replay).
// The server may ask for fewer slots (target_highest_slotid): slots above it are left unused.
// A table belongs to one session: a new session comes with a new table, and the old one is
// retired so that calls still waiting on it go over to the new one.
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "nfs/call_context.h"

namespace nfsfuse::nfs::v4 {

// The slots a new session gets from CREATE_SESSION's ca_maxrequests: at least one, and never more
// than we asked for (RFC 8881 section 18.36.3 lets a server lower the number, not raise it). The
// number comes from the server, and a table allocates a slot for each.
uint32_t slots_granted(uint32_t asked, uint32_t granted);

class SlotTable {
  public:
    struct Slot {
        uint32_t id = 0;
        uint32_t sequence = 0;
    };

    // `slots`: how many the session was given (ca_maxrequests), at least 1.
    explicit SlotTable(uint32_t slots);

    // A free slot, the lowest first; waits while all are in use. Nothing once the table is
    // retired (its session was replaced). Throws EINTR when `context` is cancelled.
    std::optional<Slot> acquire(const CallContext& context);
    // The highest slot id in use right now, for SEQUENCE's sa_highest_slotid.
    uint32_t highest_in_use() const;
    // The server ran the request (SEQUENCE succeeded): the slot's sequence advances. `target`:
    // the server's sr_target_highest_slotid.
    void completed(const Slot& slot, uint32_t target);
    // The server holds this sequence id for an earlier request: it kept no reply to replay
    // (NFS4ERR_RETRY_UNCACHED_REP) or saw another request with it (NFS4ERR_SEQ_FALSE_RETRY).
    // The id is used up: free, with the next one.
    void skipped(const Slot& slot);
    // The server did not run it (SEQUENCE failed, or it was never sent): free, unchanged.
    void released_unused(const Slot& slot);
    // Its session was replaced: acquire() hands out nothing more and wakes its waiters. Slots
    // held now are given back by their holders as usual.
    void retire();

    uint32_t size() const;

  private:
    struct State {
        uint32_t sequence = 1;
        bool in_use = false;
    };
    bool usable(uint32_t id) const { return id <= target_; }

    mutable std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<State> slots_;  // guarded by mutex_
    uint32_t target_ = 0;       // guarded by mutex_: the highest slot id the server wants used
    bool retired_ = false;      // guarded by mutex_
};

}  // namespace nfsfuse::nfs::v4
