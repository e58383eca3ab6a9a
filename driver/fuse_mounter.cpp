#include "driver/fuse_mounter.h"

#include <spdlog/spdlog.h>
#include <sys/mount.h>

#include <cstring>

#include "driver/child_command.h"
#include "driver/mount_table.h"
#include "util/error.h"

namespace nfsfuse::driver {

FuseMounter::FuseMounter(std::filesystem::path nfsfuse_binary,
                         std::chrono::milliseconds mount_timeout)
    : nfsfuse_binary_(std::move(nfsfuse_binary)), mount_timeout_(mount_timeout) {}

std::vector<std::string> FuseMounter::command_for(const VolumeSpec& spec,
                                                  const std::filesystem::path& target) const {
    // allow_other: containers run as any user. default_permissions: the kernel then checks each
    // caller against the mode bits, since the server only ever sees nfsfuse's own credentials.
    std::string options = "vers=3,allow_other,default_permissions";
    if (spec.port) options += ",port=" + std::to_string(*spec.port);
    if (spec.read_only) options += ",ro";
    if (spec.uid) options += ",uid=" + std::to_string(*spec.uid);
    if (spec.gid) options += ",gid=" + std::to_string(*spec.gid);
    options += spec.hard ? ",hard" : ",soft";
    if (spec.timeo) options += ",timeo=" + std::to_string(*spec.timeo);
    if (spec.retrans) options += ",retrans=" + std::to_string(*spec.retrans);
    for (const auto& option : spec.fuse_options) options += "," + option;
    return {nfsfuse_binary_.string(), share_of(spec), target.string(), "-o", options};
}

void FuseMounter::mount(const std::string& volume, const VolumeSpec& spec,
                        const std::filesystem::path& target) {
    const std::vector<std::string> command = command_for(spec, target);
    spdlog::info("{}: mounting {} on {} with nfsfuse", volume, command[1], target.string());
    // nfsfuse bounds its own mount attempt; the deadline here only guards against a hang.
    const CommandResult result = run_command(command, mount_timeout_);
    if (result.timed_out)
        throw Error(ETIMEDOUT, volume + ": nfsfuse did not finish mounting " + command[1] +
                                   " within " + std::to_string(mount_timeout_.count() / 1000) +
                                   " s");
    if (!result.exited || result.exit_code != 0) {
        std::string cause =
            result.output.empty() ? "nfsfuse failed without a message" : result.output;
        // nfsfuse prefixes its messages with "nfsfuse: "; keep only the last line, the error.
        if (auto last_line = cause.rfind('\n'); last_line != std::string::npos)
            cause = cause.substr(last_line + 1);
        throw Error(EIO, volume + ": mounting " + command[1] + " failed: " + cause);
    }
    if (!is_mounted(target))
        throw Error(EIO, volume + ": nfsfuse reported success but nothing is mounted on " +
                             target.string());
}

void FuseMounter::unmount(const std::string& volume, const std::filesystem::path& target) {
    if (!is_mounted(target)) return;
    // The kernel ends the FUSE session; the nfsfuse daemon sees that and exits by itself.
    if (umount2(target.c_str(), 0) == 0) return;
    const int first_error = errno;
    if (first_error == EBUSY) {
        // Still in use (a process kept a file open): detach now, finish when the last user goes.
        spdlog::warn("{}: {} is busy, detaching it lazily", volume, target.string());
        if (umount2(target.c_str(), MNT_DETACH) == 0) return;
    }
    throw Error(first_error,
                volume + ": cannot unmount " + target.string() + ": " + std::strerror(first_error));
}

bool FuseMounter::is_mounted(const std::filesystem::path& target) const {
    return mounted_filesystem_type(target).has_value();
}

}  // namespace nfsfuse::driver
