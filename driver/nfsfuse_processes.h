// Finds the nfsfuse process that serves a mount, and watches it. nfsfuse daemonizes and lives in
// its own session (it must outlive driver restarts), so the driver cannot wait for it as a child:
// it finds it by its command line (`nfsfuse SHARE MOUNTPOINT ...`) and holds a pidfd to it.
// Thread-safety: ServingProcesses is safe to call from several threads (one mutex).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>

namespace nfsfuse::driver {

// The live (not zombie) process whose argv[0] has the file name of `binary` and whose argv[2],
// nfsfuse's MOUNTPOINT argument, is `mounted_at`. Reads /proc.
std::optional<pid_t> find_nfsfuse_process(const std::filesystem::path& binary,
                                          const std::filesystem::path& mounted_at);

class ServingProcesses {
  public:
    explicit ServingProcesses(std::filesystem::path binary);
    ~ServingProcesses();
    ServingProcesses(const ServingProcesses&) = delete;
    ServingProcesses& operator=(const ServingProcesses&) = delete;

    // Whether an nfsfuse process that mounted `mounted_at` is alive. Found once through /proc,
    // then watched through a pidfd, so a healthy mount costs one poll(2) per check.
    bool alive(const std::filesystem::path& mounted_at);
    void forget(const std::filesystem::path& mounted_at);

  private:
    std::filesystem::path binary_;
    std::mutex mutex_;
    std::map<std::filesystem::path, int> pidfds_;  // guarded by mutex_
};

}  // namespace nfsfuse::driver
