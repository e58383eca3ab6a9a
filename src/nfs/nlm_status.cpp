#include "nfs/nlm_status.h"

#include "nfs/libnfs_headers.h"

namespace nfsfuse::nfs {
namespace {

// What a refusal means, for messages.
const char* meaning_of(int status) {
    switch (status) {
        case NLM4_DENIED:
            return "the lock is held by another owner";
        case NLM4_DENIED_NOLOCKS:
            return "the server keeps no more locks (out of resources, or it cannot monitor this "
                   "host through its statd)";
        case NLM4_BLOCKED:
            return "the server queued a blocking request that was never asked for";
        case NLM4_DENIED_GRACE_PERIOD:
            return "the server is in its grace period after a restart";
        case NLM4_DEADLCK:
            return "granting it would deadlock";
        case NLM4_ROFS:
            return "the file system is read-only";
        case NLM4_STALE_FH:
            return "the file handle is stale (the file is gone on the server)";
        case NLM4_FBIG:
            return "the range lies beyond the largest file the server supports";
        case NLM4_FAILED:
            return "the server failed to carry out the request";
        default:
            return "unknown status";
    }
}

}  // namespace

int nlm4_status_to_errno(int status) {
    switch (status) {
        case NLM4_DENIED:
        case NLM4_BLOCKED:
        case NLM4_DENIED_GRACE_PERIOD:
            return EAGAIN;
        case NLM4_DENIED_NOLOCKS:
            return ENOLCK;
        case NLM4_DEADLCK:
            return EDEADLK;
        case NLM4_ROFS:
            return EROFS;
        case NLM4_STALE_FH:
            return ESTALE;
        case NLM4_FBIG:
            return EFBIG;
        default:
            return EIO;
    }
}

Error nlm4_status_error(int status, const std::string& what) {
    return Error(nlm4_status_to_errno(status), what +
                                                   ": the server refused: " + meaning_of(status) +
                                                   " (" + nlmstat4_to_str(status) + ")");
}

}  // namespace nfsfuse::nfs
