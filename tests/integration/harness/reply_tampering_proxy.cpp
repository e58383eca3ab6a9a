#include "harness/reply_tampering_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "harness/harness_error.h"

namespace nfsfuse::it {
namespace {

constexpr uint32_t kLastFragment = 0x80000000U;

sockaddr_in loopback(uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

uint32_t word_at(const std::vector<char>& bytes, size_t offset) {
    uint32_t word = 0;
    std::memcpy(&word, bytes.data() + offset, sizeof word);
    return ntohl(word);
}

// Bytes received on one side, cut into records (fragment header and body).
class RecordReader {
  public:
    // Reads what `fd` holds; false when the connection ended.
    bool fill(int fd) {
        char chunk[65536];
        const ssize_t got = recv(fd, chunk, sizeof chunk, 0);
        if (got <= 0) return false;
        bytes_.insert(bytes_.end(), chunk, chunk + got);
        return true;
    }
    // The next whole fragment with its 4-byte header, if it has arrived.
    std::optional<std::vector<char>> next() {
        if (bytes_.size() < 4) return std::nullopt;
        const size_t length = (word_at(bytes_, 0) & ~kLastFragment) + 4;
        if (bytes_.size() < length) return std::nullopt;
        std::vector<char> record(bytes_.begin(), bytes_.begin() + static_cast<long>(length));
        bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<long>(length));
        return record;
    }

  private:
    std::vector<char> bytes_;
};

bool send_all(int fd, const std::vector<char>& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return false;
        sent += static_cast<size_t>(n);
    }
    return true;
}

void append_word(std::vector<char>& bytes, uint32_t value) {
    const uint32_t big_endian = htonl(value);
    const char* raw = reinterpret_cast<const char*>(&big_endian);
    bytes.insert(bytes.end(), raw, raw + sizeof big_endian);
}

// A whole record: REPLY, MSG_ACCEPTED, an AUTH_NONE verifier, SUCCESS, then `results`.
std::vector<char> accepted_reply(uint32_t xid, const std::string& results) {
    std::vector<char> record;
    append_word(record, kLastFragment | static_cast<uint32_t>(6 * 4 + results.size()));
    append_word(record, xid);
    for (const uint32_t word : {1u, 0u, 0u, 0u, 0u}) append_word(record, word);
    record.insert(record.end(), results.begin(), results.end());
    return record;
}

// Closes with an RST instead of a FIN: the client sees ECONNRESET at once.
void reset(int fd) {
    const linger abort{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    close(fd);
}

}  // namespace

ReplyTamperingProxy::ReplyTamperingProxy(uint16_t server_port) : server_port_(server_port) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(listener_, 16) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        throw HarnessError(std::string("reply-dropping proxy: ") + std::strerror(errno));
    port_ = ntohs(address.sin_port);
    stop_fd_ = eventfd(0, EFD_CLOEXEC);
    acceptor_ = std::thread([this] { accept_loop(); });
}

ReplyTamperingProxy::~ReplyTamperingProxy() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t written = write(stop_fd_, &one, sizeof one);
    acceptor_.join();
    for (std::thread& relay : relays_) relay.join();
    close(listener_);
    close(stop_fd_);
}

void ReplyTamperingProxy::lose_reply_to(uint32_t procedure) {
    std::lock_guard lock(mutex_);
    next_ = Tampering{procedure, std::nullopt};
}

void ReplyTamperingProxy::replace_reply_to(uint32_t procedure, std::string results) {
    std::lock_guard lock(mutex_);
    next_ = Tampering{procedure, std::move(results)};
}

void ReplyTamperingProxy::accept_loop() {
    for (;;) {
        pollfd fds[2] = {{listener_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
        if (fds[1].revents) return;
        if (!fds[0].revents) continue;
        const int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client >= 0) relays_.emplace_back([this, client] { relay(client); });
    }
}

std::optional<ReplyTamperingProxy::Tampering> ReplyTamperingProxy::tampering_for(
    const std::vector<char>& record) {
    // Fragment header, xid, CALL (0), rpcvers, prog, vers, proc.
    if (record.size() < 28 || word_at(record, 8) != 0) return std::nullopt;
    std::lock_guard lock(mutex_);
    if (!next_ || next_->procedure != word_at(record, 24)) return std::nullopt;
    std::optional<Tampering> due = std::move(next_);
    next_.reset();
    return due;
}

void ReplyTamperingProxy::relay(int client) {
    const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in address = loopback(server_port_);
    if (connect(server, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        reset(client);
        close(server);
        return;
    }
    RecordReader from_client;
    RecordReader from_server;
    // The call whose reply is tampered with, once it went by: its xid, and what to do.
    struct Doomed {
        uint32_t xid = 0;
        Tampering what;
    };
    std::optional<Doomed> doomed;
    for (;;) {
        pollfd fds[3] = {{client, POLLIN, 0}, {server, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
        if (poll(fds, 3, -1) < 0 && errno != EINTR) break;
        if (fds[2].revents) break;
        if (fds[0].revents) {
            if (!from_client.fill(client)) break;
            while (auto record = from_client.next()) {
                if (auto due = tampering_for(*record))
                    doomed = Doomed{word_at(*record, 4), std::move(*due)};
                if (!send_all(server, *record)) break;
            }
        }
        if (fds[1].revents) {
            if (!from_server.fill(server)) break;
            while (auto record = from_server.next()) {
                const bool is_doomed =
                    doomed && record->size() >= 8 && word_at(*record, 4) == doomed->xid;
                if (is_doomed && doomed->what.replacement) {
                    ++replies_replaced_;
                    const std::vector<char> replaced =
                        accepted_reply(doomed->xid, *doomed->what.replacement);
                    doomed.reset();
                    if (!send_all(client, replaced)) break;
                    continue;
                }
                if (is_doomed) {
                    ++replies_lost_;
                    reset(client);
                    close(server);
                    return;
                }
                if (!send_all(client, *record)) break;
            }
        }
    }
    reset(client);
    close(server);
}

}  // namespace nfsfuse::it
