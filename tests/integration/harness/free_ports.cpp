#include "harness/free_ports.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "harness/harness_error.h"

namespace nfsfuse::it {
namespace {

// Ports 20000-20999 are left alone: the usual hand-started test server uses 20048 and 20490.
constexpr uint16_t kFirstPort = 21000;
constexpr uint16_t kLastPort = 32000;  // /proc/sys/net/ipv4/ip_local_port_range starts at 32768

// A dual-stack wildcard bind without SO_REUSEADDR conflicts with any socket on the port,
// IPv4 or IPv6, listening or lingering in TIME_WAIT.
bool can_bind(uint16_t port) {
    const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int v6only = 0;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_any;
    address.sin6_port = htons(port);
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return bound;
}

}  // namespace

std::vector<uint16_t> pick_free_ports(size_t count) {
    std::random_device seed;
    std::mt19937 random(seed() ^ static_cast<unsigned>(::getpid()));
    std::uniform_int_distribution<int> in_range(kFirstPort, kLastPort);
    std::vector<uint16_t> ports;
    for (int attempt = 0; attempt < 1000 && ports.size() < count; ++attempt) {
        const auto port = static_cast<uint16_t>(in_range(random));
        if (std::find(ports.begin(), ports.end(), port) == ports.end() && can_bind(port))
            ports.push_back(port);
    }
    if (ports.size() < count) throw HarnessError("no free TCP ports found for ganesha");
    return ports;
}

}  // namespace nfsfuse::it
