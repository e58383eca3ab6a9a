// A connection to the server's NLM v4 lock service (program 100021), which runs on a port of its
// own: found through the portmapper like MOUNT, or given (nlmport=). A libnfs rpc_context of its
// own, driven like the NFS connections (RpcDriver). It is not made again by libnfs after a
// failure: its owner (NlmLocks) makes a new one, and learns of the failure that way.
// Thread-safety: call() is safe from any thread. Ownership: owned by NlmLocks (shared with the
// calls still using it).
#pragma once

#include <memory>

#include "nfs/call_context.h"
#include "nfs/connection_settings.h"
#include "nfs/rpc_driver.h"

namespace nfsfuse::nfs {

class NlmConnection {
  public:
    // Connects synchronously, bounded by the call timeout (60 s on a hard mount, as mounting)
    // and `context`'s cancellation. Throws ENOLCK (with kNoNlmServiceAdvice) when the server
    // has no NLM service there, ETIMEDOUT or EINTR.
    NlmConnection(const ConnectionSettings& settings, const CallContext& context);

    // Sends one rpc_nlm4_* call and waits (RpcDriver::call).
    void call(const CallContext& context, const char* what, const RpcDriver::Submit& submit,
              const RpcDriver::OnReply& on_reply) {
        driver_->call(context, what, submit, on_reply);
    }
    // The connection failed: calls on it fail at once; make a new one.
    bool closed() { return driver_->closed(); }

  private:
    std::unique_ptr<RpcDriver> driver_;  // owns the context
};

}  // namespace nfsfuse::nfs
