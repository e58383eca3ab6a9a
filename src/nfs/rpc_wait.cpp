#include "nfs/rpc_wait.h"

#include <poll.h>
#include "nfs/libnfs_headers.h"

#include <algorithm>
#include <cstring>

#include "nfs/rpc_error_text.h"
#include "util/error.h"

namespace nfsfuse::nfs {

void service_until(rpc_context* rpc, const std::function<bool()>& done,
                   std::chrono::steady_clock::time_point deadline, const CallContext& context,
                   const std::string& what) {
    // Short slices, so a cancellation is seen soon.
    constexpr int64_t kSliceMs = 100;
    while (!done()) {
        if (context.cancelled()) throw Error(EINTR, what + ": interrupted");
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw Error(ETIMEDOUT, what + ": no answer in time");
        pollfd pfd{rpc_get_fd(rpc), static_cast<short>(rpc_which_events(rpc)), 0};
        if (poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), kSliceMs))) < 0 &&
            errno != EINTR)
            throw Error(errno, what + ": poll failed: " + strerror(errno));
        if (rpc_service(rpc, pfd.revents) < 0 && !done())
            throw Error(ECONNREFUSED, what + ": " + rpc_error_text(rpc));
    }
}

}  // namespace nfsfuse::nfs
