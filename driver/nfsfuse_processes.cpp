#include "driver/nfsfuse_processes.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "util/error.h"

namespace nfsfuse::driver {
namespace {

std::filesystem::path process_dir(pid_t pid) {
    return std::filesystem::path("/proc") / std::to_string(pid);
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), {}};
}

// "Uid:\treal\teffective\tsaved\tfilesystem" of /proc/PID/status: all four must be 0.
bool runs_as_root(pid_t pid) {
    std::istringstream status(read_text(process_dir(pid) / "status"));
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("Uid:", 0) != 0) continue;
        std::istringstream ids(line.substr(4));
        int count = 0;
        for (std::string id; ids >> id; ++count) {
            if (id != "0") return false;
        }
        return count == 4;
    }
    return false;
}

bool holds_fuse_device(pid_t pid) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(process_dir(pid) / "fd", error)) {
        std::error_code link_error;
        if (std::filesystem::read_symlink(entry.path(), link_error) == "/dev/fuse") return true;
    }
    return false;
}

// glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage, so C++ cannot link it.
int open_pidfd(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

bool exited(int pidfd) {
    pollfd watched{.fd = pidfd, .events = POLLIN, .revents = 0};
    return ::poll(&watched, 1, 0) != 0;  // readable once the process has exited (or error)
}

// A pidfd on exactly `process`: the identity is checked again after opening, so a pid reused in
// between cannot slip in. -1 if the process is gone.
int open_pidfd_of(const ServerProcess& process) {
    const int pidfd = open_pidfd(process.pid);
    if (pidfd < 0) return -1;
    if (identify_process(process.pid) != process) {
        ::close(pidfd);
        return -1;
    }
    return pidfd;
}

}  // namespace

std::optional<ServerProcess> identify_process(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    const std::optional<ProcessStat> stat =
        parse_process_stat(read_text(process_dir(pid) / "stat"));
    if (!stat || stat->state == 'Z' || stat->state == 'X') return std::nullopt;
    return ServerProcess{pid, stat->start_time};
}

bool is_root_fuse_server(const ServerProcess& process) {
    return identify_process(process.pid) == process && runs_as_root(process.pid) &&
           holds_fuse_device(process.pid);
}

ServingProcesses::~ServingProcesses() {
    for (const auto& [path, watched] : watched_) ::close(watched.pidfd);
}

void ServingProcesses::replace_locked(const std::filesystem::path& mounted_at, Watched watched) {
    if (const auto known = watched_.find(mounted_at); known != watched_.end()) {
        ::close(known->second.pidfd);
        watched_.erase(known);
    }
    watched_.emplace(mounted_at, watched);
}

void ServingProcesses::watch(const std::filesystem::path& mounted_at, pid_t pid) {
    const std::optional<ServerProcess> identity = identify_process(pid);
    const int pidfd = identity && is_root_fuse_server(*identity) ? open_pidfd_of(*identity) : -1;
    if (pidfd < 0) {
        throw Error(ESRCH, "nfsfuse reported pid " + std::to_string(pid) + " for " +
                               mounted_at.string() +
                               ", which is no live root process holding /dev/fuse");
    }
    std::lock_guard lock(mutex_);
    replace_locked(mounted_at, Watched{*identity, pidfd});
}

bool ServingProcesses::adopt(const std::filesystem::path& mounted_at,
                             const ServerProcess& recorded) {
    if (!is_root_fuse_server(recorded)) return false;
    const int pidfd = open_pidfd_of(recorded);
    if (pidfd < 0) return false;
    std::lock_guard lock(mutex_);
    replace_locked(mounted_at, Watched{recorded, pidfd});
    return true;
}

bool ServingProcesses::alive(const std::filesystem::path& mounted_at) {
    std::lock_guard lock(mutex_);
    const auto known = watched_.find(mounted_at);
    return known != watched_.end() && !exited(known->second.pidfd);
}

std::optional<ServerProcess> ServingProcesses::identity_of(
    const std::filesystem::path& mounted_at) const {
    std::lock_guard lock(mutex_);
    const auto known = watched_.find(mounted_at);
    if (known == watched_.end()) return std::nullopt;
    return known->second.identity;
}

void ServingProcesses::move(const std::filesystem::path& from, const std::filesystem::path& to) {
    std::lock_guard lock(mutex_);
    const auto known = watched_.find(from);
    if (known == watched_.end()) return;
    const Watched watched = known->second;
    watched_.erase(known);
    replace_locked(to, watched);
}

void ServingProcesses::forget(const std::filesystem::path& mounted_at) {
    std::lock_guard lock(mutex_);
    if (const auto known = watched_.find(mounted_at); known != watched_.end()) {
        ::close(known->second.pidfd);
        watched_.erase(known);
    }
}

}  // namespace nfsfuse::driver
