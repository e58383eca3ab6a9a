// How a volume's share gets onto its mountpoint: the kernel's NFS client (mount(2)) or a
// supervised `nfsfuse` child. The VolumeManager calls these with no lock held on other volumes.
// Thread-safety: implementations must allow concurrent calls for different targets.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "driver/server_process.h"
#include "driver/volume_spec.h"

namespace nfsfuse::driver {

// What a volume keeps on local disk besides its share: a cow volume's upper layer.
struct LocalLayer {
    std::filesystem::path directory;
    uint64_t bytes = 0;                // disk space it uses
    bool discarded_after_use = false;  // volatile: emptied after the last Unmount
};

class Mounter {
  public:
    virtual ~Mounter() = default;
    // "kernel" or "fuse": what Status shows as the mode in use.
    virtual std::string name() const = 0;
    // Throws Error(EINVAL) at Create for a volume this mounter could never mount
    // (parse_volume_options cannot know it for mode=auto, whose mounter the host decides). mount()
    // refuses it too.
    virtual void check_can_mount(const VolumeSpec&) const {}
    // Mounts `spec` on `target` (an existing empty directory) and returns once the mount is live.
    // Throws Error with a message fit for Docker's user (it ends up in {"Err": ...}).
    virtual void mount(const std::string& volume, const VolumeSpec& spec,
                       const std::filesystem::path& target) = 0;
    // Removes every mount on `target`, including dead ones stacked under a revived one.
    virtual void unmount(const std::string& volume, const std::filesystem::path& target) = 0;
    // Whether something is mounted on `target` right now (from /proc/self/mountinfo).
    virtual bool is_mounted(const std::filesystem::path& target) const = 0;
    // Whether the mount on `target` still works. A kernel mount does while it is mounted; a FUSE
    // mount works while the nfsfuse process the driver started for it lives (a dead one fails
    // every access with ENOTCONN). `recorded` is server_of() as the state file kept it: after a
    // driver restart, the only process a FUSE mount may be served by.
    virtual bool is_served(const std::filesystem::path& target,
                           const std::optional<ServerProcess>& recorded) const {
        (void)recorded;
        return is_mounted(target);
    }
    // The process serving the mount on `target` since mount() or revive(), for the state file;
    // nothing for kernel mounts.
    virtual std::optional<ServerProcess> server_of(const std::filesystem::path& target) const {
        (void)target;
        return std::nullopt;
    }
    // Brings the share back on `target` while containers still use it: mounts over a dead mount
    // (or on the empty directory if the mount is gone). See FuseMounter for why "over".
    virtual void revive(const std::string& volume, const VolumeSpec& spec,
                        const std::filesystem::path& target) {
        mount(volume, spec, target);
    }
    // The volume's data on local disk, for Status; nothing for a volume that is all on its share.
    // Throws Error when it cannot be measured.
    virtual std::optional<LocalLayer> local_layer(const std::string& volume) const {
        (void)volume;
        return std::nullopt;
    }
    // Deletes the volume's data on local disk (Remove, with nothing mounted); never the share's.
    virtual void remove_local_data(const std::string& volume) { (void)volume; }
};

}  // namespace nfsfuse::driver
