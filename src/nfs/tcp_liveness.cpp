#include "nfs/tcp_liveness.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace nfsfuse::nfs {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A hard mount retries its calls for ever, but not on one dead connection: like Linux, which
// sets the same timeouts on hard mounts, it gives a connection up after timeo * (retrans + 1)
// without an acknowledgement and sends its calls again on a new one (which a restarted or
// reachable-again server answers). The mount's own timeo and retrans do not reach the
// transport on a hard mount (only the soft deadline does), so this is nfs(5)'s default for
// TCP: 60 s * 3.
constexpr milliseconds kHardMountUserTimeout{180000};
// retrans + 1 with nfs(5)'s default retrans=2.
constexpr int kProbes = 3;

}  // namespace

TcpLiveness tcp_liveness_for(milliseconds call_timeout) {
    TcpLiveness liveness;
    liveness.user_timeout = call_timeout.count() > 0 ? call_timeout : kHardMountUserTimeout;
    liveness.keepalive_probes = kProbes;
    // timeo: the whole divided by retrans + 1; whole seconds, at least one (what TCP takes).
    const seconds timeo =
        std::max(seconds{1}, std::chrono::duration_cast<seconds>(liveness.user_timeout / kProbes));
    liveness.keepalive_idle = timeo;
    liveness.keepalive_interval = timeo;
    return liveness;
}

int apply_tcp_liveness(int fd, const TcpLiveness& liveness) {
    struct Option {
        int level;
        int name;
        int value;
    };
    const Option options[] = {
        {SOL_SOCKET, SO_KEEPALIVE, 1},
        {IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(liveness.keepalive_idle.count())},
        {IPPROTO_TCP, TCP_KEEPINTVL, static_cast<int>(liveness.keepalive_interval.count())},
        {IPPROTO_TCP, TCP_KEEPCNT, liveness.keepalive_probes},
        {IPPROTO_TCP, TCP_USER_TIMEOUT, static_cast<int>(liveness.user_timeout.count())},
    };
    for (const Option& option : options)
        if (setsockopt(fd, option.level, option.name, &option.value, sizeof option.value) != 0)
            return errno;
    return 0;
}

}  // namespace nfsfuse::nfs
