#include "harness/mount_cleanup.h"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <string>

#include "harness/command.h"
#include "harness/mountinfo.h"

namespace nfsfuse::it {
namespace {

std::string read_small_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> split_nul(const std::string& text) {
    std::vector<std::string> parts;
    std::string current;
    for (char c : text) {
        if (c == '\0') {
            parts.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty()) parts.push_back(current);
    return parts;
}

}  // namespace

std::vector<pid_t> nfsfuse_processes_for(const std::filesystem::path& mount_point) {
    std::vector<pid_t> pids;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string comm = read_small_file(entry.path() / "comm");
        if (!comm.empty() && comm.back() == '\n') comm.pop_back();
        if (comm != "nfsfuse") continue;
        for (const auto& arg : split_nul(read_small_file(entry.path() / "cmdline"))) {
            if (arg == mount_point.string()) {
                pids.push_back(static_cast<pid_t>(std::stol(name)));
                break;
            }
        }
    }
    return pids;
}

bool process_is_gone(pid_t pid) {
    const std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
    if (stat.empty()) return true;
    const size_t name_end = stat.rfind(')');  // the state letter follows the command name
    return name_end == std::string::npos || stat.compare(name_end + 2, 1, "Z") == 0;
}

bool force_unmount(const std::filesystem::path& mount_point) {
    const CommandOptions quick{.timeout = std::chrono::seconds(10)};
    // Killing the server first aborts the FUSE connection, which unblocks anyone waiting on it.
    for (pid_t pid : nfsfuse_processes_for(mount_point)) ::kill(pid, SIGKILL);
    for (int attempt = 0; attempt < 5 && find_mount(mount_point); ++attempt) {
        run_command({"fusermount3", "-u", "-z", mount_point.string()}, quick);
        if (find_mount(mount_point)) run_command({"umount", "-l", mount_point.string()}, quick);
    }
    return !find_mount(mount_point);
}

}  // namespace nfsfuse::it
