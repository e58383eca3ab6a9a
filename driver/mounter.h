// How a volume's share gets onto its mountpoint: the kernel's NFS client (mount(2)) or a
// supervised `nfsfuse` child. The VolumeManager calls these with no lock held on other volumes.
// Thread-safety: implementations must allow concurrent calls for different targets.
#pragma once

#include <filesystem>
#include <string>

#include "driver/volume_spec.h"

namespace nfsfuse::driver {

class Mounter {
  public:
    virtual ~Mounter() = default;
    // Mounts `spec` on `target` (an existing empty directory) and returns once the mount is live.
    // Throws Error with a message fit for Docker's user (it ends up in {"Err": ...}).
    virtual void mount(const std::string& volume, const VolumeSpec& spec,
                       const std::filesystem::path& target) = 0;
    virtual void unmount(const std::string& volume, const std::filesystem::path& target) = 0;
    // Whether something is mounted on `target` right now (from /proc/self/mountinfo).
    virtual bool is_mounted(const std::filesystem::path& target) const = 0;
};

}  // namespace nfsfuse::driver
