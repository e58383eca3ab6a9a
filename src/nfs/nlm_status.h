// What NLM v4 replies (nlm4_stats) mean for a caller: the one place they become errnos.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "util/error.h"

namespace nfsfuse::nfs {

// nlm4_stats.
inline constexpr uint32_t kNlm4Granted = 0;
inline constexpr uint32_t kNlm4Denied = 1;
inline constexpr uint32_t kNlm4DeniedNolocks = 2;
inline constexpr uint32_t kNlm4Blocked = 3;
inline constexpr uint32_t kNlm4DeniedGracePeriod = 4;
inline constexpr uint32_t kNlm4Deadlck = 5;
inline constexpr uint32_t kNlm4Rofs = 6;
inline constexpr uint32_t kNlm4StaleFh = 7;
inline constexpr uint32_t kNlm4Fbig = 8;
inline constexpr uint32_t kNlm4Failed = 9;

// errno for an NLM4 status that refuses a call (not GRANTED); unknown codes become EIO.
int nlm4_status_to_errno(uint32_t status);
// The error for such a status, saying what it means, e.g. "NLM LOCK: the server refused: it
// keeps no more locks (NLM4_DENIED_NOLOCKS)". `what` names the call.
Error nlm4_status_error(uint32_t status, const std::string& what);

// The message for a server whose NLM lock service cannot be reached.
inline constexpr const char* kNoNlmServiceAdvice =
    "the server runs no NLM lock service; mount with local_lock=all to keep locks on this host";

}  // namespace nfsfuse::nfs
