#include "driver/nfsfuse_processes.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace nfsfuse::driver {
namespace {

std::vector<std::string> command_line_of(const std::filesystem::path& process_dir) {
    std::ifstream file(process_dir / "cmdline", std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(file), {}};
    std::vector<std::string> argv;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\0', start);
        if (end == std::string::npos) end = text.size();
        argv.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return argv;
}

// A zombie has exited: it serves nothing, whatever its command line says.
bool is_zombie(const std::filesystem::path& process_dir) {
    std::ifstream file(process_dir / "stat");
    const std::string stat{std::istreambuf_iterator<char>(file), {}};
    const size_t name_end = stat.rfind(')');  // the command name may hold spaces and ')'
    return name_end == std::string::npos || name_end + 2 >= stat.size() ||
           stat[name_end + 2] == 'Z';
}

// glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage, so C++ cannot link it.
int open_pidfd(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

bool exited(int pidfd) {
    pollfd watched{.fd = pidfd, .events = POLLIN, .revents = 0};
    return ::poll(&watched, 1, 0) != 0;  // readable once the process has exited (or error)
}

}  // namespace

std::optional<pid_t> find_nfsfuse_process(const std::filesystem::path& binary,
                                          const std::filesystem::path& mounted_at) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::vector<std::string> argv = command_line_of(entry.path());
        if (argv.size() < 3 || argv[2] != mounted_at.string()) continue;
        if (std::filesystem::path(argv[0]).filename() != binary.filename()) continue;
        if (is_zombie(entry.path())) continue;
        return static_cast<pid_t>(std::stol(name));
    }
    return std::nullopt;
}

ServingProcesses::ServingProcesses(std::filesystem::path binary) : binary_(std::move(binary)) {}

ServingProcesses::~ServingProcesses() {
    for (const auto& [path, pidfd] : pidfds_) ::close(pidfd);
}

bool ServingProcesses::alive(const std::filesystem::path& mounted_at) {
    std::lock_guard lock(mutex_);
    if (const auto known = pidfds_.find(mounted_at); known != pidfds_.end()) {
        if (!exited(known->second)) return true;
        ::close(known->second);
        pidfds_.erase(known);
    }
    const auto pid = find_nfsfuse_process(binary_, mounted_at);
    if (!pid) return false;
    const int pidfd = open_pidfd(*pid);
    if (pidfd < 0) return false;  // exited since the scan
    pidfds_.emplace(mounted_at, pidfd);
    return true;
}

void ServingProcesses::forget(const std::filesystem::path& mounted_at) {
    std::lock_guard lock(mutex_);
    if (const auto known = pidfds_.find(mounted_at); known != pidfds_.end()) {
        ::close(known->second);
        pidfds_.erase(known);
    }
}

}  // namespace nfsfuse::driver
