// A connection to the server's NLM v4 lock service (program 100021), which runs on a port of its
// own: found through the portmapper like MOUNT, or given (nlmport=). An RpcConnection of our own
// (bounded XDR, the caller's AUTH_SYS credentials, TCP liveness as the NFS connections). Once it
// broke it is not used again: its owner (NlmLocks) makes a new one, which asks the portmapper
// again (a restarted server's NLM may listen elsewhere), and learns of the break from broken().
// Thread-safety: call() and broken() are safe from any thread. Ownership: owned by NlmLocks
// (shared with the calls still using it).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "nfs/call_context.h"
#include "nfs/connection_settings.h"
#include "nfs/rpc/rpc_connection.h"

namespace nfsfuse::nfs {

class NlmConnection {
  public:
    // Asks the portmapper (unless settings.nlm_port) and connects, bounded by the call timeout
    // (60 s on a hard mount, as mounting) and `context`'s cancellation. Throws ENOLCK (with
    // kNoNlmServiceAdvice) when the server has no NLM service there, ETIMEDOUT or EINTR.
    NlmConnection(const ConnectionSettings& settings, const CallContext& context);

    // Calls `procedure` and returns its results, waiting up to the call timeout (for ever on a
    // hard mount). Errors name `what`; ECONNRESET: the connection broke under the call, which may
    // or may not have run, and broken() is true from then on.
    RpcReply call(const CallContext& context, const char* what, uint32_t procedure,
                  std::string_view arguments);
    // The connection failed: make a new one.
    bool broken() const { return broken_.load(std::memory_order_acquire); }

  private:
    const std::chrono::milliseconds call_timeout_;  // 0: for ever
    std::unique_ptr<RpcConnection> rpc_;
    std::atomic<bool> broken_{false};
};

}  // namespace nfsfuse::nfs
