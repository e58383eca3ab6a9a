// A TCP proxy in front of one ONC-RPC server port that can lose the reply to a chosen call after
// the server ran it, and then reset the client's connection: what a client sees when a
// connection dies between the server's work and its answer. The client then sends the call again
// on a new connection (a replay), which is what the test is about.
// Records are passed on whole, one fragment at a time (libnfs and ganesha send one-fragment
// records). Thread-safety: lose_reply_to() and replies_lost() from any thread. Ownership: owns its
// sockets and threads; the destructor closes and joins them.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace nfsfuse::it {

class ReplyDroppingProxy {
  public:
    // Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:server_port.
    explicit ReplyDroppingProxy(uint16_t server_port);
    ~ReplyDroppingProxy();
    ReplyDroppingProxy(const ReplyDroppingProxy&) = delete;
    ReplyDroppingProxy& operator=(const ReplyDroppingProxy&) = delete;

    uint16_t port() const { return port_; }
    // The next call of `procedure` (of any program) goes to the server; its reply does not come
    // back, and the client's connection is reset.
    void lose_reply_to(uint32_t procedure);
    int replies_lost() const { return replies_lost_.load(); }

  private:
    void accept_loop();
    void relay(int client);
    // Whether the record a client sent is the call whose reply is to be lost; remembers its xid.
    bool is_doomed_call(const std::vector<char>& record);

    const uint16_t server_port_;
    uint16_t port_ = 0;
    int listener_ = -1;
    int stop_fd_ = -1;  // eventfd: readable once the proxy stops
    std::atomic<int> replies_lost_{0};
    std::mutex mutex_;
    std::optional<uint32_t> doomed_procedure_;  // guarded by mutex_
    std::thread acceptor_;
    std::vector<std::thread> relays_;  // only the acceptor adds; joined after it
};

}  // namespace nfsfuse::it
