// nfsfuse's NFSv4.1 state on one server, and every COMPOUND sent under it (RFC 8881 sections 2.4,
// 2.10, 18.35-18.37): a client id from EXCHANGE_ID, a session from CREATE_SESSION with its slot
// table, RECLAIM_COMPLETE once, and each request led by a SEQUENCE on a slot.
//
// Recovery is done here, so callers see only their own operations' results:
// - the connection broke: the same request again, on the same slot with the same sequence id
//   (a replay: the server runs it at most once);
// - NFS4ERR_DELAY or NFS4ERR_GRACE: wait (growing pauses) and send again;
// - NFS4ERR_BADSESSION or NFS4ERR_DEADSESSION (a restarted server): a new session, then again;
// - NFS4ERR_STALE_CLIENTID or NFS4ERR_EXPIRED (the server forgot us): EXCHANGE_ID again, a new
//   session, then again;
// - NFS4ERR_SEQ_MISORDERED: a new session (our idea of the slots no longer matches the server's).
// A soft call gives up after its timeout (ETIMEDOUT), a hard one only when cancelled (EINTR).
// Thread-safety: call() from any number of threads; as many run at once as the session has
// slots. Ownership: owns its RpcConnection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "nfs/cancel_token.h"
#include "nfs/v4/compound_builder.h"
#include "nfs/v4/compound_reply.h"
#include "nfs/v4/rpc_connection.h"
#include "nfs/v4/slot_table.h"

namespace nfsfuse::nfs::v4 {

struct SessionSettings {
    RpcSettings rpc;
    // Names this client to the server (co_ownerid): the same string after a restart of nfsfuse
    // lets the server drop our old state at once.
    std::string owner_id;
    // How long one call may take in all, retries included; 0: for ever (hard mount).
    std::chrono::milliseconds call_timeout{0};
    uint32_t slots = 16;                  // asked for; the server may grant fewer
    uint32_t max_request = 1056 * 1024;   // a 1 MiB WRITE and its headers
    uint32_t max_response = 1056 * 1024;  // a 1 MiB READ and its headers
};

class Session {
  public:
    using Build = std::function<void(CompoundBuilder&)>;
    using Read = std::function<void(CompoundReply&)>;

    // Connects and sets up client id and session. Throws nfsfuse::Error naming the server.
    explicit Session(SessionSettings settings);
    // Ends the session and the client id on the server (best effort: it forgets them anyway
    // after the lease).
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Sends SEQUENCE plus what `build` adds, and hands the reply, after SEQUENCE's result, to
    // `read`. `cachethis`: ask the server to keep the reply for a replay (for requests that
    // must not run twice: create, remove, rename...).
    void call(const CancelToken& cancel, const char* what, const Build& build, const Read& read,
              bool cachethis = false);

    uint64_t clientid() const;
    uint32_t slot_count() const { return slots_.size(); }
    // Sessions created so far (1 after construction), for tests and logs.
    uint64_t sessions_created() const;

  private:
    // Sends a COMPOUND with no SEQUENCE (EXCHANGE_ID, CREATE_SESSION) and returns the reply.
    RpcReply call_without_session(const CancelToken& cancel, const Build& build);
    void exchange_id(const CancelToken& cancel);
    void create_session(const CancelToken& cancel);
    // Replaces the session (and the client id first when `new_client`, or when the server no
    // longer knows it) unless another thread did already since `seen_generation`. Returns
    // whether it made a new client id: RECLAIM_COMPLETE is then due (outside the lock).
    bool recover(const CancelToken& cancel, uint64_t seen_generation, bool new_client);
    void reclaim_complete(const CancelToken& cancel);
    std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline) const;

    const SessionSettings settings_;
    RpcConnection rpc_;
    SlotTable slots_;
    const uint64_t verifier_;  // co_verifier: tells the server which incarnation of us this is

    mutable std::mutex mutex_;  // guards what follows; held while recovering
    uint64_t clientid_ = 0;
    uint32_t create_session_sequence_ = 0;
    SessionId sessionid_{};
    uint64_t generation_ = 0;  // sessions created
};

}  // namespace nfsfuse::nfs::v4
