// Recognises and watches the nfsfuse process that serves a FUSE volume. nfsfuse daemonizes and
// lives in its own session (it must outlive driver restarts), so the driver cannot wait for it
// as a child. It learns the daemon's pid when it starts it (nfsfuse --print-pid, through a pipe
// only that child holds) and from then on knows the process by pid and start time, held through
// a pidfd; never by its command line, which any local user can copy.
// Thread-safety: ServingProcesses is safe to call from several threads (one mutex).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>

#include "driver/server_process.h"

namespace nfsfuse::driver {

// The identity of the live (not zombie) process `pid`, from /proc; nullopt if there is none.
std::optional<ServerProcess> identify_process(pid_t pid);

// Whether `process` (that pid with that start time) is alive, runs as root (real, effective and
// saved uid 0) and holds /dev/fuse open: what the nfsfuse the driver started is, and what no
// other user's process can be.
bool is_root_fuse_server(const ServerProcess& process);

class ServingProcesses {
  public:
    ServingProcesses() = default;
    ~ServingProcesses();
    ServingProcesses(const ServingProcesses&) = delete;
    ServingProcesses& operator=(const ServingProcesses&) = delete;

    // The nfsfuse the driver just started reported `pid` for its mount on `mounted_at`: watches
    // it. Throws Error(ESRCH) if that is no live root FUSE server.
    void watch(const std::filesystem::path& mounted_at, pid_t pid);
    // After a driver restart: watches `recorded` for `mounted_at` if that very process still
    // lives and is a root FUSE server. False otherwise (then nothing is watched).
    bool adopt(const std::filesystem::path& mounted_at, const ServerProcess& recorded);
    // Whether the process watched for `mounted_at` is alive (one poll(2) of its pidfd).
    bool alive(const std::filesystem::path& mounted_at);
    std::optional<ServerProcess> identity_of(const std::filesystem::path& mounted_at) const;
    // The process watched for `from` now serves `to` (a revival's bind mount); `from` is free.
    void move(const std::filesystem::path& from, const std::filesystem::path& to);
    void forget(const std::filesystem::path& mounted_at);

  private:
    struct Watched {
        ServerProcess identity;
        int pidfd = -1;
    };
    // mutex_ held.
    void replace_locked(const std::filesystem::path& mounted_at, Watched watched);

    mutable std::mutex mutex_;
    std::map<std::filesystem::path, Watched> watched_;  // guarded by mutex_
};

}  // namespace nfsfuse::driver
