// nfsfuse's NFSv4.1 state on one server, and every COMPOUND sent under it (RFC 8881 sections 2.4,
// 2.10, 18.35-18.37): a client id from EXCHANGE_ID, a session from CREATE_SESSION with its slot
// table, RECLAIM_COMPLETE once, and each request led by a SEQUENCE on a slot.
//
// Recovery is done here, so callers see only their own operations' results:
// - the connection broke: the same request again, on the same slot with the same sequence id
//   (a replay: the server runs it at most once);
// - NFS4ERR_DELAY or NFS4ERR_GRACE: wait (growing pauses) and send again;
// - NFS4ERR_BADSESSION or NFS4ERR_DEADSESSION (a restarted server): a new session, then again;
//   a request takes its slot and session id from one session, so a call that raced a recovery
//   finds out (BADSESSION, or a retired slot table) and goes again on the new one; an old session
//   the server still knows (DEADSESSION, SEQ_MISORDERED) is ended with DESTROY_SESSION;
// - NFS4ERR_STALE_CLIENTID or NFS4ERR_EXPIRED (the server forgot us): EXCHANGE_ID again, a new
//   session, the state reclaimed (set_reclaim) and RECLAIM_COMPLETE, then again;
// - NFS4ERR_SEQ_MISORDERED: a new session (our idea of the slots no longer matches the server's);
// - NFS4ERR_RETRY_UNCACHED_REP or NFS4ERR_SEQ_FALSE_RETRY (a replay the server cannot answer,
//   or a sequence id it saw with another request): the slot's next sequence id, then again.
// A soft call gives up after its timeout (ETIMEDOUT), a hard one only when cancelled (EINTR).
// nconnect: the session may run over several connections (session_connections.h): it is created
// over the first, the others are bound to it with BIND_CONN_TO_SESSION, and so is any connection
// made again after it broke, and every connection after a new session. READ, WRITE and COMMIT
// go over the others in turn, the rest over the first; the slots are the session's, shared by
// all connections. NFS4ERR_CONN_NOT_BOUND_TO_SESSION: the call goes again, and that connection
// is bound again before its next use.
// Thread-safety: call() from any number of threads; as many run at once as the session has
// slots. Ownership: owns its transports (RpcConnections, or a unit test's fake server).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nfs/call_context.h"
#include "nfs/rpc/rpc_connection.h"
#include "nfs/rpc/rpc_transport.h"
#include "nfs/v4/compound_builder.h"
#include "nfs/v4/compound_reply.h"
#include "nfs/v4/nfs4_constants.h"
#include "nfs/v4/session_connections.h"
#include "nfs/v4/slot_table.h"

namespace nfsfuse::nfs::v4 {

struct SessionSettings {
    RpcSettings rpc;
    // Names this client to the server (co_ownerid): the same string after a restart of nfsfuse
    // lets the server drop our old state at once.
    std::string owner_id;
    // How long one call may take in all, retries included; 0: for ever (hard mount).
    std::chrono::milliseconds call_timeout{0};
    // The mount's timeo * (retrans + 1), hard or soft: how long the connection may stay silent
    // before it is given up and made again (tcp_liveness.h). 0: call_timeout, or nfs(5)'s.
    std::chrono::milliseconds liveness_timeout{0};
    // TCP connections to the server (the mount's nconnect), at least 1.
    uint32_t connections = 1;
    uint32_t slots = 16;                 // asked for; the server may grant fewer
    uint32_t max_request = 1056 * 1024;  // a 1 MiB WRITE and its headers
    // A 512 KiB READ (or READDIR) and its headers. Not 1 MiB: the largest reply a session allows
    // costs servers per request. Measured on nfs-ganesha 4.3 in a cold sequential read: with
    // 1056 KiB it spent 2.5 to 5 times the CPU of NFSv3 for the same bytes, with 520 KiB about
    // the same as NFSv3 (and nfsfuse's reads come in 256 KiB blocks anyway).
    uint32_t max_response = 520 * 1024;
};

class Session {
  public:
    using Build = std::function<void(CompoundBuilder&)>;
    using Read = std::function<void(CompoundReply&)>;

    // Connects and sets up client id and session. Throws nfsfuse::Error naming the server.
    explicit Session(SessionSettings settings);
    // The same over `transport` (settings.rpc then only names the server in messages).
    Session(SessionSettings settings, std::unique_ptr<RpcTransport> transport);
    // The same over several (settings.connections is then their number).
    Session(SessionSettings settings, std::vector<std::unique_ptr<RpcTransport>> transports);
    // Ends the session and the client id on the server (best effort: it forgets them anyway
    // after the lease).
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Sends SEQUENCE plus what `build` adds, and hands the reply, after SEQUENCE's result, to
    // `read`, with the reply's owner (a READ's data may outlive the call). `cachethis`: ask the
    // server to keep the reply for a replay (for requests that must not run twice: create, remove,
    // rename...).
    void call(const CallContext& context, const char* what, const Build& build, const Read& read,
              bool cachethis = false);

    // What reclaims our state in the server's grace period after it forgot this client (a
    // restart, an expired lease): run by the call that set up the new client id, before
    // RECLAIM_COMPLETE, with a context of its own (a reclaim is never interrupted halfway).
    // `generation`: client_generation() it reclaims for; a newer one makes it moot. Exceptions
    // it lets out are logged. Set before any call from another thread; none: nothing reclaimed.
    using Reclaim = std::function<void(const CallContext& context, uint64_t generation)>;
    void set_reclaim(Reclaim reclaim) { reclaim_ = std::move(reclaim); }
    // Client ids set up so far (1 after construction): a new one means the server forgot all
    // our state.
    uint64_t client_generation() const;
    // Returns once the state of the current client id is reclaimed (at once when no reclaim is
    // under way), so that a call the server refused for a stale stateid can tell a state that
    // is being reclaimed from one that is lost. Throws EINTR when `context` is cancelled.
    void wait_for_reclaim(const CallContext& context) const;

    // Keeps the lease, and with it our client id and opens, alive while nothing else does: a
    // SEQUENCE alone whenever no call renewed it for a third of `lease` (every SEQUENCE renews
    // it: RFC 8881 section 8.3). Started after `nfsfuse` forks (threads do not survive a fork);
    // stopped by the destructor.
    void start_lease_renewal(std::chrono::seconds lease);
    // Lease renewals sent so far (SEQUENCE-only calls), for tests and logs.
    uint64_t renewals_sent() const { return renewals_sent_.load(); }

    uint64_t clientid() const;
    uint32_t slot_count() const { return current()->slots.size(); }
    // Sessions created so far (1 after construction), for tests and logs.
    uint64_t sessions_created() const;
    // The connections, and the calls sent over each (SEQUENCE calls, not the binding ones).
    size_t connection_count() const { return connections_.size(); }
    uint64_t calls_sent(size_t connection) const { return connections_.calls_sent(connection); }

  private:
    // One session on the server: its id and its slots, replaced together by a recovery.
    struct Current {
        Current(const SessionId& session, uint64_t number, uint32_t slot_count)
            : id(session), generation(number), slots(slot_count) {}
        const SessionId id;
        const uint64_t generation;  // sessions created before it and it
        SlotTable slots;
    };
    // What a recovery leaves to do outside the lock.
    struct Recovered {
        bool new_client = false;               // reclaim and RECLAIM_COMPLETE are due
        uint64_t client_generation = 0;        // of the new client
        std::optional<SessionId> old_session;  // the server still knows it: DESTROY_SESSION
    };

    // Sends a COMPOUND with no SEQUENCE (EXCHANGE_ID, CREATE_SESSION) and returns the reply.
    RpcReply call_without_session(const CallContext& context, const Build& build,
                                  std::chrono::milliseconds timeout);
    RpcReply call_without_session(const CallContext& context, const Build& build);
    void exchange_id(const CallContext& context);
    // With mutex_ held (or before anyone else sees this object). Binds the other connections
    // to the new session.
    void create_session(const CallContext& context);
    // BIND_CONN_TO_SESSION of `session`'s fore channel over `transport`.
    void bind_connection(const CallContext& context, RpcTransport& transport,
                         const SessionId& session, std::chrono::milliseconds timeout);
    // EXCHANGE_ID, then CREATE_SESSION; both again (a few times) when the client id is gone in
    // between. With mutex_ held (or before anyone else sees this object).
    void register_client(const CallContext& context);
    std::shared_ptr<Current> current() const;
    // Replaces the session that failed with `status` (and the client id first when the server
    // no longer knows it) unless another thread did already since `seen_generation`.
    Recovered recover(const CallContext& context, uint64_t seen_generation, Nfs4Status status);
    // What is left after recover(), outside the lock.
    void after_recovery(const CallContext& context, const Recovered& recovered);
    void destroy_session(const CallContext& context, const SessionId& session);
    void reclaim_complete(const CallContext& context);
    std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline) const;
    void renew_lease_until_stopped(std::chrono::milliseconds interval);
    void stop_lease_renewal();

    const SessionSettings settings_;
    SessionConnections connections_;
    const uint64_t verifier_;  // co_verifier: tells the server which incarnation of us this is

    mutable std::mutex mutex_;  // guards what follows; held while recovering
    uint64_t clientid_ = 0;
    uint32_t create_session_sequence_ = 0;
    std::shared_ptr<Current> current_;  // never null after construction
    uint64_t client_generation_ = 1;
    uint64_t reclaimed_generation_ = 1;             // the newest whose reclaim is over
    mutable std::condition_variable reclaim_over_;  // reclaimed_generation_ moved on

    Reclaim reclaim_;  // set before use from other threads

    // The lease renewal thread and what stops it.
    std::atomic<std::chrono::steady_clock::rep> last_renewed_{0};  // a SEQUENCE succeeded
    std::atomic<uint64_t> renewals_sent_{0};
    CallContext renewal_cancel_;
    std::mutex renewal_mutex_;
    std::condition_variable renewal_wake_;
    bool renewal_stopping_ = false;  // guarded by renewal_mutex_
    std::thread renewer_;
};

}  // namespace nfsfuse::nfs::v4
