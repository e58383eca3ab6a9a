// libnfs's last error of an RPC context as text. rpc_get_error may return NULL (no error recorded,
// e.g. after a plain POLLHUP), which must never reach a std::string or a log format.
// Thread-safety: as the context's (call under its lock).
#pragma once

#include <string>

#include "nfs/libnfs_headers.h"

namespace nfsfuse::nfs {

inline std::string rpc_error_text(rpc_context* rpc) {
    const char* text = rpc_get_error(rpc);
    return text && *text ? text : "no error text from libnfs";
}

}  // namespace nfsfuse::nfs
