// The nfsfuse command line of a fuse-mode volume (and of a mode=auto volume on a host without a
// kernel NFS client): which of the volume's options reach nfsfuse, and how.
// Thread-safety: pure functions.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "driver/volume_spec.h"

namespace nfsfuse::driver {

// Throws Error(EINVAL) for a volume nfsfuse cannot mount: vers=4.0 (nfsfuse speaks NFSv4.1 and
// NFSv3). parse_volume_options already refuses it with mode=fuse; mode=auto meets it here, once
// the driver knows that this host mounts with nfsfuse.
void check_nfsfuse_can_mount(const VolumeSpec& spec);

// The argv that mounts `spec` on `target` with the nfsfuse program `binary`:
// {binary, "server:/export[/subdir]", target, "-o", "vers=4.1|3,allow_other,...", "--print-pid"}.
// Throws as
// check_nfsfuse_can_mount.
std::vector<std::string> nfsfuse_command(const std::filesystem::path& binary,
                                         const VolumeSpec& spec,
                                         const std::filesystem::path& target);

}  // namespace nfsfuse::driver
