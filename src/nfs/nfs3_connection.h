// One NFSv3 connection: a libnfs NFS context (one TCP connection to the server) with the export
// mounted, driven by an RpcDriver (rpc_driver.h: who polls the socket, timeouts, cancellation,
// credentials per call). Callers on any thread submit raw rpc_nfs3_* calls through call().
// Thread-safety: call() is safe from any thread. Ownership: owned by Nfs3Client (unique_ptr);
// owns its context and driver.
#pragma once

#include <cstdint>
#include <memory>

#include "nfs/call_context.h"
#include "nfs/connection_settings.h"
#include "nfs/rpc_driver.h"
#include "nfs/types.h"

struct nfs_context;

namespace nfsfuse::nfs {

class Nfs3Connection {
  public:
    // Connects and mounts the export synchronously (bounded by the call timeout in soft mode).
    // Throws nfsfuse::Error with a message naming the server and export on failure.
    explicit Nfs3Connection(const ConnectionSettings& settings);
    ~Nfs3Connection();
    Nfs3Connection(const Nfs3Connection&) = delete;
    Nfs3Connection& operator=(const Nfs3Connection&) = delete;

    // Starts the service thread (RpcDriver::start).
    void start() { driver_->start(); }

    const ConnectionSettings& settings() const { return settings_; }
    const FileHandle& root() const { return root_; }
    uint32_t max_read() const { return max_read_; }
    uint32_t max_write() const { return max_write_; }

    using RawCallback = RpcDriver::RawCallback;
    using Submit = RpcDriver::Submit;
    using OnReply = RpcDriver::OnReply;

    // Sends one call and waits (RpcDriver::call).
    void call(const CallContext& context, const char* what, const Submit& submit,
              const OnReply& on_reply) {
        driver_->call(context, what, submit, on_reply);
    }

  private:
    const ConnectionSettings settings_;
    FileHandle root_;
    uint32_t max_read_ = 0;
    uint32_t max_write_ = 0;
    std::unique_ptr<RpcDriver> driver_;  // owns the NFS context
};

}  // namespace nfsfuse::nfs
