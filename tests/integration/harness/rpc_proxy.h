// A TCP proxy on 127.0.0.1 in front of an NFS server that can hold back the replies to COMMIT
// (an NFSv3 COMMIT, or an NFSv4.1 COMPOUND of SEQUENCE, PUTFH, COMMIT) for a while: the server has
// executed the COMMIT, the client does not know yet, and the test can do things in between.
// Everything else passes untouched. The server may restart behind it: a connection whose server
// side closes is closed on the client side too, and the client's next connection reaches the new
// server. Mount through it with the option port=port().
// Thread-safety: its methods may be called from any thread; it runs threads of its own, all of
// which the destructor stops and joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace nfsfuse::it {

class RpcProxy {
  public:
    explicit RpcProxy(uint16_t server_port);
    ~RpcProxy();
    RpcProxy(const RpcProxy&) = delete;
    RpcProxy& operator=(const RpcProxy&) = delete;

    uint16_t port() const { return port_; }
    // From now on, each COMMIT reply reaches the client `delay` after the server sent it (0: at
    // once). Replies to other calls overtake it.
    void delay_commit_replies(std::chrono::milliseconds delay);
    // COMMIT replies the server sent so far (each one proves its COMMIT was executed).
    size_t commit_replies() const;
    // Waits until commit_replies() exceeds `seen`; false when the timeout passed first.
    bool wait_for_commit_reply(size_t seen, std::chrono::milliseconds timeout) const;

  private:
    struct Connection;

    void accept_loop();
    void forward_calls(Connection& connection);
    void forward_replies(Connection& connection);
    void held_reply(Connection& connection, std::string record,
                    std::chrono::steady_clock::time_point due);

    const uint16_t server_port_;
    uint16_t port_ = 0;
    int listen_fd_ = -1;
    int stop_fd_ = -1;  // an eventfd: readable once the destructor runs

    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    bool stopping_ = false;                               // guarded by mutex_
    std::chrono::milliseconds commit_delay_{0};           // guarded by mutex_
    size_t commit_replies_ = 0;                           // guarded by mutex_
    std::list<std::unique_ptr<Connection>> connections_;  // guarded by mutex_
    std::thread acceptor_;
};

}  // namespace nfsfuse::it
