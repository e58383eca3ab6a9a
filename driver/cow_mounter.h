// Mounts a cow volume: its share, read-only, by the volume's own mounter (kernel or nfsfuse) on
// STATE_DIR/cow/NAME/lower, and an overlay on the volume's mountpoint whose lower layer is that
// mount and whose upper and work directories are on local disk (CowLayers). Containers write to
// the upper layer; the share is never written.
//
// Revival: when the share's mount dies (its nfsfuse is killed), the overlay on it fails too.
// revive() mounts the share again on `lower` (nobody but the overlay uses that path, so the dead
// mount is removed first) and mounts a NEW overlay, on the same upper layer, on top of the old
// one: like FuseMounter's revival, the mount on top propagates into every running container
// (their copies are slaves of the shared volume root), while unmounting the old overlay would
// cut them off. A failed revival unmounts the new share again, so the next check sees the volume
// broken and retries (an overlay is never left on a dead share while its lower looks served).
// Thread-safety: as the wrapped mounter; calls for one volume are serialised by the VolumeManager.
// Ownership: borrows the share's mounter, which outlives it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "driver/cow_layers.h"
#include "driver/mounter.h"

namespace nfsfuse::driver {

// What happens to a cow volume's changes once nobody uses it.
enum class UpperLayerLife {
    kept,                 // cow=true: until Remove
    discarded_after_use,  // cow=true,volatile=true: after the last Unmount
};

class CowMounter final : public Mounter {
  public:
    CowMounter(Mounter& share_mounter, CowLayers layers, UpperLayerLife life)
        : share_(share_mounter), layers_(std::move(layers)), life_(life) {}

    std::string name() const override { return share_.name(); }
    void check_can_mount(const VolumeSpec& spec) const override;
    // The share read-only on `lower`, then the overlay on `target`. A volatile volume starts from
    // an empty upper layer (what a crash before its discard left is dropped here).
    void mount(const std::string& volume, const VolumeSpec& spec,
               const std::filesystem::path& target) override;
    // Every overlay on `target`, then the share; a volatile volume's changes are deleted.
    void unmount(const std::string& volume, const std::filesystem::path& target) override;
    // An overlay on `target` or the share on the volume's lower directory (a half-done mount or
    // unmount counts: it must be cleaned up).
    bool is_mounted(const std::filesystem::path& target) const override;
    // The share's mount is served (as its mounter judges, `recorded` included) and an overlay is
    // on `target`.
    bool is_served(const std::filesystem::path& target,
                   const std::optional<ServerProcess>& recorded) const override;
    std::optional<ServerProcess> server_of(const std::filesystem::path& target) const override;
    void revive(const std::string& volume, const VolumeSpec& spec,
                const std::filesystem::path& target) override;
    std::optional<LocalLayer> local_layer(const std::string& volume) const override;
    // Refuses while the share is still mounted in the volume's directory.
    void remove_local_data(const std::string& volume) override;

  private:
    // The volume's directory name is the mountpoint's: VolumeManager mounts ROOT/NAME.
    static std::string volume_of(const std::filesystem::path& target) {
        return target.filename().string();
    }
    // Mounts the share on `lower` unless a served mount is there.
    void mount_share(const std::string& volume, const VolumeSpec& spec);
    // Mounts a new overlay on `target` (on top of whatever is there) over the mounted share;
    // unmounts the share again when it cannot.
    void mount_overlay(const std::string& volume, const std::filesystem::path& target,
                       bool fresh_upper);

    Mounter& share_;
    CowLayers layers_;
    UpperLayerLife life_;
};

}  // namespace nfsfuse::driver
