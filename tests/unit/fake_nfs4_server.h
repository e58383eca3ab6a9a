// A small NFSv4.1 server in memory for Session's unit tests, behind the RpcTransport interface:
// EXCHANGE_ID, CREATE_SESSION, DESTROY_SESSION, DESTROY_CLIENTID, and SEQUENCE with the slot
// rules of RFC 8881 section 2.10.6 (a new request needs the slot's next sequence id, the same id
// again is a replay answered from the reply cache, any other is SEQ_MISORDERED). Operations after
// SEQUENCE simply succeed; a READ returns kReadData, to the end of the file. Hooks let a test lose
// a reply, block a request or answer in its place. Several connections (nconnect): FakeConnection;
// BIND_CONN_TO_SESSION binds one to a session, as CREATE_SESSION binds the one it came over, and
// require_binding() makes SEQUENCE on an unbound connection fail with CONN_NOT_BOUND_TO_SESSION (a
// server that binds none implicitly). Thread-safety: call() from any number of threads; hooks run
// without the server's lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "nfs/rpc/rpc_transport.h"
#include "nfs/v4/nfs4_constants.h"
#include "nfs/v4/nfs4_types.h"

namespace nfsfuse::nfs::v4::testing {

// What every READ returns.
inline constexpr std::string_view kReadData = "the bytes of a READ";

class FakeNfs4Server : public RpcTransport {
  public:
    // How a replay of a request whose reply was not cached (sa_cachethis false) is answered:
    // SEQUENCE fails (Linux's nfsd), or SEQUENCE succeeds and the next operation fails (the
    // "contrived" cached reply of nfs-ganesha and others; RFC 8881 section 2.10.6.1.3).
    enum class Uncached { sequence_fails, next_operation_fails };

    struct Request {
        uint32_t operation = 0;  // the first one: SEQUENCE for all but setup calls
        SessionId session{};     // SEQUENCE's or DESTROY_SESSION's
        uint32_t sequence = 0;
        uint32_t slot = 0;
        bool cachethis = false;
        uint32_t next_operation = 0;  // after SEQUENCE; 0 for none
        uint32_t direction = 0;       // BIND_CONN_TO_SESSION's
        uint32_t connection = 0;      // which FakeConnection (0: the server itself)
        uint64_t incarnation = 1;     // which TCP connection of it (its connections_made())
    };

    explicit FakeNfs4Server(uint32_t slots = 4, Uncached uncached = Uncached::sequence_fails)
        : slots_(slots), uncached_(uncached) {}

    // As connection 0, which never breaks.
    RpcReply call(const CallContext& context, uint32_t procedure, std::string_view arguments,
                  std::chrono::milliseconds timeout) override;
    uint64_t connections_made() const override { return 1; }
    // A request that came over `connection`'s TCP connection `incarnation`.
    RpcReply call_on(uint32_t connection, uint64_t incarnation, std::string_view arguments);

    // From now on, SEQUENCE goes only over connections bound to its session.
    void require_binding() { binding_required_ = true; }

    // Run before the server looks at a request: may block, throw (the request is lost), or
    // return a COMPOUND4res to answer with instead.
    std::function<std::optional<std::string>(const Request&)> before;
    // Run after the server handled a request, before the reply goes back: may throw (the reply
    // is lost, as when the connection breaks) or return a COMPOUND4res to answer with instead.
    std::function<std::optional<std::string>(const Request&)> after;

    // The server forgets every session (but not the client id), as after a restart with
    // persistent client records.
    void forget_sessions();

    // What the server saw.
    std::vector<Request> requests() const;
    uint32_t sessions_created() const;
    uint32_t misordered() const;  // SEQUENCEs answered NFS4ERR_SEQ_MISORDERED
    std::vector<SessionId> destroyed_sessions() const;
    uint32_t executed(uint32_t operation) const;  // operations after SEQUENCE actually run

  private:
    struct Slot {
        uint32_t sequence = 0;  // the last one run
        std::optional<std::string> cached;
    };
    std::string handle(const Request& request);
    std::string bind_conn_to_session(const Request& request);
    std::string sequence(const Request& request);

    const uint32_t slots_;
    const Uncached uncached_;
    mutable std::mutex mutex_;
    std::map<SessionId, std::vector<Slot>> sessions_;  // guarded by mutex_
    std::vector<Request> requests_;                    // guarded by mutex_
    std::vector<SessionId> destroyed_;                 // guarded by mutex_
    std::map<uint32_t, uint32_t> executed_;            // guarded by mutex_
    uint32_t sessions_created_ = 0;                    // guarded by mutex_
    uint32_t misordered_ = 0;                          // guarded by mutex_
    // Session, connection and incarnation of each binding; guarded by mutex_.
    std::set<std::tuple<SessionId, uint32_t, uint64_t>> bound_;
    std::atomic<bool> binding_required_{false};
};

// One connection to a FakeNfs4Server (which must outlive it), for a Session over several: counts
// its calls, and breaks like an RpcConnection: a call whose reply a hook lost with ECONNRESET
// breaks it, and the next call makes it again (connections_made() goes up by one).
class FakeConnection : public RpcTransport {
  public:
    FakeConnection(FakeNfs4Server& server, uint32_t index) : server_(server), index_(index) {}

    RpcReply call(const CallContext& context, uint32_t procedure, std::string_view arguments,
                  std::chrono::milliseconds timeout) override;
    uint64_t connections_made() const override;

  private:
    FakeNfs4Server& server_;
    const uint32_t index_;
    mutable std::mutex mutex_;
    uint64_t made_ = 1;    // guarded by mutex_
    bool broken_ = false;  // guarded by mutex_
};

// The first operation of a COMPOUND4res reply, for `before` hooks: a failed SEQUENCE.
std::string failed_sequence_reply(Nfs4Status status);
// A COMPOUND4res whose first and only operation, `operation`, failed with `status`.
std::string failed_reply(Op operation, Nfs4Status status);

}  // namespace nfsfuse::nfs::v4::testing
