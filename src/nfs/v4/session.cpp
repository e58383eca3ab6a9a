#include "nfs/v4/session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "nfs/v4/nfs4_status.h"
#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Pauses after NFS4ERR_DELAY / GRACE: short at first, at most a few seconds (a grace period
// lasts about a lease, 90 s on most servers).
constexpr milliseconds kFirstPause{50};
constexpr milliseconds kLongestPause{3000};
// Bounds for setup calls on a hard mount: a user waiting at `mount` wants an answer.
constexpr milliseconds kSetupTimeout{60000};
// EXCHANGE_ID and CREATE_SESSION pairs tried when the client id keeps going in between.
constexpr int kRegisterAttempts = 3;
// Bound for ending a replaced session: it is only tidying up.
constexpr milliseconds kDestroyTimeout{5000};
// Bound for binding a connection to a new session outside any call.
constexpr milliseconds kBindTimeout{15000};
// The back channel we offer but never use (no delegations): the smallest the server takes.
constexpr ChannelAttrs kBackChannel{0, 4096, 4096, 0, 2, 1};
constexpr uint32_t kCallbackProgram = 0x40000000;
constexpr uint32_t kMaxOperations = 16;

template <class T>
bool is_one_of(T value, std::initializer_list<T> values) {
    return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

namespace {

// The connection's TCP liveness follows the mount's timeout, as the kernel's does.
RpcSettings rpc_settings_of(const SessionSettings& settings) {
    RpcSettings rpc = settings.rpc;
    rpc.liveness = tcp_liveness_for(settings.liveness_timeout.count() ? settings.liveness_timeout
                                                                      : settings.call_timeout);
    return rpc;
}

// The mount's connections, each made at once (a server that takes only some fails the mount).
std::vector<std::unique_ptr<RpcTransport>> connect(const SessionSettings& settings) {
    std::vector<std::unique_ptr<RpcTransport>> transports;
    for (uint32_t i = 0; i < std::max<uint32_t>(settings.connections, 1); ++i)
        transports.push_back(std::make_unique<RpcConnection>(rpc_settings_of(settings)));
    return transports;
}

std::vector<std::unique_ptr<RpcTransport>> one(std::unique_ptr<RpcTransport> transport) {
    std::vector<std::unique_ptr<RpcTransport>> transports;
    transports.push_back(std::move(transport));
    return transports;
}

}  // namespace

Session::Session(SessionSettings settings) : Session(settings, connect(settings)) {}

Session::Session(SessionSettings settings, std::unique_ptr<RpcTransport> transport)
    : Session(std::move(settings), one(std::move(transport))) {}

Session::Session(SessionSettings settings, std::vector<std::unique_ptr<RpcTransport>> transports)
    : settings_(std::move(settings)),
      connections_(std::move(transports)),
      verifier_(
          static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count())) {
    // No other thread can see this object yet: no locking needed until it returns.
    const CallContext never;
    register_client(never);
    reclaim_complete(never);
}

void Session::register_client(const CallContext& context) {
    for (int attempt = 1;; ++attempt) {
        exchange_id(context);
        try {
            create_session(context);
            return;
        } catch (const Nfs4Error& error) {
            // The client id went between the two: the nfsfuse that served this mountpoint before
            // (the same owner, so the same id) ended it on its way out, or the server restarted.
            // Registering again gets a live one, as recover() does for a running session.
            if (attempt >= kRegisterAttempts ||
                !is_one_of(error.status(), {Nfs4Status::stale_clientid, Nfs4Status::expired}))
                throw;
            spdlog::info("{}: {} before the first session; registering again", settings_.rpc.host,
                         error.what());
        }
    }
}

void Session::reclaim_complete(const CallContext& context) {
    // We reclaim nothing (no state survives a restart of ours or the server's): say so at once,
    // so the server lets us open files before its grace period ends.
    try {
        call(
            context, "RECLAIM_COMPLETE", [](CompoundBuilder& b) { b.reclaim_complete(); },
            [](CompoundReply& r) { r.reclaim_complete(); });
    } catch (const Nfs4Error& error) {
        if (error.status() != Nfs4Status::complete_already) throw;
    }
}

void Session::start_lease_renewal(std::chrono::seconds lease) {
    if (renewer_.joinable()) return;
    // A third of the lease leaves two more tries before it runs out; at least a second, for
    // servers that announce a lease of 0 or 1.
    const milliseconds interval = std::max<milliseconds>(
        std::chrono::duration_cast<milliseconds>(lease) / 3, milliseconds{1000});
    renewer_ = std::thread([this, interval] { renew_lease_until_stopped(interval); });
}

void Session::renew_lease_until_stopped(milliseconds interval) {
    std::unique_lock lock(renewal_mutex_);
    while (!renewal_stopping_) {
        const Clock::time_point due =
            Clock::time_point(Clock::duration(last_renewed_.load())) + interval;
        if (Clock::now() < due) {
            renewal_wake_.wait_until(lock, due);
            continue;
        }
        lock.unlock();
        try {
            ++renewals_sent_;
            call(
                renewal_cancel_, "SEQUENCE", [](CompoundBuilder&) {}, [](CompoundReply&) {});
        } catch (const Error& error) {
            // The calls that need the server report its failures; this one only says why the
            // lease may run out, and tries again after a pause.
            spdlog::warn("renewing the NFSv4.1 lease with {}: {}", settings_.rpc.host,
                         error.what());
            lock.lock();
            renewal_wake_.wait_for(lock, interval, [this] { return renewal_stopping_; });
            continue;
        }
        lock.lock();
    }
}

void Session::stop_lease_renewal() {
    {
        std::lock_guard lock(renewal_mutex_);
        renewal_stopping_ = true;
    }
    renewal_cancel_.cancel();
    renewal_wake_.notify_all();
    if (renewer_.joinable()) renewer_.join();
}

Session::~Session() {
    stop_lease_renewal();
    try {
        const CallContext never;
        const SessionId session = current()->id;
        call_without_session(never, [&](CompoundBuilder& b) { b.destroy_session(session); });
        call_without_session(never, [&](CompoundBuilder& b) { b.destroy_clientid(clientid_); });
    } catch (const Error& error) {
        spdlog::debug("ending the NFSv4.1 session: {}", error.what());
    }
}

uint64_t Session::clientid() const {
    std::lock_guard lock(mutex_);
    return clientid_;
}

uint64_t Session::client_generation() const {
    std::lock_guard lock(mutex_);
    return client_generation_;
}

void Session::wait_for_reclaim(const CallContext& context) const {
    std::unique_lock lock(mutex_);
    while (reclaimed_generation_ < client_generation_) {
        if (context.cancelled()) throw Error(EINTR, "waiting for a reclaim: interrupted");
        reclaim_over_.wait_for(lock, milliseconds{100});
    }
}

uint64_t Session::sessions_created() const {
    return current()->generation;
}

std::shared_ptr<Session::Current> Session::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

milliseconds Session::remaining(Clock::time_point deadline) const {
    if (settings_.call_timeout.count() == 0) return milliseconds{0};  // 0: no limit
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) throw Error(ETIMEDOUT, "no reply from " + settings_.rpc.host);
    return left;
}

RpcReply Session::call_without_session(const CallContext& context, const Build& build) {
    return call_without_session(
        context, build, settings_.call_timeout.count() ? settings_.call_timeout : kSetupTimeout);
}

RpcReply Session::call_without_session(const CallContext& context, const Build& build,
                                       milliseconds timeout) {
    CompoundBuilder builder("nfsfuse");
    build(builder);
    // The first connection: CREATE_SESSION binds the one it goes over.
    return connections_.transport(0).call(context, kNfsProc4Compound, builder.finish(), timeout);
}

void Session::bind_connection(const CallContext& context, RpcTransport& transport,
                              const SessionId& session, milliseconds timeout) {
    CompoundBuilder builder("nfsfuse");
    // The fore channel only: we never use the back channel (as Linux's client binds the
    // connections of nconnect beyond the first when it has none).
    builder.bind_conn_to_session(session, channel_dir_from_client4::fore);
    const RpcReply reply = transport.call(context, kNfsProc4Compound, builder.finish(), timeout);
    CompoundReply results(reply.results());
    const BindConnReply bound = results.bind_conn_to_session();
    if (bound.sessionid != session || bound.direction != channel_dir_from_server4::fore)
        throw Error(EIO, "BIND_CONN_TO_SESSION: the server bound another session or channel");
}

void Session::exchange_id(const CallContext& context) {
    const RpcReply reply = call_without_session(context, [&](CompoundBuilder& b) {
        b.exchange_id(verifier_, settings_.owner_id, exchgid4_flag::use_non_pnfs);
    });
    CompoundReply results(reply.results());
    const ExchangeIdReply exchanged = results.exchange_id();
    clientid_ = exchanged.clientid;
    create_session_sequence_ = exchanged.sequenceid;
}

void Session::create_session(const CallContext& context) {
    const ChannelAttrs fore{0,
                            settings_.max_request,
                            settings_.max_response,
                            settings_.max_response,
                            kMaxOperations,
                            settings_.slots};
    const RpcReply reply = call_without_session(context, [&](CompoundBuilder& b) {
        b.create_session(clientid_, create_session_sequence_, 0, fore, kBackChannel,
                         kCallbackProgram, std::nullopt);
    });
    CompoundReply results(reply.results());
    const CreateSessionReply created = results.create_session();
    ++create_session_sequence_;
    std::shared_ptr<Current> replaced = std::move(current_);
    current_ = std::make_shared<Current>(created.sessionid, replaced ? replaced->generation + 1 : 1,
                                         slots_granted(settings_.slots, created.fore.maxrequests));
    // Calls waiting for one of its slots go over to the new session.
    if (replaced) replaced->slots.retire();
    connections_.bound_by_create_session(0, current_->generation);
    // The others now, so that a recovery leaves every connection ready; one that cannot be
    // bound yet is bound by the next call over it.
    const CallContext own;
    for (size_t i = 1; i < connections_.size(); ++i) {
        // Twice when it broke: after a server restart every connection did, unseen so far.
        for (int attempt = 1; attempt <= 2; ++attempt) {
            try {
                connections_.ensure_bound(i, current_->generation, [&](RpcTransport& transport) {
                    bind_connection(own, transport, current_->id, kBindTimeout);
                });
                break;
            } catch (const Nfs4Error& error) {
                // A server that will not bind a connection to the first session (RFC 8881 makes
                // BIND_CONN_TO_SESSION mandatory) would fail every READ and WRITE later: the
                // mount fails now, saying why.
                if (current_->generation == 1)
                    throw Error(error.errnum(), std::string(error.what()) + " (nconnect=" +
                                                    std::to_string(connections_.size()) + ")");
                spdlog::info("{}: binding connection {} to the NFSv4.1 session: {}",
                             settings_.rpc.host, i + 1, error.what());
                break;
            } catch (const Error& error) {
                if (attempt == 1 && is_connection_failure(error.errnum())) continue;
                spdlog::info("{}: binding connection {} to the NFSv4.1 session: {}",
                             settings_.rpc.host, i + 1, error.what());
                break;
            }
        }
    }
    spdlog::debug("NFSv4.1 session with {}: {} slots, {} connections", settings_.rpc.host,
                  current_->slots.size(), connections_.size());
}

Session::Recovered Session::recover(const CallContext& context, uint64_t seen_generation,
                                    Nfs4Status status) {
    std::lock_guard lock(mutex_);
    if (current_->generation != seen_generation) return {};  // another thread recovered already
    const bool new_client = is_one_of(status, {Nfs4Status::stale_clientid, Nfs4Status::expired});
    spdlog::info("{}: {} ({})", settings_.rpc.host,
                 new_client ? "the server forgot this client; registering again"
                            : "the NFSv4.1 session ended; starting a new one",
                 nfs4_status_name(status));
    const SessionId old_session = current_->id;
    if (!new_client) {
        try {
            create_session(context);
            // A session the server still has (a dead one, or one whose slots we lost track of)
            // holds its reply cache there until it is destroyed.
            if (is_one_of(status, {Nfs4Status::deadsession, Nfs4Status::seq_misordered}))
                return {false, 0, old_session};
            return {};
        } catch (const Nfs4Error& error) {
            if (!is_one_of(error.status(), {Nfs4Status::stale_clientid, Nfs4Status::expired}))
                throw;
            // The server restarted: our client id went with it.
        }
    }
    register_client(context);
    // Under the same lock as the new session: a call that uses it and finds its stateids stale
    // knows a reclaim is under way (wait_for_reclaim).
    return {true, ++client_generation_, std::nullopt};
}

void Session::after_recovery(const CallContext& context, const Recovered& recovered) {
    if (recovered.old_session) destroy_session(context, *recovered.old_session);
    if (!recovered.new_client) return;
    if (reclaim_) {
        // Not the caller's context: an interrupt of the call that happened to recover must not
        // leave the state half reclaimed.
        const CallContext own;
        try {
            reclaim_(own, recovered.client_generation);
        } catch (const std::exception& error) {
            spdlog::error("{}: reclaiming state after the server forgot this client: {}",
                          settings_.rpc.host, error.what());
        }
    }
    const auto reclaim_over = [&] {
        std::lock_guard lock(mutex_);
        reclaimed_generation_ = std::max(reclaimed_generation_, recovered.client_generation);
        reclaim_over_.notify_all();
    };
    try {
        reclaim_complete(context);
    } catch (...) {
        reclaim_over();
        throw;
    }
    reclaim_over();
}

void Session::destroy_session(const CallContext& context, const SessionId& session) {
    // Best effort: the server drops it with our lease anyway, so a failure only costs it memory
    // for a while and must not fail or hold up the call that recovered.
    try {
        const RpcReply reply = call_without_session(
            context, [&](CompoundBuilder& b) { b.destroy_session(session); }, kDestroyTimeout);
        CompoundReply(reply.results()).destroy_session();
        spdlog::debug("{}: the replaced NFSv4.1 session is destroyed", settings_.rpc.host);
    } catch (const Error& error) {
        spdlog::info("{}: destroying the replaced NFSv4.1 session: {}", settings_.rpc.host,
                     error.what());
    }
}

void Session::call(const CallContext& context, const char* what, const Build& build,
                   const Read& read, bool cachethis) {
    const auto deadline = Clock::now() + settings_.call_timeout;
    milliseconds pause = kFirstPause;
    const auto back_off = [&] {
        if (context.cancelled()) throw Error(EINTR, std::string(what) + ": interrupted");
        std::this_thread::sleep_for(
            settings_.call_timeout.count() ? std::min(pause, remaining(deadline)) : pause);
        pause = std::min(pause * 2, kLongestPause);
    };
    // A new session (and client id) in place of the one that failed with `status`. Its setup
    // goes over the first connection, which may have broken with the server's restart unseen
    // (a data connection found out): then it is made again, and the call goes on.
    const auto recover_from = [&](uint64_t generation, Nfs4Status status) {
        try {
            after_recovery(context, recover(context, generation, status));
        } catch (const Error& error) {
            if (!is_connection_failure(error.errnum())) throw;
            spdlog::debug("{}: recovering the session: {}; again", what, error.what());
            back_off();
        }
    };
    // A request the server refused as it was sent (a replay it cannot answer, a connection it
    // does not take yet) goes again at once the first time; should the server keep refusing,
    // with pauses (a call must not spin on a broken server).
    int refusals = 0;
    const auto refused_as_sent = [&](const Nfs4Error& error) {
        spdlog::debug("{}: {}; sending it again", what, error.what());
        if (refusals++ > 0) back_off();
    };
    for (;;) {
        // Slot and session id from one session: a slot of an old session (taken before a
        // recovery) must never go out with the new session's id.
        const std::shared_ptr<Current> session = current();
        SlotTable& slots = session->slots;
        const std::optional<SlotTable::Slot> acquired = slots.acquire(context);
        if (!acquired) continue;  // replaced while we waited: the new session's slots
        const SlotTable::Slot slot = *acquired;
        CompoundBuilder builder(what);
        builder.sequence(session->id, slot.sequence, slot.id, slots.highest_in_use(), cachethis);
        build(builder);
        const CompoundRequest request = builder.finish_request();
        const SplicedArguments arguments = request.arguments();
        const size_t connection = connections_.choose(carries_data(what));

        RpcReply reply;
        bool sent = false;       // the server may have seen the request
        uint64_t sent_over = 0;  // connections_made() of the TCP connection it went over
        try {
            // A broken connection: made again, bound again, and the same bytes again on the same
            // slot (a replay).
            for (;;) {
                RpcTransport& transport = connections_.transport(connection);
                uint64_t connection_number = 0;
                try {
                    connections_.ensure_bound(
                        connection, session->generation, [&](RpcTransport& unbound) {
                            bind_connection(context, unbound, session->id, remaining(deadline));
                        });
                    connection_number = transport.connections_made();
                    sent = true;
                    sent_over = connection_number;
                    connections_.count_call(connection);
                    reply =
                        transport.call(context, kNfsProc4Compound, arguments, remaining(deadline));
                    break;
                } catch (const Nfs4Error&) {
                    throw;  // the binding was refused
                } catch (const Error& error) {
                    // The connection broke, or a new one cannot be made yet (server down or
                    // restarting): keep trying until the call's time is up.
                    if (!is_connection_failure(error.errnum())) throw;
                    connections_.lost_binding(connection, connection_number);
                    spdlog::debug("{}: {}; sending it again", what, error.what());
                    back_off();
                }
            }
        } catch (const Nfs4Error& error) {
            // BIND_CONN_TO_SESSION failed: our session is gone (a restarted server), or the
            // server will not bind. A request sent before (now to be replayed) may have run.
            if (sent)
                slots.completed(slot, slots.size() - 1);
            else
                slots.released_unused(slot);
            if (!is_one_of(error.status(), {Nfs4Status::badsession, Nfs4Status::deadsession,
                                            Nfs4Status::stale_clientid, Nfs4Status::expired}))
                throw;
            recover_from(session->generation, error.status());
            continue;
        } catch (...) {
            // Timed out or interrupted: the server may have run it; count the slot as used. If
            // it did not, the next use gets NFS4ERR_SEQ_MISORDERED and a new session.
            if (sent)
                slots.completed(slot, slots.size() - 1);
            else
                slots.released_unused(slot);
            throw;
        }

        // Kept by whoever keeps a READ's data (Nfs4Client::read): the data is not copied out.
        const auto kept = std::make_shared<const RpcReply>(std::move(reply));
        CompoundReply results(kept->results(), kept);
        try {
            const SequenceReply sequence = results.sequence();
            slots.completed(slot, sequence.target_highest_slotid);
            last_renewed_.store(Clock::now().time_since_epoch().count());
        } catch (const Nfs4Error& error) {
            const Nfs4Status status = error.status();
            if (is_one_of(status, {Nfs4Status::retry_uncached_rep, Nfs4Status::seq_false_retry})) {
                // A replay (after a broken connection) the server ran but kept no reply for, or
                // an id it saw with another request: past the id, and the request once more (as
                // Linux does). Only requests sent without cachethis, which may run twice, meet
                // the first.
                slots.skipped(slot);
                refused_as_sent(error);
                continue;
            }
            slots.released_unused(slot);  // SEQUENCE failed: the server did not use the slot
            if (status == Nfs4Status::conn_not_bound_to_session) {
                // The server does not bind a connection by SEQUENCE (RFC 8881 lets it require
                // BIND_CONN_TO_SESSION), or dropped the binding: bound again, then again.
                connections_.lost_binding(connection, sent_over);
                refused_as_sent(error);
            } else if (is_one_of(status, {Nfs4Status::delay, Nfs4Status::grace})) {
                back_off();
            } else if (is_one_of(status, {Nfs4Status::badsession, Nfs4Status::deadsession,
                                          Nfs4Status::seq_misordered, Nfs4Status::stale_clientid,
                                          Nfs4Status::expired})) {
                recover_from(session->generation, status);
            } else {
                throw;
            }
            continue;
        }
        try {
            read(results);
            return;
        } catch (const Nfs4Error& error) {
            if (error.status() == Nfs4Status::retry_uncached_rep) {
                // The same as above, told after a successful SEQUENCE (the reply nfs-ganesha
                // keeps for requests without cachethis): the slot's id advanced already.
                refused_as_sent(error);
                continue;
            }
            if (!is_one_of(error.status(), {Nfs4Status::delay, Nfs4Status::grace})) throw;
            back_off();
        }
    }
}

}  // namespace nfsfuse::nfs::v4
