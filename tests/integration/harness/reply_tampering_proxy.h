// A TCP proxy in front of one ONC-RPC server port that tampers with the reply to a chosen call
// after the server ran it. It can lose the reply and reset the client's connection: what a
// client sees when a connection dies between the server's work and its answer (the client then
// sends the call again on a new connection, a replay). Or it can answer in the server's place
// with results of the test's choosing: what a client sees from a broken or hostile server.
// Records are passed on whole, one fragment at a time (nfsfuse and ganesha send one-fragment
// records). Thread-safety: lose_reply_to() and replies_lost() from any thread. Ownership: owns its
// sockets and threads; the destructor closes and joins them.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace nfsfuse::it {

class ReplyTamperingProxy {
  public:
    // Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:server_port.
    explicit ReplyTamperingProxy(uint16_t server_port);
    ~ReplyTamperingProxy();
    ReplyTamperingProxy(const ReplyTamperingProxy&) = delete;
    ReplyTamperingProxy& operator=(const ReplyTamperingProxy&) = delete;

    uint16_t port() const { return port_; }
    // The next call of `procedure` (of any program) goes to the server; its reply does not come
    // back, and the client's connection is reset.
    void lose_reply_to(uint32_t procedure);
    int replies_lost() const { return replies_lost_.load(); }
    // The next call of `procedure` goes to the server; the client gets, instead of the server's
    // reply, an accepted reply with the same xid whose results are `results` (the bytes after
    // the RPC header, e.g. an NFSv3 status and what follows it).
    void replace_reply_to(uint32_t procedure, std::string results);
    int replies_replaced() const { return replies_replaced_.load(); }

  private:
    void accept_loop();
    void relay(int client);
    // What happens to the reply of a call: lost (no replacement) or replaced.
    struct Tampering {
        uint32_t procedure = 0;
        std::optional<std::string> replacement;
    };
    // The tampering due for the record a client sent, if it is the call chosen.
    std::optional<Tampering> tampering_for(const std::vector<char>& record);

    const uint16_t server_port_;
    uint16_t port_ = 0;
    int listener_ = -1;
    int stop_fd_ = -1;  // eventfd: readable once the proxy stops
    std::atomic<int> replies_lost_{0};
    std::atomic<int> replies_replaced_{0};
    std::mutex mutex_;
    std::optional<Tampering> next_;  // guarded by mutex_
    std::thread acceptor_;
    std::vector<std::thread> relays_;  // only the acceptor adds; joined after it
};

}  // namespace nfsfuse::it
