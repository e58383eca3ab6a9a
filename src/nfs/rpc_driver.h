// Drives one connected libnfs rpc_context (one TCP connection): callers on any thread submit raw
// rpc_* calls through call() and block until the reply, a timeout, or their cancellation. Used by
// Nfs3Connection (the NFS context) and NlmConnection (the NLM lock service's context).
// Who drives the socket: a caller that finds nobody else driving it sends its request and reads
// the replies itself until its own has come (the "driver"), so a lone call costs no hand-over to
// another thread and back: on this kind of machine each thread switch costs about as much as the
// server's work for a GETATTR. Calls made while a driver is active are sent and answered by that
// driver; whatever is still outstanding when it leaves goes to the service thread, which also
// reconnects after a failure (when libnfs reconnects the context).
// Thread-safety: call() is safe from any thread; the libnfs context is only touched under
// context_mutex_, and only one thread at a time polls the socket. Ownership: owns the context
// (released through the function given) and the service thread, joined in the destructor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "nfs/call_context.h"
#include "nfs/connection_settings.h"
#include "nfs/credentials.h"
#include "nfs/tcp_liveness.h"

struct rpc_context;

namespace nfsfuse::nfs {

class RpcDriver {
  public:
    // What happens when the connection fails. by_libnfs: libnfs makes it again and sends the
    // calls in flight again (an NFS context with autoreconnect). never: the connection is closed
    // for good, every call on it fails, and its owner makes a new one (closed() tells).
    enum class Reconnect { by_libnfs, never };

    // `rpc`: a connected context; `release` frees it (and whatever owns it) in the destructor,
    // after the service thread stopped. `label` names the connection in log messages.
    RpcDriver(rpc_context* rpc, std::function<void()> release, const ConnectionSettings& settings,
              std::string label, Reconnect reconnect);
    ~RpcDriver();
    RpcDriver(const RpcDriver&) = delete;
    RpcDriver& operator=(const RpcDriver&) = delete;

    // Starts the service thread. Separate from construction because `nfsfuse` daemonizes (fork)
    // between mounting and serving, and threads do not survive fork.
    void start();

    // The libnfs callback signature (matches rpc_cb).
    using RawCallback = void (*)(rpc_context*, int, void*, void*);
    // Queues one request: must call an rpc_*_async function with the given callback and private
    // data and return its result.
    using Submit = std::function<int(rpc_context*, RawCallback, void*)>;
    // Runs with the decoded reply (e.g. GETATTR3res*), only while the caller still waits, so it
    // may write into the caller's locals. Must copy what it needs: the reply is freed when it
    // returns.
    using OnReply = std::function<void(void* reply)>;

    // Sends one call and waits. Throws Error(ETIMEDOUT) after the call timeout, Error(EINTR) when
    // `context` is cancelled, Error(EIO) when the transport fails, Error(ECONNRESET) on a closed
    // connection (Reconnect::never). `what` names the call in messages.
    void call(const CallContext& context, const char* what, const Submit& submit,
              const OnReply& on_reply);

    // Reconnect::never only: the connection failed and is closed; calls on it fail at once.
    bool closed();

  private:
    struct PendingCall;
    static void on_rpc_done(rpc_context* rpc, int status, void* data, void* private_data);
    using Clock = std::chrono::steady_clock;
    void service_loop();
    // Tells whoever polls the socket (the driver, or the service thread) that requests are queued.
    void wake_poller();
    // One poll of the socket (up to timeout_ms) and rpc_service. Called with context_mutex_ held;
    // releases it while polling. Returns false when the connection failed; `revents` is what the
    // poll saw.
    bool service_once(int timeout_ms, short& revents);
    // Makes the context's next calls carry `who` (libnfs encodes the credential into each
    // request as it is queued). Under context_mutex_.
    void use_credentials(const Credentials& who);
    // Sets TCP keepalive and user timeout on libnfs's socket, which libnfs makes anew on every
    // reconnect. Under context_mutex_.
    void apply_liveness();
    // Logs the connection failing and working again, and keeps failing_ (under context_mutex_).
    // A connection that libnfs does not make again is closed here, failing its calls.
    void note_connection_state(bool failed, short revents);
    // As the driver: services the socket until `pending` is done, the call is cancelled or past
    // its deadline, or the connection failed; then stops driving.
    void drive_until_done(const CallContext& context, Clock::time_point deadline,
                          PendingCall& pending);

    const ConnectionSettings settings_;
    const std::string label_;
    const Reconnect reconnect_;
    const TcpLiveness liveness_;  // from the call timeout, as the kernel's
    std::function<void()> release_;
    std::mutex context_mutex_;    // guards rpc_ (libnfs contexts are not thread-safe)
    rpc_context* rpc_ = nullptr;  // guarded by context_mutex_
    // What rpc_'s AUTH carries (empty: libnfs's own). Guarded by context_mutex_.
    std::optional<Credentials> credentials_in_use_;
    int wake_fd_ = -1;  // eventfd: tells the poller that new requests are queued
    // Guarded by context_mutex_:
    bool stopping_ = false;
    size_t outstanding_ = 0;              // requests queued in libnfs and not yet completed
    bool driver_active_ = false;          // a caller is polling the socket
    bool service_polling_ = false;        // the service thread is polling the socket
    bool failing_ = false;                // the connection is broken; the service thread reconnects
    bool closed_ = false;                 // Reconnect::never: failed for good
    std::condition_variable service_cv_;  // wakes the service thread when it has work again
    std::thread service_thread_;
};

}  // namespace nfsfuse::nfs
