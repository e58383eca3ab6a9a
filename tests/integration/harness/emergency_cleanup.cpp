#include "harness/emergency_cleanup.h"

#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "harness/command.h"
#include "harness/mount_cleanup.h"
#include "harness/paths.h"
#include "harness/temp_dir.h"

namespace nfsfuse::it {

EmergencyCleanup& EmergencyCleanup::instance() {
    static EmergencyCleanup cleanup;
    return cleanup;
}

void EmergencyCleanup::add_process(pid_t pid) {
    std::lock_guard lock(mutex_);
    processes_.insert(pid);
}
void EmergencyCleanup::remove_process(pid_t pid) {
    std::lock_guard lock(mutex_);
    processes_.erase(pid);
}
void EmergencyCleanup::add_mountpoint(const std::filesystem::path& path) {
    std::lock_guard lock(mutex_);
    mountpoints_.insert(path);
}
void EmergencyCleanup::remove_mountpoint(const std::filesystem::path& path) {
    std::lock_guard lock(mutex_);
    mountpoints_.erase(path);
}
void EmergencyCleanup::add_server(const std::filesystem::path& server_dir) {
    std::lock_guard lock(mutex_);
    servers_.insert(server_dir);
}
void EmergencyCleanup::remove_server(const std::filesystem::path& server_dir) {
    std::lock_guard lock(mutex_);
    servers_.erase(server_dir);
}

void EmergencyCleanup::add_scratch_dir(const std::filesystem::path& dir) {
    std::lock_guard lock(mutex_);
    scratch_dirs_.insert(dir);
}
void EmergencyCleanup::remove_scratch_dir(const std::filesystem::path& dir) {
    std::lock_guard lock(mutex_);
    scratch_dirs_.erase(dir);
}

void EmergencyCleanup::run() {
    // Copy under the lock, act without it: the test thread may hold objects that want the lock.
    std::set<pid_t> processes;
    std::set<std::filesystem::path> mountpoints;
    std::set<std::filesystem::path> servers;
    std::set<std::filesystem::path> scratch_dirs;
    {
        std::lock_guard lock(mutex_);
        processes = processes_;
        mountpoints = mountpoints_;
        servers = servers_;
        scratch_dirs = scratch_dirs_;
    }
    for (pid_t pid : processes) ::kill(pid, SIGKILL);
    for (const auto& path : mountpoints) {
        if (!force_unmount(path)) std::cerr << "emergency cleanup: " << path << " stays mounted\n";
    }
    for (const auto& dir : servers) {
        const auto result = run_command({ganesha_script().string(), "stop", dir.string()},
                                        {.timeout = std::chrono::seconds(30)});
        if (!result.succeeded()) std::cerr << "emergency cleanup: " << result.describe() << "\n";
    }
    const char* keep = std::getenv("NFSFUSE_IT_KEEP");
    if (!keep || !*keep) {
        for (const auto& dir : scratch_dirs) remove_tree_safely(dir);
    }
}

}  // namespace nfsfuse::it
