#include "nfs/v4/nfs4_locks.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <limits>

#include "nfs/v4/nfs4_status.h"
#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

// NFS's length of a lock "to the end of the file".
constexpr uint64_t kAllOnes = std::numeric_limits<uint64_t>::max();
// A call refused for its stateid goes again with the state's newer one this many times at most:
// more means the server keeps refusing what it hands out, and the call fails with its error.
constexpr int kStateRetries = 2;
const LockRange kWholeFile{0, 0};

LockType4 type4_of(LockType type, bool waiting) {
    if (type == LockType::read) return waiting ? LockType4::readw : LockType4::read;
    return waiting ? LockType4::writew : LockType4::write;
}

uint64_t nfs_length(const LockRange& range) {
    return range.length == 0 ? kAllOnes : range.length;
}

// A range reaching the last offset or beyond is "to the end" (0): fcntl cannot say more.
LockRange range_of(uint64_t offset, uint64_t length) {
    if (length >= kAllOnes - offset) return {offset, 0};
    return {offset, length};
}

// For log lines: a file handle as hex.
std::string hex_of(const FileHandle& fh) {
    std::string hex;
    hex.reserve(fh.bytes.size() * 2);
    char byte[3];
    for (const char c : fh.bytes) {
        std::snprintf(byte, sizeof byte, "%02x", static_cast<unsigned char>(c));
        hex += byte;
    }
    return hex;
}

std::string describe(const LockStates::Key& key) {
    return "file handle " + hex_of(key.handle) + ", lock owner " + std::to_string(key.owner);
}

}  // namespace

Nfs4Locks::Nfs4Locks(Session& session, OpenStates& opens, uint64_t mount, Call call, Reopen reopen)
    : session_(session),
      opens_(opens),
      names_(mount),
      call_(std::move(call)),
      reopen_(std::move(reopen)) {}

LockOwner4 Nfs4Locks::owner4(LockOwner owner) const {
    // The client id of now: a name outlives client ids (server restarts).
    return {session_.clientid(), names_.name_of(owner)};
}

LockHolder Nfs4Locks::holder_of(const FileHandle& fh, const LockDenied& denied) const {
    LockHolder holder;
    holder.type = denied.type == LockType4::read || denied.type == LockType4::readw
                      ? LockType::read
                      : LockType::write;
    holder.range = range_of(denied.offset, denied.length);
    if (const std::optional<LockOwner> ours = names_.owner_of(denied.owner))
        holder.pid = states_.pid_of({fh, *ours});
    return holder;
}

Stateid Nfs4Locks::open_stateid(OpenId open, const Stateid& fallback) const {
    const std::optional<OpenStates::Open> found = opens_.find(open);
    return found ? found->stateid : fallback;
}

bool Nfs4Locks::still_refused(const CallContext& context, const LockStates::Key& key,
                              const Stateid& sent) {
    session_.wait_for_reclaim(context);
    const std::optional<LockStates::State> state = states_.find(key);
    return state && !state->lost && state->stateid == sent;
}

std::optional<LockHolder> Nfs4Locks::lock(const CallContext& context, const FileHandle& fh,
                                          OpenId open, const LockRequest& request) {
    const std::optional<OpenStates::Open> through = opens_.find(open);
    if (!through) throw Error(EBADF, "LOCK: the file is not open");
    const LockStates::Key key{fh, request.owner};
    const auto turn = states_.take_turn(key, context);
    const LockType4 type = type4_of(request.type, request.waiting);
    const uint64_t length = nfs_length(request.range);
    for (int attempt = 0;; ++attempt) {
        if (const auto state = states_.find(key); state && state->lost) {
            states_.forget(key);  // reported once; the next lock starts afresh
            throw Error(EIO, "LOCK: lock lost after a server restart");
        }
        bool new_owner = false;
        Stateid sent;
        LockReply reply;
        try {
            call_(
                context, "LOCK",
                [&](CompoundBuilder& b) {
                    // Read at every send: a reclaim (maybe by this call's own recovery)
                    // replaces stateids.
                    const std::optional<LockStates::State> state = states_.find(key);
                    new_owner = !state;
                    b.putfh(fh);
                    if (state) {
                        sent = state->stateid;
                        b.lock_existing_owner(type, false, request.range.offset, length, sent);
                    } else {
                        sent = open_stateid(open, through->stateid);
                        b.lock_new_owner(type, false, request.range.offset, length, sent,
                                         owner4(request.owner));
                    }
                },
                [&](CompoundReply& r) {
                    r.putfh();
                    reply = r.lock();
                },
                /*cachethis=*/true);
        } catch (const Nfs4Error& error) {
            if (!stateid_outdated(error.status()) || attempt == kStateRetries) throw;
            if (new_owner) {
                // The open's state is gone: reclaimed meanwhile, or to be opened again.
                session_.wait_for_reclaim(context);
                if (open_stateid(open, sent) == sent) reopen_(context, open, sent);
            } else if (still_refused(context, key, sent)) {
                spdlog::error("{}: the server dropped the lock state ({}); its locks are lost",
                              describe(key), error.what());
                states_.mark_lost(key);
            }
            continue;
        }
        if (reply.denied) return holder_of(fh, *reply.denied);
        states_.granted(key, open, reply.stateid, request.type, request.range, request.pid);
        return std::nullopt;
    }
}

Stateid Nfs4Locks::send_unlock(const CallContext& context, const FileHandle& fh,
                               const Stateid& stateid, const LockRange& range) {
    Stateid moved_on;
    call_(
        context, "LOCKU",
        [&](CompoundBuilder& b) {
            b.putfh(fh).locku(LockType4::write, stateid, range.offset, nfs_length(range));
        },
        [&](CompoundReply& r) {
            r.putfh();
            moved_on = r.locku();
        },
        /*cachethis=*/true);
    return moved_on;
}

void Nfs4Locks::unlock(const CallContext& context, const FileHandle& fh, LockOwner owner,
                       const LockRange& range) {
    const LockStates::Key key{fh, owner};
    const auto turn = states_.take_turn(key, context);
    for (int attempt = 0;; ++attempt) {
        const std::optional<LockStates::State> state = states_.find(key);
        if (!state) return;  // nothing held: nothing to send
        if (state->lost) {
            states_.forget(key);  // the server holds nothing of it
            return;
        }
        Stateid moved_on;
        try {
            moved_on = send_unlock(context, fh, state->stateid, range);
        } catch (const Nfs4Error& error) {
            if (!stateid_outdated(error.status()) || attempt == kStateRetries) throw;
            if (still_refused(context, key, state->stateid)) {
                // The server dropped the state, and with it every lock under it.
                spdlog::warn("{}: unlock: {}; the server holds no locks of it", describe(key),
                             error.what());
                states_.forget(key);
                return;
            }
            continue;  // reclaimed meanwhile: unlock what was reclaimed
        }
        if (states_.unlocked(key, moved_on, range)) {
            free_state(context, key, moved_on);
            states_.forget(key);
        }
        return;
    }
}

void Nfs4Locks::free_state(const CallContext& context, const LockStates::Key& key,
                           const Stateid& stateid) {
    const auto free_stateid = [&](const Stateid& id) {
        call_(
            context, "FREE_STATEID", [&](CompoundBuilder& b) { b.free_stateid(id); },
            [](CompoundReply& r) { r.free_stateid(); }, /*cachethis=*/true);
    };
    try {
        try {
            free_stateid(stateid);
        } catch (const Nfs4Error& error) {
            // Locks we do not know of (a LOCK whose answer was lost to a timeout): gone first.
            if (error.status() != Nfs4Status::locks_held) throw;
            free_stateid(send_unlock(context, key.handle, stateid, kWholeFile));
        }
    } catch (const Error& error) {
        spdlog::warn("{}: freeing the lock state: {}", describe(key), error.what());
    }
}

std::optional<LockHolder> Nfs4Locks::test(const CallContext& context, const FileHandle& fh,
                                          const LockRequest& request) {
    std::optional<LockDenied> denied;
    call_(
        context, "LOCKT",
        [&](CompoundBuilder& b) {
            b.putfh(fh).lockt(type4_of(request.type, false), request.range.offset,
                              nfs_length(request.range), owner4(request.owner));
        },
        [&](CompoundReply& r) {
            r.putfh();
            denied = r.lockt();
        },
        /*cachethis=*/false);
    if (!denied) return std::nullopt;
    return holder_of(fh, *denied);
}

void Nfs4Locks::release_open(OpenId open) noexcept {
    const CallContext own;
    for (const LockStates::Key& key : states_.grown_from(open)) {
        try {
            const auto turn = states_.take_turn(key, own);
            const std::optional<LockStates::State> state = states_.find(key);
            if (!state || state->open != open) continue;
            if (!state->lost) {
                const Stateid moved_on = send_unlock(own, key.handle, state->stateid, kWholeFile);
                free_state(own, key, moved_on);
            }
            states_.forget(key);
        } catch (const Error& error) {
            // The CLOSE that follows fails too (NFS4ERR_LOCKS_HELD) and says so; the server
            // drops both with our lease at the latest.
            spdlog::warn("{}: releasing the locks before a close: {}", describe(key), error.what());
            states_.forget(key);
        }
    }
}

void Nfs4Locks::reclaim(const CallContext& context, uint64_t generation) {
    for (const auto& [key, state] : states_.held()) {
        // A newer restart while we were at it: its own reclaim does them all.
        if (session_.client_generation() != generation) return;
        reclaim_state(context, key, state);
    }
}

void Nfs4Locks::reclaim_state(const CallContext& context, const LockStates::Key& key,
                              const LockStates::State& state) {
    std::optional<Stateid> reclaimed;
    try {
        for (const HeldLocks::Held& held : state.held) {
            LockReply reply;
            call_(
                context, "LOCK",
                [&](CompoundBuilder& b) {
                    b.putfh(key.handle);
                    const LockType4 type = type4_of(held.type, false);
                    const uint64_t length = nfs_length(held.range);
                    if (reclaimed)
                        b.lock_existing_owner(type, true, held.range.offset, length, *reclaimed);
                    else
                        b.lock_new_owner(type, true, held.range.offset, length,
                                         open_stateid(state.open, state.stateid),
                                         owner4(key.owner));
                },
                [&](CompoundReply& r) {
                    r.putfh();
                    reply = r.lock();
                },
                /*cachethis=*/true);
            if (reply.denied) throw Error(EAGAIN, "LOCK: another client holds the lock now");
            reclaimed = reply.stateid;
        }
    } catch (const Error& error) {
        spdlog::error(
            "{}: the lock could not be reclaimed after the server restarted ({}); it "
            "is lost",
            describe(key), error.what());
        // What was reclaimed before the refusal goes too: a lost state holds nothing.
        if (reclaimed) {
            try {
                free_state(context, key, send_unlock(context, key.handle, *reclaimed, kWholeFile));
            } catch (const Error& release_error) {
                spdlog::warn("{}: releasing a partial reclaim: {}", describe(key),
                             release_error.what());
            }
        }
        states_.mark_lost(key);
        return;
    }
    if (reclaimed && states_.reclaimed(key, state.stateid, *reclaimed))
        spdlog::info("{}: locks reclaimed after the server restarted", describe(key));
}

}  // namespace nfsfuse::nfs::v4
