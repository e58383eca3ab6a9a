#include "driver/fuse_mounter.h"

#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cstring>
#include <limits>

#include "driver/child_command.h"
#include "driver/mount_stack.h"
#include "driver/mount_table.h"
#include "driver/nfsfuse_command.h"
#include "util/error.h"
#include "util/text.h"

namespace nfsfuse::driver {

namespace {

// nfsfuse --print-pid ends its output with the serving process's pid.
pid_t reported_pid(const std::string& output) {
    const size_t line_start = output.rfind('\n');
    const std::string last_line =
        line_start == std::string::npos ? output : output.substr(line_start + 1);
    const std::optional<uint64_t> pid = text::parse_decimal(last_line);
    if (!pid || *pid == 0 || *pid > static_cast<uint64_t>(std::numeric_limits<pid_t>::max()))
        throw Error(EIO, "nfsfuse did not report the pid of its daemon (got '" + last_line + "')");
    return static_cast<pid_t>(*pid);
}

}  // namespace

FuseMounter::FuseMounter(std::filesystem::path nfsfuse_binary, std::filesystem::path work_root,
                         std::chrono::milliseconds mount_timeout)
    : nfsfuse_binary_(std::move(nfsfuse_binary)),
      work_root_(std::move(work_root)),
      mount_timeout_(mount_timeout) {}

std::filesystem::path FuseMounter::staging_for(const std::filesystem::path& target) const {
    return work_root_ / ("revive-" + target.filename().string());
}

void FuseMounter::check_can_mount(const VolumeSpec& spec) const {
    check_nfsfuse_can_mount(spec);
}

void FuseMounter::mount(const std::string& volume, const VolumeSpec& spec,
                        const std::filesystem::path& target) {
    const std::vector<std::string> command = nfsfuse_command(nfsfuse_binary_, spec, target);
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
    try {
        serving_.watch(target, reported_pid(result.output));
    } catch (const Error& error) {
        // Served by no process the driver can recognise: it could never tell it from a decoy.
        umount2(target.c_str(), MNT_DETACH);
        throw Error(error.errnum(), volume + ": " + error.what());
    }
}

void FuseMounter::unmount(const std::string& volume, const std::filesystem::path& target) {
    serving_.forget(target);
    serving_.forget(staging_for(target));
    // A revived volume has its live mount stacked on dead ones: remove them all.
    unmount_stack(volume, target);
}

bool FuseMounter::is_mounted(const std::filesystem::path& target) const {
    return mounted_filesystem_type(target).has_value();
}

bool FuseMounter::is_served(const std::filesystem::path& target,
                            const std::optional<ServerProcess>& recorded) const {
    if (!is_root_fuse_mount(target)) return false;
    if (serving_.alive(target)) return true;
    // Not watched in this run yet (a driver restart): only the process the state file names.
    return !serving_.identity_of(target) && recorded && serving_.adopt(target, *recorded);
}

std::optional<ServerProcess> FuseMounter::server_of(const std::filesystem::path& target) const {
    return serving_.identity_of(target);
}

void FuseMounter::revive(const std::string& volume, const VolumeSpec& spec,
                         const std::filesystem::path& target) {
    if (!is_mounted(target)) {
        mount(volume, spec, target);
        return;
    }
    const std::filesystem::path staging = staging_for(target);
    std::error_code error;
    std::filesystem::create_directories(work_root_, error);
    if (::mkdir(staging.c_str(), 0700) != 0 && errno != EEXIST)
        throw Error(errno, volume + ": create " + staging.string() + ": " + std::strerror(errno));
    // A staging mount left by an earlier revival (it lives on through the bind on target).
    while (is_mounted(staging) && umount2(staging.c_str(), MNT_DETACH) == 0) {
    }
    serving_.forget(staging);

    mount(volume, spec, staging);
    // On top of the dead mount, not after removing it: see the comment in fuse_mounter.h.
    if (::mount(staging.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        const int bind_error = errno;
        umount2(staging.c_str(), MNT_DETACH);
        throw Error(bind_error, volume + ": cannot mount the new nfsfuse over the dead mount on " +
                                    target.string() + ": " + std::strerror(bind_error));
    }
    serving_.move(staging, target);
    // The nfsfuse process serves on through the bind; the staging mount is no longer needed.
    if (umount2(staging.c_str(), MNT_DETACH) != 0)
        spdlog::warn("{}: cannot detach {}: {}", volume, staging.string(), std::strerror(errno));
    spdlog::info("{}: a new nfsfuse serves {} (mounted over the dead one)", volume,
                 target.string());
}

}  // namespace nfsfuse::driver
