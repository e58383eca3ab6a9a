// What the NFSv4.1 session needs from the wire: one ONC-RPC call, its reply or an nfsfuse::Error.
// RpcConnection is the real one; unit tests put a fake server behind it to drive the session's
// recovery paths (replays, lost sessions) that a real server shows only by chance.
// Thread-safety: implementations take call() from any number of threads at once.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "nfs/call_context.h"

namespace nfsfuse::nfs {

// The bytes of one received record. Not zeroed when allocated (recv writes over them at once;
// zeroing a 1 MiB READ reply was a fifth of nfsfuse's CPU time in a sequential read).
class RecordBuffer {
  public:
    size_t size() const { return size_; }
    char* data() { return bytes_.get(); }
    std::string_view view() const { return {bytes_.get(), size_}; }
    // Makes it `size` bytes long, keeping what it holds; bytes added are not initialised.
    void grow(size_t size);

  private:
    std::unique_ptr<char[]> bytes_;
    size_t size_ = 0;
    size_t capacity_ = 0;
};

// A reply record and where the procedure's results start in it: no copy of a 1 MiB READ.
struct RpcReply {
    RecordBuffer record;
    size_t results_offset = 0;
    std::string_view results() const { return record.view().substr(results_offset); }
};

// A call's arguments in the order they go on the wire: `head`, `payload`, `tail`. The payload
// is a WRITE's data in the middle of an NFSv4.1 COMPOUND, sent from where it is instead of
// copied into the arguments (1 MiB per WRITE).
struct SplicedArguments {
    std::string_view head;
    std::string_view payload;
    std::string_view tail;
    std::string joined() const;
};

class RpcTransport {
  public:
    virtual ~RpcTransport() = default;

    // Calls `procedure` with `arguments` (the XDR after the RPC header) and returns the results
    // (the reply after its header). `timeout` 0 waits for ever. Throws ETIMEDOUT, EINTR (context),
    // ECONNRESET (the connection broke: the call may or may not have run), or errors of the
    // reply's header.
    virtual RpcReply call(const CallContext& context, uint32_t procedure,
                          std::string_view arguments, std::chrono::milliseconds timeout) = 0;
    // The same with the arguments in pieces. By default joined into one copy (test fakes);
    // RpcConnection sends them as they are.
    virtual RpcReply call(const CallContext& context, uint32_t procedure,
                          const SplicedArguments& arguments, std::chrono::milliseconds timeout) {
        return call(context, procedure, std::string_view(arguments.joined()), timeout);
    }
    // How many times the connection was made (1 once it is up). A new number is a new TCP
    // connection, one the server knows nothing about: an NFSv4.1 session must be bound to it
    // again (session_connections.h).
    virtual uint64_t connections_made() const = 0;
};

// Whether a call failed because its connection broke, or a new one cannot be made yet (the
// server is down or restarting): the errors after which a call may be sent again.
inline bool is_connection_failure(int errnum) {
    return errnum == ECONNRESET || errnum == ECONNREFUSED || errnum == EHOSTUNREACH ||
           errnum == ENETUNREACH || errnum == EPIPE;
}

}  // namespace nfsfuse::nfs
