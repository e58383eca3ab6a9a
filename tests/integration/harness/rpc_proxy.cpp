#include "harness/rpc_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/harness_error.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

constexpr uint32_t kNfsProgram = 100003;
constexpr uint32_t kNfs3Commit = 21;
constexpr uint32_t kNfs4Compound = 1;
constexpr uint32_t kOpCommit = 5;
constexpr uint32_t kOpPutfh = 22;
constexpr uint32_t kOpSequence = 53;
constexpr size_t kSequenceArgs = 32;  // sessionid, sequenceid, slotid, highest slotid, cachethis

bool read_exactly(int fd, char* data, size_t size) {
    size_t done = 0;
    while (done < size) {
        const ssize_t got = ::read(fd, data + done, size - done);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return false;
        done += static_cast<size_t>(got);
    }
    return true;
}

bool send_all(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t sent = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) return false;
        done += static_cast<size_t>(sent);
    }
    return true;
}

// One RPC message with its record marking: `raw` as it came (to forward), `body` the fragments'
// contents joined (to look into).
struct Record {
    std::string raw;
    std::string body;
};

bool read_record(int fd, Record& record) {
    record = {};
    for (;;) {
        char header[4];
        if (!read_exactly(fd, header, sizeof header)) return false;
        uint32_t marker;
        std::memcpy(&marker, header, sizeof marker);
        marker = ntohl(marker);
        const size_t length = marker & 0x7fffffffu;
        std::string fragment(length, '\0');
        if (!read_exactly(fd, fragment.data(), length)) return false;
        record.raw.append(header, sizeof header).append(fragment);
        record.body.append(fragment);
        if (marker & 0x80000000u) return true;
    }
}

// Reads big-endian words from a message; any read past its end makes ok() false.
class Words {
  public:
    explicit Words(const std::string& data) : data_(data) {}
    uint32_t next() {
        if (position_ + 4 > data_.size()) {
            ok_ = false;
            return 0;
        }
        uint32_t word;
        std::memcpy(&word, data_.data() + position_, sizeof word);
        position_ += 4;
        return ntohl(word);
    }
    void skip(size_t bytes) { position_ += (bytes + 3) / 4 * 4; }
    void skip_opaque() { skip(next()); }
    bool ok() const { return ok_ && position_ <= data_.size(); }

  private:
    const std::string& data_;
    size_t position_ = 0;
    bool ok_ = true;
};

// The xid of an NFS call that is a COMMIT; nullopt for anything else.
std::optional<uint32_t> commit_call_xid(const std::string& body) {
    Words in(body);
    const uint32_t xid = in.next();
    const uint32_t type = in.next();
    in.next();  // RPC version
    const uint32_t program = in.next();
    const uint32_t version = in.next();
    const uint32_t procedure = in.next();
    in.next();  // credential flavor
    in.skip_opaque();
    in.next();  // verifier flavor
    in.skip_opaque();
    if (!in.ok() || type != 0 || program != kNfsProgram) return std::nullopt;
    if (version == 3) return procedure == kNfs3Commit ? std::optional(xid) : std::nullopt;
    if (version != 4 || procedure != kNfs4Compound) return std::nullopt;
    in.skip_opaque();  // tag
    in.next();         // minor version
    const uint32_t operations = in.next();
    for (uint32_t i = 0; i < operations && in.ok(); ++i) {
        const uint32_t op = in.next();
        if (op == kOpCommit) return in.ok() ? std::optional(xid) : std::nullopt;
        if (op == kOpSequence) {
            in.skip(kSequenceArgs);
        } else if (op == kOpPutfh) {
            in.skip_opaque();
        } else {
            return std::nullopt;  // not one we can step over: not a COMMIT compound
        }
    }
    return std::nullopt;
}

uint32_t reply_xid(const std::string& body) {
    return Words(body).next();
}

int connect_to(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

struct RpcProxy::Connection {
    int client_fd = -1;
    int server_fd = -1;
    std::mutex mutex;
    std::set<uint32_t> commit_xids;  // guarded by mutex
    std::mutex client_write;         // one record at a time towards the client
    std::thread calls;
    std::thread replies;
    std::vector<std::thread> held;  // guarded by mutex

    // Wakes both directions: each ends at its next read or write.
    void shut() const {
        ::shutdown(client_fd, SHUT_RDWR);
        ::shutdown(server_fd, SHUT_RDWR);
    }
};

RpcProxy::RpcProxy(uint16_t server_port) : server_port_(server_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw HarnessError("proxy socket: " + errno_text(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        const int error = errno;
        ::close(listen_fd_);
        throw HarnessError("proxy listening socket: " + errno_text(error));
    }
    port_ = ntohs(address.sin_port);
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
    if (stop_fd_ < 0) {
        ::close(listen_fd_);
        throw HarnessError("proxy eventfd: " + errno_text(errno));
    }
    acceptor_ = std::thread([this] { accept_loop(); });
}

RpcProxy::~RpcProxy() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        for (const auto& connection : connections_) connection->shut();
    }
    changed_.notify_all();
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(stop_fd_, &one, sizeof one);
    acceptor_.join();
    // No new connection comes now; the lists are ours.
    for (const auto& connection : connections_) {
        connection->calls.join();
        connection->replies.join();
        for (std::thread& held : connection->held) held.join();
        ::close(connection->client_fd);
        ::close(connection->server_fd);
    }
    ::close(listen_fd_);
    ::close(stop_fd_);
}

void RpcProxy::delay_commit_replies(std::chrono::milliseconds delay) {
    std::lock_guard lock(mutex_);
    commit_delay_ = delay;
}

size_t RpcProxy::commit_replies() const {
    std::lock_guard lock(mutex_);
    return commit_replies_;
}

bool RpcProxy::wait_for_commit_reply(size_t seen, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return commit_replies_ > seen; });
}

void RpcProxy::accept_loop() {
    for (;;) {
        std::array<pollfd, 2> waits{pollfd{.fd = stop_fd_, .events = POLLIN, .revents = 0},
                                    pollfd{.fd = listen_fd_, .events = POLLIN, .revents = 0}};
        if (::poll(waits.data(), waits.size(), -1) < 0 && errno != EINTR) return;
        if (waits[0].revents != 0) return;
        if (waits[1].revents == 0) continue;
        const int client_fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client_fd < 0) continue;
        const int server_fd = connect_to(server_port_);
        if (server_fd < 0) {  // the server is down: the client tries again, as with no proxy
            ::close(client_fd);
            continue;
        }
        std::lock_guard lock(mutex_);
        if (stopping_) {
            ::close(client_fd);
            ::close(server_fd);
            return;
        }
        auto connection = std::make_unique<Connection>();
        connection->client_fd = client_fd;
        connection->server_fd = server_fd;
        Connection& started = *connection;
        connections_.push_back(std::move(connection));
        started.calls = std::thread([this, &started] { forward_calls(started); });
        started.replies = std::thread([this, &started] { forward_replies(started); });
    }
}

void RpcProxy::forward_calls(Connection& connection) {
    Record record;
    while (read_record(connection.client_fd, record)) {
        if (const auto xid = commit_call_xid(record.body)) {
            std::lock_guard lock(connection.mutex);
            connection.commit_xids.insert(*xid);
        }
        if (!send_all(connection.server_fd, record.raw)) break;
    }
    connection.shut();
}

void RpcProxy::forward_replies(Connection& connection) {
    Record record;
    while (read_record(connection.server_fd, record)) {
        bool is_commit;
        {
            std::lock_guard lock(connection.mutex);
            is_commit = connection.commit_xids.erase(reply_xid(record.body)) > 0;
        }
        std::chrono::milliseconds delay{0};
        if (is_commit) {
            std::lock_guard lock(mutex_);
            ++commit_replies_;
            delay = commit_delay_;
            changed_.notify_all();
        }
        if (delay.count() > 0) {
            const auto due = std::chrono::steady_clock::now() + delay;
            std::lock_guard lock(connection.mutex);
            connection.held.emplace_back(
                [this, &connection, due, held = std::move(record.raw)]() mutable {
                    held_reply(connection, std::move(held), due);
                });
            continue;
        }
        std::lock_guard lock(connection.client_write);
        if (!send_all(connection.client_fd, record.raw)) break;
    }
    connection.shut();
}

void RpcProxy::held_reply(Connection& connection, std::string record,
                          std::chrono::steady_clock::time_point due) {
    {
        std::unique_lock lock(mutex_);
        if (changed_.wait_until(lock, due, [this] { return stopping_; })) return;
    }
    std::lock_guard lock(connection.client_write);
    send_all(connection.client_fd, record);
}

}  // namespace nfsfuse::it
