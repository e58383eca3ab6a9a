#include "nfs/nlm_status.h"

namespace nfsfuse::nfs {
namespace {

// What a refusal means, for messages.
const char* meaning_of(uint32_t status) {
    switch (status) {
        case kNlm4Denied:
            return "the lock is held by another owner";
        case kNlm4DeniedNolocks:
            return "the server keeps no more locks (out of resources, or it cannot monitor this "
                   "host through its statd)";
        case kNlm4Blocked:
            return "the server queued a blocking request that was never asked for";
        case kNlm4DeniedGracePeriod:
            return "the server is in its grace period after a restart";
        case kNlm4Deadlck:
            return "granting it would deadlock";
        case kNlm4Rofs:
            return "the file system is read-only";
        case kNlm4StaleFh:
            return "the file handle is stale (the file is gone on the server)";
        case kNlm4Fbig:
            return "the range lies beyond the largest file the server supports";
        case kNlm4Failed:
            return "the server failed to carry out the request";
        default:
            return "unknown status";
    }
}

// The status's name in the protocol's definition.
std::string name_of(uint32_t status) {
    switch (status) {
        case kNlm4Granted:
            return "NLM4_GRANTED";
        case kNlm4Denied:
            return "NLM4_DENIED";
        case kNlm4DeniedNolocks:
            return "NLM4_DENIED_NOLOCKS";
        case kNlm4Blocked:
            return "NLM4_BLOCKED";
        case kNlm4DeniedGracePeriod:
            return "NLM4_DENIED_GRACE_PERIOD";
        case kNlm4Deadlck:
            return "NLM4_DEADLCK";
        case kNlm4Rofs:
            return "NLM4_ROFS";
        case kNlm4StaleFh:
            return "NLM4_STALE_FH";
        case kNlm4Fbig:
            return "NLM4_FBIG";
        case kNlm4Failed:
            return "NLM4_FAILED";
        default:
            return "unknown nlm4_stats " + std::to_string(status);
    }
}

}  // namespace

int nlm4_status_to_errno(uint32_t status) {
    switch (status) {
        case kNlm4Denied:
        case kNlm4Blocked:
        case kNlm4DeniedGracePeriod:
            return EAGAIN;
        case kNlm4DeniedNolocks:
            return ENOLCK;
        case kNlm4Deadlck:
            return EDEADLK;
        case kNlm4Rofs:
            return EROFS;
        case kNlm4StaleFh:
            return ESTALE;
        case kNlm4Fbig:
            return EFBIG;
        default:
            return EIO;
    }
}

Error nlm4_status_error(uint32_t status, const std::string& what) {
    return Error(
        nlm4_status_to_errno(status),
        what + ": the server refused: " + meaning_of(status) + " (" + name_of(status) + ")");
}

}  // namespace nfsfuse::nfs
