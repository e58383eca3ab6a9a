#include "driver/nfsfuse_command.h"

#include "util/error.h"

namespace nfsfuse::driver {

void check_nfsfuse_can_mount(const VolumeSpec& spec) {
    if (spec.version != NfsVersion::v4_0) return;
    const bool auto_mode = spec.mode == MountMode::auto_select;
    throw invalid_argument(
        std::string("vers=4.0: ") +
        (auto_mode ? "this host has no kernel NFS client, so mode=auto mounts with nfsfuse"
                   : "mode=fuse mounts with nfsfuse") +
        ", which speaks NFSv4.1 and NFSv3 but not NFSv4.0; use vers=4.1 (the default) or vers=3" +
        (auto_mode ? "" : ", or mode=kernel"));
}

std::vector<std::string> nfsfuse_command(const std::filesystem::path& binary,
                                         const VolumeSpec& spec,
                                         const std::filesystem::path& target) {
    check_nfsfuse_can_mount(spec);
    const bool v3 = spec.version == NfsVersion::v3;
    // allow_other: containers run as any user. nfsfuse, run as root, sends each caller's own
    // credentials, so the server decides what each may do, as with a kernel mount
    // (fuseopts=default_permissions adds the kernel's check of the mode bits).
    std::string options = "vers=" + to_string(spec.version);  // 3 or 4.1: 4.0 was refused above
    options += ",allow_other";
    if (spec.port) options += ",port=" + std::to_string(*spec.port);
    // NFSv4 has no MOUNT service; parse_volume_options accepts mountport with vers=3 only.
    if (v3 && spec.mount_port) options += ",mountport=" + std::to_string(*spec.mount_port);
    if (spec.read_only) options += ",ro";
    if (spec.uid) options += ",uid=" + std::to_string(*spec.uid);
    if (spec.gid) options += ",gid=" + std::to_string(*spec.gid);
    options += spec.hard ? ",hard" : ",soft";
    if (spec.timeo) options += ",timeo=" + std::to_string(*spec.timeo);
    if (spec.retrans) options += ",retrans=" + std::to_string(*spec.retrans);
    for (const auto& option : spec.fuse_options) options += "," + option;
    // --print-pid: the driver knows the serving process by the pid it reports (fuse_mounter.h).
    return {binary.string(), share_of(spec), target.string(), "-o", options, "--print-pid"};
}

}  // namespace nfsfuse::driver
