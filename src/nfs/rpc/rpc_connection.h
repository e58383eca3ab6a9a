// One TCP connection to an ONC-RPC server (RFC 5531, record marking) for nfsfuse's own clients
// (NFSv4.1, and NFSv3 with MOUNT, portmapper and NLM): many calls in flight at once, each matched
// to its reply by xid. No thread of its own: a caller waiting for its reply reads the socket for
// everyone while nobody else does, and hands the replies it finds to their callers (on this kind
// of machine a hand-over between threads costs about as much as the server's work). Failures:
// when the connection breaks, every call waiting on it fails with ECONNRESET and the next call
// connects again. Nothing is resent here: whether a call may run twice is for the layer above to
// decide (NFSv4.1 replays a request on the same session slot; NFSv3 sends it again with its xid).
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
#include <vector>

#include "nfs/call_context.h"
#include "nfs/rpc/rpc_message.h"
#include "nfs/rpc/rpc_transport.h"
#include "nfs/tcp_liveness.h"

namespace nfsfuse::nfs {

struct RpcSettings {
    std::string host;
    uint16_t port = 2049;
    uint32_t program = 100003;  // NFS
    uint32_t version = 4;
    AuthSys credentials;
    std::chrono::milliseconds connect_timeout{15000};
    // Finds a connection dead whose server vanished without a word (see tcp_liveness.h).
    TcpLiveness liveness = tcp_liveness_for(std::chrono::milliseconds{0});
};

class RpcConnection : public RpcTransport {
  public:
    // Connects at once; throws nfsfuse::Error naming the server when it cannot.
    explicit RpcConnection(RpcSettings settings);
    ~RpcConnection() override;
    RpcConnection(const RpcConnection&) = delete;
    RpcConnection& operator=(const RpcConnection&) = delete;

    // RpcTransport::call; the errors of the reply's header are decode_reply_header's.
    RpcReply call(const CallContext& context, uint32_t procedure, std::string_view arguments,
                  std::chrono::milliseconds timeout) override;
    // Sends the pieces one after the other, none copied.
    RpcReply call(const CallContext& context, uint32_t procedure, const SplicedArguments& arguments,
                  std::chrono::milliseconds timeout) override;

    // For a caller that sends a call again after the connection broke (NFSv3): the same xid each
    // time, as the Linux client does, so a server's duplicate request cache can tell a
    // retransmission of a call it already ran from a new one. take_xid() hands out a new xid.
    uint32_t take_xid();
    RpcReply call(const CallContext& context, uint32_t xid, uint32_t procedure,
                  std::string_view arguments, std::chrono::milliseconds timeout);
    // With `payload` after the arguments: the bytes of the XDR opaque whose length `arguments`
    // end with (a WRITE's data), sent from where they are, not copied into the arguments, and
    // padded to a multiple of four bytes.
    RpcReply call(const CallContext& context, uint32_t xid, uint32_t procedure,
                  std::string_view arguments, std::string_view payload,
                  std::chrono::milliseconds timeout);

    // How many times the connection was made (1 after construction).
    uint64_t connections_made() const override;

  private:
    struct Pending;
    using Lock = std::unique_lock<std::mutex>;

    // Every call: the record is the RPC header and `arguments`' pieces, in order.
    RpcReply call_with(const CallContext& context, uint32_t xid, uint32_t procedure,
                       const SplicedArguments& arguments, std::chrono::milliseconds timeout);

    void connect_locked();
    // Marks the connection broken and fails every waiting call. With mutex_ held.
    void break_locked(const std::string& why);
    // As the reader: waits up to `wait` for data and takes in the complete records that arrived.
    void read_some(Lock& lock, std::chrono::milliseconds wait);
    // Reads what the socket holds now, without blocking, straight into the record being
    // assembled, up to the end of the first record it finishes, which goes to `complete`. Returns
    // why the connection failed, or "" when it did not. Only the reader calls it, without mutex_.
    std::string receive(int fd, std::vector<RecordBuffer>& complete);
    void dispatch_locked(RecordBuffer record);

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
    // The record being received. Only the reader touches these (also without mutex_); a new
    // connection resets them, and is only made while no reader runs.
    char fragment_header_[4] = {};
    size_t header_bytes_ = 0;   // of fragment_header_ read so far
    RecordBuffer record_;       // fragments so far, sized for the current one
    size_t fragment_left_ = 0;  // bytes of the current fragment still to come
    bool last_fragment_ = false;
};

}  // namespace nfsfuse::nfs
