// One NFSv3 connection: a libnfs context (one TCP connection to the server), the MOUNT of the
// export, and the driving of the context's socket. Callers on any thread submit raw rpc_nfs3_*
// calls through call() and block until the reply, a timeout, or their cancellation.
// Who drives the socket: a caller that finds nobody else driving it sends its request and reads
// the replies itself until its own has come (the "driver"), so a lone call costs no hand-over to
// another thread and back: on this kind of machine each thread switch costs about as much as the
// server's work for a GETATTR. Calls made while a driver is active are sent and answered by that
// driver; whatever is still outstanding when it leaves goes to the service thread, which also
// reconnects after a failure.
// Thread-safety: call() is safe from any thread; the libnfs context is only touched under
// context_mutex_, and only one thread at a time polls the socket. Ownership: owned by Nfs3Client
// (unique_ptr); the service thread is joined in the destructor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "nfs/call_context.h"
#include "nfs/credentials.h"
#include "nfs/tcp_liveness.h"
#include "nfs/types.h"

struct nfs_context;
struct rpc_context;

namespace nfsfuse::nfs {

struct ConnectionSettings {
    std::string host;
    std::string export_path;
    std::optional<uint16_t> nfs_port;    // skip the portmapper when set
    std::optional<uint16_t> mount_port;  // likewise for MOUNT
    // Whom calls are made for unless a call names its own caller (CallContext::credentials), and
    // the machine name AUTH_SYS carries.
    Credentials identity;
    std::string machine_name = "nfsfuse";
    // 0: wait for ever (hard mount). Otherwise a call fails with ETIMEDOUT after this long.
    uint64_t call_timeout_ms = 0;
    // The mount's timeo * (retrans + 1), hard or soft: how long the connection may stay silent
    // before it is given up and made again (tcp_liveness.h). 0: the soft timeout, or nfs(5)'s.
    uint64_t liveness_timeout_ms = 0;
};

class Nfs3Connection {
  public:
    // Connects and mounts the export synchronously (bounded by the call timeout in soft mode).
    // Throws nfsfuse::Error with a message naming the server and export on failure.
    explicit Nfs3Connection(const ConnectionSettings& settings);
    ~Nfs3Connection();
    Nfs3Connection(const Nfs3Connection&) = delete;
    Nfs3Connection& operator=(const Nfs3Connection&) = delete;

    // Starts the service thread. Separate from construction because `nfsfuse` daemonizes (fork)
    // between mounting and serving, and threads do not survive fork.
    void start();

    const FileHandle& root() const { return root_; }
    uint32_t max_read() const { return max_read_; }
    uint32_t max_write() const { return max_write_; }

    // The libnfs callback signature (matches rpc_cb).
    using RawCallback = void (*)(rpc_context*, int, void*, void*);
    // Queues one request: must call an rpc_nfs3_*_async function with the given callback and
    // private data and return its result.
    using Submit = std::function<int(rpc_context*, RawCallback, void*)>;
    // Runs on the service thread with the decoded reply (e.g. GETATTR3res*), only while the caller
    // still waits, so it may write into the caller's locals. Must copy what it needs: the reply
    // is freed when it returns.
    using OnReply = std::function<void(void* reply)>;

    // Sends one call and waits. Throws Error(ETIMEDOUT) after the call timeout, Error(EINTR) when
    // `context` is cancelled, Error(EIO) when the transport fails. `what` names the call in
    // messages.
    void call(const CallContext& context, const char* what, const Submit& submit,
              const OnReply& on_reply);

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
    void note_connection_state(bool failed, short revents);
    // As the driver: services the socket until `pending` is done, the call is cancelled or past
    // its deadline, or the connection failed; then stops driving.
    void drive_until_done(const CallContext& context, Clock::time_point deadline,
                          PendingCall& pending);

    ConnectionSettings settings_;
    const TcpLiveness liveness_;      // from the call timeout, as the kernel's
    std::mutex context_mutex_;        // guards context_ (libnfs contexts are not thread-safe)
    nfs_context* context_ = nullptr;  // guarded by context_mutex_
    rpc_context* rpc_ = nullptr;      // belongs to context_; guarded by context_mutex_
    // What rpc_'s AUTH carries (empty: libnfs's own). Guarded by context_mutex_.
    std::optional<Credentials> credentials_in_use_;
    FileHandle root_;
    uint32_t max_read_ = 0;
    uint32_t max_write_ = 0;
    int wake_fd_ = -1;  // eventfd: tells the poller that new requests are queued
    // Guarded by context_mutex_:
    bool stopping_ = false;
    size_t outstanding_ = 0;              // requests queued in libnfs and not yet completed
    bool driver_active_ = false;          // a caller is polling the socket
    bool service_polling_ = false;        // the service thread is polling the socket
    bool failing_ = false;                // the connection is broken; the service thread reconnects
    std::condition_variable service_cv_;  // wakes the service thread when it has work again
    std::thread service_thread_;
};

}  // namespace nfsfuse::nfs
