#include "driver/cow_mounter.h"

#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "driver/mount_stack.h"
#include "driver/mount_table.h"
#include "driver/overlay_options.h"
#include "util/error.h"

namespace nfsfuse::driver {
namespace {

bool overlay_on(const std::filesystem::path& target) {
    return mounted_filesystem_type(target) == "overlay";
}

// The merged root shows the upper layer's root: a new upper layer takes the owner and mode of the
// share's root, so container users may enter the volume as they may enter the share.
void copy_root_attributes(const std::string& volume, const std::filesystem::path& lower,
                          const std::filesystem::path& upper) {
    struct stat share_root {};
    if (::stat(lower.c_str(), &share_root) != 0)
        throw Error(errno, volume + ": stat " + lower.string() + ": " + std::strerror(errno));
    if (::chown(upper.c_str(), share_root.st_uid, share_root.st_gid) != 0 ||
        ::chmod(upper.c_str(), share_root.st_mode & 07777) != 0)
        throw Error(errno, volume + ": give " + upper.string() +
                               " the owner and mode of the share's root: " + std::strerror(errno));
}

}  // namespace

void CowMounter::check_can_mount(const VolumeSpec& spec) const {
    share_.check_can_mount(lower_layer_of(spec));
}

void CowMounter::mount_share(const std::string& volume, const VolumeSpec& spec) {
    const std::filesystem::path lower = layers_.lower_of(volume);
    if (share_.is_served(lower, std::nullopt)) return;
    // Dead (its nfsfuse is gone) or never made: only the overlays use this path, and they hold
    // their own reference to the dead mount, so it can go before the new one comes.
    if (share_.is_mounted(lower)) share_.unmount(volume, lower);
    share_.mount(volume, lower_layer_of(spec), lower);
}

void CowMounter::mount_overlay(const std::string& volume, const std::filesystem::path& target,
                               bool fresh_upper) {
    const std::filesystem::path lower = layers_.lower_of(volume);
    const std::filesystem::path upper = layers_.upper_of(volume);
    try {
        if (fresh_upper) copy_root_attributes(volume, lower, upper);
        const std::filesystem::path work = layers_.new_work_dir(volume);
        const std::string options = overlay_mount_options(lower, upper, work);
        spdlog::info("{}: mount -t overlay overlay {} -o {}", volume, target.string(), options);
        // nosuid,nodev like every volume: the upper layer holds what containers wrote.
        if (::mount("overlay", target.c_str(), "overlay", MS_NOSUID | MS_NODEV, options.c_str()) !=
            0) {
            const int errnum = errno;
            throw Error(errnum, volume + ": cannot mount the copy-on-write overlay on " +
                                    target.string() + ": " + std::strerror(errnum) +
                                    " (the layers are in " + layers_.directory_of(volume).string() +
                                    ", which must be a local filesystem with trusted.* xattrs "
                                    "and d_type, such as ext4 or xfs; the kernel log says more)");
        }
    } catch (const std::exception&) {
        // No share left mounted without its overlay (see cow_mounter.h, revival).
        share_.unmount(volume, lower);
        throw;
    }
}

void CowMounter::mount(const std::string& volume, const VolumeSpec& spec,
                       const std::filesystem::path& target) {
    // A share left mounted by a crash: start from a clean one.
    if (share_.is_mounted(layers_.lower_of(volume)))
        share_.unmount(volume, layers_.lower_of(volume));
    if (life_ == UpperLayerLife::discarded_after_use) layers_.discard_upper(volume);
    layers_.remove_work_dirs(volume);
    const bool fresh_upper = layers_.make(volume);
    share_.mount(volume, lower_layer_of(spec), layers_.lower_of(volume));
    mount_overlay(volume, target, fresh_upper);
}

void CowMounter::revive(const std::string& volume, const VolumeSpec& spec,
                        const std::filesystem::path& target) {
    const bool fresh_upper = layers_.make(volume);
    mount_share(volume, spec);
    // On top of the old overlay (if any): see cow_mounter.h.
    mount_overlay(volume, target, fresh_upper);
    spdlog::info("{}: a new overlay serves {} over the share mounted again", volume,
                 target.string());
}

void CowMounter::unmount(const std::string& volume, const std::filesystem::path& target) {
    unmount_stack(volume, target);
    share_.unmount(volume, layers_.lower_of(volume));
    layers_.remove_work_dirs(volume);
    if (life_ == UpperLayerLife::discarded_after_use) {
        layers_.discard_upper(volume);
        spdlog::info("{}: discarded the changes (volatile volume, no user left)", volume);
    }
}

bool CowMounter::is_mounted(const std::filesystem::path& target) const {
    return overlay_on(target) || share_.is_mounted(layers_.lower_of(volume_of(target)));
}

bool CowMounter::is_served(const std::filesystem::path& target,
                           const std::optional<ServerProcess>& recorded) const {
    // The share first: a restarted driver adopts its nfsfuse here (by the recorded process).
    const bool share_served = share_.is_served(layers_.lower_of(volume_of(target)), recorded);
    return share_served && overlay_on(target);
}

std::optional<ServerProcess> CowMounter::server_of(const std::filesystem::path& target) const {
    return share_.server_of(layers_.lower_of(volume_of(target)));
}

std::optional<LocalLayer> CowMounter::local_layer(const std::string& volume) const {
    return LocalLayer{layers_.upper_of(volume), layers_.upper_bytes(volume),
                      life_ == UpperLayerLife::discarded_after_use};
}

void CowMounter::remove_local_data(const std::string& volume) {
    if (share_.is_mounted(layers_.lower_of(volume)))
        throw Error(
            EBUSY, volume + ": the share is still mounted on " + layers_.lower_of(volume).string());
    layers_.remove(volume);
}

}  // namespace nfsfuse::driver
