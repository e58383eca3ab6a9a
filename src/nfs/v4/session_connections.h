// The connections of one NFSv4.1 client (nconnect), all serving the same session (RFC 8881
// section 2.10.3.1): which connection a call goes over, and whether a connection is bound to the
// session that call uses. The first connection carries the setup calls and the metadata; with
// more than one, READ, WRITE and COMMIT go over the others in turn, so a lookup never queues
// behind megabytes of data on one TCP stream (as Nfs3Client's nconnect does). The slots stay
// the session's: any connection carries any slot's request, a replay included.
// A connection is bound to a session by CREATE_SESSION (the one it went over) or by
// BIND_CONN_TO_SESSION, and only for as long as its TCP connection lives: a connection made
// again (RpcConnection reconnects on its own) or a new session needs binding again.
// Thread-safety: all methods may be called concurrently. A binding runs under its connection's
// own lock (taken after the Session's, never before: a new session binds the connections while
// it holds its lock). Ownership: owns the transports.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "nfs/rpc/rpc_transport.h"

namespace nfsfuse::nfs::v4 {

// Whether the call named `what` (its first operation after SEQUENCE: "READ", "LOOKUP"...)
// moves file data: those go over the data connections.
bool carries_data(const char* what);

class SessionConnections {
  public:
    // At least one.
    explicit SessionConnections(std::vector<std::unique_ptr<RpcTransport>> transports);

    size_t size() const { return connections_.size(); }
    // The connection for a call: the first for metadata (and for everything when it is the only
    // one), the others in turn for data.
    size_t choose(bool data);
    RpcTransport& transport(size_t index) { return *connections_[index]->transport; }

    // Sends BIND_CONN_TO_SESSION over the transport, for the session the caller uses; throws
    // what the call or the server's answer throws.
    using Bind = std::function<void(RpcTransport&)>;
    // Makes sure connection `index` is bound to session `generation` on its current TCP
    // connection, running `bind` when it is not (or may not be: a call on it broke). Callers
    // for the same connection wait for one binding.
    void ensure_bound(size_t index, uint64_t generation, const Bind& bind);
    // CREATE_SESSION of session `generation` went over connection `index`: that bound it.
    void bound_by_create_session(size_t index, uint64_t generation);
    // A call on connection `index` failed with its connection (connections_made() was
    // `connection_number` when it was sent), or the server said the connection is not bound:
    // the next call binds it again.
    void lost_binding(size_t index, uint64_t connection_number);

    // Calls sent over connection `index` (binding calls not counted), for tests and logs.
    uint64_t calls_sent(size_t index) const { return connections_[index]->calls.load(); }
    void count_call(size_t index) { ++connections_[index]->calls; }

  private:
    struct Connection {
        std::unique_ptr<RpcTransport> transport;
        std::mutex mutex;  // held while binding
        // Guarded by mutex: the session and the TCP connection (its connections_made()) of the
        // last binding, and the newest TCP connection known to have lost it (0: none).
        uint64_t bound_generation = 0;
        uint64_t bound_connection = 0;
        uint64_t lost_connection = 0;
        std::atomic<uint64_t> calls{0};

        bool bound_to(uint64_t generation) const;
    };

    std::vector<std::unique_ptr<Connection>> connections_;
    std::atomic<uint64_t> next_data_{0};
};

}  // namespace nfsfuse::nfs::v4
