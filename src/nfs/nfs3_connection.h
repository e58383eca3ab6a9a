// One NFSv3 connection: the export's root handle (from the MOUNT protocol), one TCP connection to
// the NFS program (our own RpcConnection; replies are decoded by nfs/v3, not libnfs: see
// docs/SECURITY.md) and the server's transfer sizes (FSINFO).
// A call whose connection breaks is sent again, with its xid, on a new connection, until it is
// answered, its time (the soft timeout) is up or its caller gives up; while the server cannot be
// reached the attempts are paced. That is what lets a hard mount ride out a server restart.
// Thread-safety: call() is safe from any thread. Ownership: owned by Nfs3Client (unique_ptr).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "nfs/call_context.h"
#include "nfs/connection_settings.h"
#include "nfs/rpc/rpc_connection.h"
#include "nfs/types.h"
#include "nfs/v3/nfs3_procedures.h"

namespace nfsfuse::nfs {

class Nfs3Connection {
  public:
    // Mounts the export, connects and asks FSINFO, bounded by the call timeout (60 s on a hard
    // mount: a user waiting at `mount` wants an answer). Throws nfsfuse::Error naming the server
    // and export on failure.
    explicit Nfs3Connection(const ConnectionSettings& settings);

    const ConnectionSettings& settings() const { return settings_; }
    const FileHandle& root() const { return root_; }
    uint32_t max_read() const { return max_read_; }
    uint32_t max_write() const { return max_write_; }

    // Sends one call and waits for its results (the reply after the RPC header). Throws
    // ETIMEDOUT when the soft timeout passes, EINTR when `context` is cancelled, EIO for a reply
    // whose RPC header refuses the call. `payload`: the data of the opaque the arguments end
    // with the length of (a WRITE's), sent without a copy (RpcConnection::call).
    RpcReply call(const CallContext& context, v3::Procedure procedure, std::string_view arguments,
                  std::string_view payload = {});

  private:
    // call() with an explicit bound, for the calls made while mounting.
    RpcReply call(const CallContext& context, v3::Procedure procedure, std::string_view arguments,
                  std::string_view payload, std::chrono::milliseconds timeout);

    const ConnectionSettings settings_;
    FileHandle root_;
    std::unique_ptr<RpcConnection> rpc_;
    uint32_t max_read_ = 0;
    uint32_t max_write_ = 0;
    std::atomic<bool> unreachable_logged_{false};  // one warning per outage
};

}  // namespace nfsfuse::nfs
