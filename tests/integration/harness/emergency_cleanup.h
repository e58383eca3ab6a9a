// What this test process has running outside itself (nfsfuse children, mountpoints, ganesha
// instances), so the watchdog can tear it all down before it aborts a hung test.
// Thread-safety: all members lock an internal mutex; run() may be called from the watchdog thread
// while the test thread is blocked. A process-wide singleton, like the process it describes.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <mutex>
#include <set>

namespace nfsfuse::it {

class EmergencyCleanup {
  public:
    static EmergencyCleanup& instance();

    void add_process(pid_t pid);
    void remove_process(pid_t pid);
    void add_mountpoint(const std::filesystem::path& path);
    void remove_mountpoint(const std::filesystem::path& path);
    void add_server(const std::filesystem::path& server_dir);
    void remove_server(const std::filesystem::path& server_dir);
    void add_scratch_dir(const std::filesystem::path& dir);
    void remove_scratch_dir(const std::filesystem::path& dir);

    // SIGKILLs the children, force-unmounts the mountpoints, stops the servers, removes the
    // scratch directories. Best effort.
    void run();

  private:
    EmergencyCleanup() = default;
    std::mutex mutex_;
    std::set<pid_t> processes_;                     // guarded by mutex_
    std::set<std::filesystem::path> mountpoints_;   // guarded by mutex_
    std::set<std::filesystem::path> servers_;       // guarded by mutex_
    std::set<std::filesystem::path> scratch_dirs_;  // guarded by mutex_
};

}  // namespace nfsfuse::it
