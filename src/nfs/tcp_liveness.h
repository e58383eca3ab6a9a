// TCP keepalive and TCP_USER_TIMEOUT for nfsfuse's connections to the server, so that a
// connection whose server vanished without a reset (power lost, a cable or a firewall's state
// gone) is found dead and made again instead of waited on for ever. The values follow Linux's
// NFS client (xs_tcp_set_socket_timeouts): probes after timeo idle, every timeo, retrans + 1 of
// them, and unacknowledged data given up after timeo * (retrans + 1).
// Thread-safety: pure functions.
#pragma once

#include <chrono>

namespace nfsfuse::nfs {

struct TcpLiveness {
    std::chrono::seconds keepalive_idle{0};      // TCP_KEEPIDLE
    std::chrono::seconds keepalive_interval{0};  // TCP_KEEPINTVL
    int keepalive_probes = 0;                    // TCP_KEEPCNT
    std::chrono::milliseconds user_timeout{0};   // TCP_USER_TIMEOUT

    bool operator==(const TcpLiveness&) const = default;
};

// For a mount whose calls may take `call_timeout` in all (a soft mount's timeo * (retrans + 1));
// 0 for a hard mount (see the .cpp).
TcpLiveness tcp_liveness_for(std::chrono::milliseconds call_timeout);

// Sets SO_KEEPALIVE and the values on a TCP socket (before or after connect). Returns 0, or the
// errno of the first setsockopt that failed.
int apply_tcp_liveness(int fd, const TcpLiveness& liveness);

}  // namespace nfsfuse::nfs
