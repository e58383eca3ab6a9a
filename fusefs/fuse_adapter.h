// The FUSE low-level operations of nfsfuse, a thin adapter: each turns a kernel request into one
// call of vfs::Filesystem and its result (or error) into the reply. No filesystem semantics live
// here; only what is FUSE's own: inode numbers and handles as the kernel sees them, the INIT
// negotiation, kernel notifications and readahead.
// Thread-safety: operations run concurrently on the threads of the RequestLoop; the Filesystem
// is thread-safe.
// Ownership: created by main, outlives the FUSE session; holds a reference to the filesystem.
#pragma once

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>

#include "fusefs/request_scope.h"
#include "vfs/filesystem.h"

namespace nfsfuse::fusefs {

class FuseDevice;

struct AdapterSettings {
    std::filesystem::path mountpoint;  // absolute
    uint32_t readahead_kib = 0;        // kernel readahead window; 0: the kernel's default
    // Each request goes to the server with its caller's credentials; otherwise every request
    // goes with the mount's one identity (uid=/gid=, or an unprivileged nfsfuse's own).
    bool per_caller_credentials = false;
    // Which locks the server keeps (local_lock=): the others the kernel keeps on this host.
    bool remote_posix_locks = true;  // fcntl: POSIX and OFD locks
    bool remote_flock = true;
};

class FuseAdapter {
  public:
    FuseAdapter(vfs::Filesystem& filesystem, AdapterSettings settings)
        : filesystem_(filesystem), settings_(std::move(settings)) {}

    // The libfuse operation table; userdata must be this object.
    static const fuse_lowlevel_ops& operations();
    // The adapter a request of the session belongs to (its userdata), once INIT is done.
    static FuseAdapter& of(fuse_req_t req);

    // The session notifications go to; set once the session exists, before it serves requests.
    void set_session(fuse_session* session) { session_ = session; }
    fuse_session* session() const { return session_; }

    // The session's I/O (FuseDevice::io's userdata is this adapter, the session's userdata); set
    // by the RequestLoop while it serves, null otherwise.
    void set_device(FuseDevice* device) { device_.store(device); }
    FuseDevice* device() const { return device_.load(); }

    vfs::Filesystem& filesystem() { return filesystem_; }
    const AdapterSettings& settings() const { return settings_; }
    // Whom `req` is served for: its caller, or empty for the mount's own identity.
    std::optional<nfs::Credentials> caller(fuse_req_t req) const;
    // Called by every request: the first one, after INIT, sets what only applies after INIT.
    void after_init();

  private:
    vfs::Filesystem& filesystem_;
    const AdapterSettings settings_;
    fuse_session* session_ = nullptr;
    std::atomic<FuseDevice*> device_{nullptr};
    std::once_flag after_init_once_;
};

// run_request on behalf of the request's caller (FuseAdapter::caller): every operation that
// talks to the server goes through here.
void run_as_caller(fuse_req_t req, const char* operation,
                   const std::function<Reply(const nfs::CallContext&)>& work);

}  // namespace nfsfuse::fusefs
