// TCP keepalive and TCP_USER_TIMEOUT on nfsfuse's connections to a real nfs-ganesha, read back
// with getsockopt from the sockets themselves: on the NFSv4.1 connection, on the NFSv3
// connection, and on the socket made anew after the server went away and came back.
// And what they are for: a connection whose server falls silent (iptables drops every packet: no
// reset, no FIN) is given up by TCP, and the next call, once the server answers again, goes over
// a new one. Without them such a connection stays "established" for hours.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness/command.h"
#include "harness/mounted_test.h"
#include "harness/process_resources.h"
#include "nfs/nfs3_client.h"
#include "nfs/v4/session.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;

// What getsockopt says about one socket.
struct SocketLiveness {
    int state = -1;  // tcpi_state: TCP_ESTABLISHED...
    int keepalive = -1;
    int idle = -1;
    int interval = -1;
    int probes = -1;
    int user_timeout_ms = -1;
};

int option(int fd, int level, int name) {
    int value = -1;
    socklen_t length = sizeof value;
    getsockopt(fd, level, name, &value, &length);
    return value;
}

// The TCP sockets of this process connected to 127.0.0.1:`port`, as getsockopt sees them.
std::vector<SocketLiveness> sockets_to(uint16_t port) {
    std::vector<SocketLiveness> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        const int fd = std::stoi(entry.path().filename().string());
        struct stat st {};
        sockaddr_in peer{};
        socklen_t length = sizeof peer;
        if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
            getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0 ||
            peer.sin_family != AF_INET || ntohs(peer.sin_port) != port)
            continue;
        tcp_info info{};
        socklen_t info_length = sizeof info;
        getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &info_length);
        found.push_back(
            {info.tcpi_state, option(fd, SOL_SOCKET, SO_KEEPALIVE),
             option(fd, IPPROTO_TCP, TCP_KEEPIDLE), option(fd, IPPROTO_TCP, TCP_KEEPINTVL),
             option(fd, IPPROTO_TCP, TCP_KEEPCNT), option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT)});
    }
    return found;
}

// A soft mount with timeo=30 (3 s) and retrans=2: calls may take 9 s; probes every 3 s, three
// of them; unacknowledged data given up after 9 s.
constexpr uint64_t kSoftTimeoutMs = 9000;

void expect_soft_mount_liveness(uint16_t port) {
    const std::vector<SocketLiveness> sockets = sockets_to(port);
    ASSERT_EQ(sockets.size(), 1u) << "one connection to port " << port;
    EXPECT_EQ(sockets[0].keepalive, 1) << "SO_KEEPALIVE";
    EXPECT_EQ(sockets[0].idle, 3) << "TCP_KEEPIDLE";
    EXPECT_EQ(sockets[0].interval, 3) << "TCP_KEEPINTVL";
    EXPECT_EQ(sockets[0].probes, 3) << "TCP_KEEPCNT";
    EXPECT_EQ(sockets[0].user_timeout_ms, static_cast<int>(kSoftTimeoutMs)) << "TCP_USER_TIMEOUT";
}

std::unique_ptr<nfs::Nfs3Client> nfs3_client_of(const GaneshaServer& server,
                                                uint64_t call_timeout_ms) {
    nfs::ConnectionSettings settings;
    settings.host = "127.0.0.1";
    settings.export_path = server.export_dir().string();
    settings.nfs_port = server.nfs_port();
    settings.mount_port = server.mount_port();
    settings.call_timeout_ms = call_timeout_ms;
    auto client =
        std::make_unique<nfs::Nfs3Client>(std::make_unique<nfs::Nfs3Connection>(settings));
    client->start();
    return client;
}

nfs::v4::SessionSettings session_settings_of(const GaneshaServer& server,
                                             std::chrono::milliseconds call_timeout) {
    nfs::v4::SessionSettings settings;
    settings.rpc.host = "127.0.0.1";
    settings.rpc.port = server.nfs_port();
    settings.rpc.credentials.machine_name = "nfsfuse-test";
    settings.owner_id = "nfsfuse-test-liveness";
    settings.call_timeout = call_timeout;
    return settings;
}

TEST(ConnectionLivenessTest, TheNfs4ConnectionProbesAndGivesUpWithinTheTimeout) {
    nfs::v4::Session session(
        session_settings_of(shared_server(), std::chrono::milliseconds(kSoftTimeoutMs)));
    expect_soft_mount_liveness(shared_server().nfs_port());
}

TEST(ConnectionLivenessTest, AHardNfs4MountGivesUpAConnectionAfterLinuxsDefault) {
    nfs::v4::Session session(session_settings_of(shared_server(), 0ms));
    const std::vector<SocketLiveness> sockets = sockets_to(shared_server().nfs_port());
    ASSERT_EQ(sockets.size(), 1u);
    EXPECT_EQ(sockets[0].keepalive, 1);
    EXPECT_EQ(sockets[0].idle, 60);
    EXPECT_EQ(sockets[0].user_timeout_ms, 180000) << "timeo=600 * (retrans=2 + 1)";
}

// nfsfuse passes a hard mount's own timeo * (retrans + 1) (fusefs/main.cpp).
TEST(ConnectionLivenessTest, AHardNfs4MountWithItsOwnTimeoGivesUpAfterIt) {
    nfs::v4::SessionSettings settings = session_settings_of(shared_server(), 0ms);
    settings.liveness_timeout = 30000ms;
    nfs::v4::Session session(settings);
    const std::vector<SocketLiveness> sockets = sockets_to(shared_server().nfs_port());
    ASSERT_EQ(sockets.size(), 1u);
    EXPECT_EQ(sockets[0].idle, 10) << "timeo";
    EXPECT_EQ(sockets[0].user_timeout_ms, 30000);
}

TEST(ConnectionLivenessTest, TheNfs3ConnectionProbesAndGivesUpWithinTheTimeout) {
    auto client = nfs3_client_of(shared_server(), kSoftTimeoutMs);
    expect_soft_mount_liveness(shared_server().nfs_port());
}

TEST(ConnectionLivenessTest, TheNfs3ConnectionMadeAfterAServerRestartHasThemToo) {
    GaneshaServer server(scratch_root() / current_test_dir_name());
    auto client = nfs3_client_of(server, 30000);
    const nfs::CallContext context;
    client->getattr(context, client->root());
    server.stop();
    server.start();
    client->getattr(context, client->root());  // on a new connection
    const std::vector<SocketLiveness> sockets = sockets_to(server.nfs_port());
    ASSERT_EQ(sockets.size(), 1u);
    EXPECT_EQ(sockets[0].keepalive, 1) << "the new socket";
    EXPECT_EQ(sockets[0].user_timeout_ms, 30000);
}

// Drops every packet to and from a local TCP port while it lives: a server that vanished
// without a word, as when its host lost power or a firewall forgot the connection.
class SilencedPort {
  public:
    explicit SilencedPort(uint16_t port) : port_(std::to_string(port)) {
        active_ = rule("-I", "--dport") && rule("-I", "--sport");
    }
    ~SilencedPort() {
        rule("-D", "--dport");
        rule("-D", "--sport");
    }
    SilencedPort(const SilencedPort&) = delete;
    SilencedPort& operator=(const SilencedPort&) = delete;
    bool active() const { return active_; }

  private:
    bool rule(const char* action, const char* direction) const {
        return run_command({"iptables", "-w", action, "INPUT", "-i", "lo", "-p", "tcp", direction,
                            port_, "-j", "DROP"})
            .succeeded();
    }
    std::string port_;
    bool active_ = false;
};

// Whether this process still has an established connection to `port` after up to `wait`.
bool still_established(uint16_t port, std::chrono::seconds wait) {
    const auto until = std::chrono::steady_clock::now() + wait;
    for (;;) {
        bool established = false;
        for (const SocketLiveness& socket : sockets_to(port))
            established = established || socket.state == TCP_ESTABLISHED;
        if (!established) return false;
        if (std::chrono::steady_clock::now() >= until) return true;
        std::this_thread::sleep_for(200ms);
    }
}

// A soft mount of 3 s: probes after 1 s idle, every second; given up 3 s after the first
// unanswered one.
constexpr uint64_t kQuickTimeoutMs = 3000;

TEST(ConnectionLivenessTest, AnIdleNfs4ConnectionToASilentServerIsGivenUpAndMadeAgain) {
    GaneshaServer server(scratch_root() / current_test_dir_name());
    nfs::v4::Session session(
        session_settings_of(server, std::chrono::milliseconds(kQuickTimeoutMs)));
    ASSERT_FALSE(sockets_to(server.nfs_port()).empty());
    {
        SilencedPort silence(server.nfs_port());
        if (!silence.active()) GTEST_SKIP() << "iptables cannot drop packets here";
        EXPECT_FALSE(still_established(server.nfs_port(), 20s))
            << "the connection to a silent server was not given up";
    }
    EXPECT_NO_THROW(session.call(
        nfs::CallContext{}, "PUTROOTFH", [](nfs::v4::CompoundBuilder& b) { b.putrootfh(); },
        [](nfs::v4::CompoundReply& r) { r.putrootfh(); }));
}

TEST(ConnectionLivenessTest, AnIdleNfs3ConnectionToASilentServerIsGivenUpAndMadeAgain) {
    GaneshaServer server(scratch_root() / current_test_dir_name());
    auto client = nfs3_client_of(server, kQuickTimeoutMs);
    const nfs::CallContext context;
    client->getattr(context, client->root());
    {
        SilencedPort silence(server.nfs_port());
        if (!silence.active()) GTEST_SKIP() << "iptables cannot drop packets here";
        EXPECT_FALSE(still_established(server.nfs_port(), 20s))
            << "the connection to a silent server was not given up";
    }
    EXPECT_NO_THROW(client->getattr(context, client->root()));
}

}  // namespace
}  // namespace nfsfuse::it
