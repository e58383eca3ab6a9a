// Runs one FUSE request's work: wires the kernel's INTERRUPT to a CallContext and turns any error
// into the reply errno. This is the only place errors become FUSE replies.
// Thread-safety: one call per request, on the worker thread handling it.
#pragma once

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include <functional>
#include <optional>

#include "nfs/call_context.h"

namespace nfsfuse::fusefs {

// What a request answers on success; run by run_request after the interrupt hook is removed.
using Reply = std::function<void()>;

// Calls `work(context)`, with a context for `caller` (empty: the mount's own identity), and
// sends the Reply it returns. If it throws, replies with the error's
// errno (EIO for anything unexpected) and logs it once.
void run_request(fuse_req_t req, const char* operation, std::optional<nfs::Credentials> caller,
                 const std::function<Reply(const nfs::CallContext&)>& work);

}  // namespace nfsfuse::fusefs
