// A small NFSv4.1 server in memory for Session's unit tests, behind the RpcTransport interface:
// EXCHANGE_ID, CREATE_SESSION, DESTROY_SESSION, DESTROY_CLIENTID, and SEQUENCE with the slot
// rules of RFC 8881 section 2.10.6 (a new request needs the slot's next sequence id, the same id
// again is a replay answered from the reply cache, any other is SEQ_MISORDERED). Operations after
// SEQUENCE simply succeed. Hooks let a test lose a reply, block a request or answer in its place.
// Thread-safety: call() from any number of threads; hooks run without the server's lock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nfs/rpc/rpc_transport.h"
#include "nfs/v4/nfs4_constants.h"
#include "nfs/v4/nfs4_types.h"

namespace nfsfuse::nfs::v4::testing {

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
    };

    explicit FakeNfs4Server(uint32_t slots = 4, Uncached uncached = Uncached::sequence_fails)
        : slots_(slots), uncached_(uncached) {}

    RpcReply call(const CallContext& context, uint32_t procedure, std::string_view arguments,
                  std::chrono::milliseconds timeout) override;

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
};

// The first operation of a COMPOUND4res reply, for `before` hooks: a failed SEQUENCE.
std::string failed_sequence_reply(Nfs4Status status);
// A COMPOUND4res whose first and only operation, `operation`, failed with `status`.
std::string failed_reply(Op operation, Nfs4Status status);

}  // namespace nfsfuse::nfs::v4::testing
