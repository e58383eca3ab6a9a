// The TCP keepalive and user timeout of a mount's connections, from its timeout: like Linux's
// NFS client, probes every timeo and the connection given up after timeo * (retrans + 1).
#include "nfs/tcp_liveness.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace nfsfuse::nfs {
namespace {

using namespace std::chrono_literals;

TEST(TcpLivenessTest, ASoftMountGivesUpAConnectionWithinItsTimeout) {
    // timeo=30 (3 s), retrans=2: calls may take 9 s.
    EXPECT_EQ(tcp_liveness_for(9000ms), (TcpLiveness{3s, 3s, 3, 9000ms}));
    // nfs(5)'s defaults: timeo=600, retrans=2.
    EXPECT_EQ(tcp_liveness_for(180000ms), (TcpLiveness{60s, 60s, 3, 180000ms}));
}

TEST(TcpLivenessTest, AHardMountUsesTheDefaultTimeoutsOfLinux) {
    EXPECT_EQ(tcp_liveness_for(0ms), (TcpLiveness{60s, 60s, 3, 180000ms}));
}

TEST(TcpLivenessTest, KeepaliveTimesAreWholeSecondsAndAtLeastOne) {
    EXPECT_EQ(tcp_liveness_for(1000ms), (TcpLiveness{1s, 1s, 3, 1000ms}));
}

TEST(TcpLivenessTest, TheValuesLandOnTheSocket) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(apply_tcp_liveness(fd, TcpLiveness{7s, 5s, 4, 21000ms}), 0);
    const auto get = [fd](int level, int option) {
        int value = -1;
        socklen_t length = sizeof value;
        getsockopt(fd, level, option, &value, &length);
        return value;
    };
    EXPECT_EQ(get(SOL_SOCKET, SO_KEEPALIVE), 1);
    EXPECT_EQ(get(IPPROTO_TCP, TCP_KEEPIDLE), 7);
    EXPECT_EQ(get(IPPROTO_TCP, TCP_KEEPINTVL), 5);
    EXPECT_EQ(get(IPPROTO_TCP, TCP_KEEPCNT), 4);
    EXPECT_EQ(get(IPPROTO_TCP, TCP_USER_TIMEOUT), 21000);
    close(fd);
}

}  // namespace
}  // namespace nfsfuse::nfs
