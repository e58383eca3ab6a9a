// Services a libnfs rpc_context that no RpcDriver drives yet: its connecting, and short exchanges
// made before a connection is handed over (MOUNT's MNT). The calling thread polls the socket.
// Thread-safety: the context must be the caller's alone while this runs.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "nfs/call_context.h"

struct rpc_context;

namespace nfsfuse::nfs {

// Polls and services `rpc` until `done()` is true. Throws Error(ETIMEDOUT) at `deadline`,
// Error(EINTR) once `context` is cancelled, and Error(ECONNREFUSED) when the socket fails before
// `done()`; every message starts with `what` (e.g. "server:/export: MOUNT service").
void service_until(rpc_context* rpc, const std::function<bool()>& done,
                   std::chrono::steady_clock::time_point deadline, const CallContext& context,
                   const std::string& what);

}  // namespace nfsfuse::nfs
