// One TCP connection to an ONC-RPC server (RFC 5531, record marking) for nfsfuse's NFSv4.1
// client: many calls in flight at once, each matched to its reply by xid.
// No thread of its own: a caller waiting for its reply reads the socket for everyone while nobody
// else does, and hands the replies it finds to their callers (as Nfs3Connection's driver does: on
// this kind of machine a hand-over between threads costs about as much as the server's work).
// Failures: when the connection breaks, every call waiting on it fails with ECONNRESET and the
// next call connects again. Nothing is resent here: whether a call may run twice is for the
// layer above to decide (NFSv4.1 replays a request on the same session slot).
// Thread-safety: call() may be used from any number of threads at once.
// Ownership: owns the socket; destroy only when no call is running.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "nfs/cancel_token.h"
#include "nfs/v4/rpc_message.h"

namespace nfsfuse::nfs::v4 {

struct RpcSettings {
    std::string host;
    uint16_t port = 2049;
    uint32_t program = 100003;  // NFS
    uint32_t version = 4;
    AuthSys credentials;
    std::chrono::milliseconds connect_timeout{15000};
};

class RpcConnection {
  public:
    // Connects at once; throws nfsfuse::Error naming the server when it cannot.
    explicit RpcConnection(RpcSettings settings);
    ~RpcConnection();
    RpcConnection(const RpcConnection&) = delete;
    RpcConnection& operator=(const RpcConnection&) = delete;

    // Calls `procedure` with `arguments` (the XDR after the RPC header) and returns the results
    // (the reply after its header). `timeout` 0 waits for ever. Throws ETIMEDOUT, EINTR (cancel),
    // ECONNRESET (the connection broke: the call may or may not have run), or the errors of
    // decode_reply_header.
    std::string call(const CancelToken& cancel, uint32_t procedure, std::string_view arguments,
                     std::chrono::milliseconds timeout);

    // How many times the connection was made (1 after construction), for tests and logs.
    uint64_t connections_made() const;

  private:
    struct Pending;
    using Lock = std::unique_lock<std::mutex>;

    void connect_locked();
    // Marks the connection broken and fails every waiting call. With mutex_ held.
    void break_locked(const std::string& why);
    // As the reader: waits up to `wait` for data and takes in the complete records that arrived.
    void read_some(Lock& lock, std::chrono::milliseconds wait);
    void dispatch_locked(std::string record);

    const RpcSettings settings_;
    std::mutex send_mutex_;  // one record on the wire at a time; taken before mutex_

    mutable std::mutex mutex_;
    std::condition_variable replies_;  // a reply arrived, the reader left, or the connection broke
    // Guarded by mutex_:
    int fd_ = -1;
    uint64_t connections_made_ = 0;
    uint32_t next_xid_;
    bool reader_active_ = false;
    std::unordered_map<uint32_t, std::shared_ptr<Pending>> pending_;
    std::string received_;  // bytes read, not yet a complete record
    std::string record_;    // fragments of the record being assembled
};

}  // namespace nfsfuse::nfs::v4
