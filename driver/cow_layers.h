// Where a copy-on-write volume keeps its overlay's parts on local disk, and the disk work on them:
// ROOT/NAME/lower (the mountpoint of the read-only share), ROOT/NAME/upper (the containers'
// changes) and ROOT/NAME/work/N (one empty work directory per overlay mount, as overlayfs needs).
// Removal never leaves the filesystem the layers live on, so a share still mounted in there is
// refused, never emptied.
// Thread-safety: no state beyond the root; calls for one volume must be serialised by the caller
// (the VolumeManager's per-volume lock), calls for different volumes may run concurrently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace nfsfuse::driver {

class CowLayers {
  public:
    // root: STATE_DIR/cow, on a local filesystem with trusted.* xattrs and d_type (ext4, xfs).
    explicit CowLayers(std::filesystem::path root) : root_(std::move(root)) {}

    std::filesystem::path directory_of(const std::string& volume) const { return root_ / volume; }
    std::filesystem::path lower_of(const std::string& volume) const {
        return directory_of(volume) / "lower";
    }
    std::filesystem::path upper_of(const std::string& volume) const {
        return directory_of(volume) / "upper";
    }

    // Creates the volume's directories (mode 0700: only the driver reaches the layers; containers
    // see them through the overlay). Returns true when the upper layer was created now (empty).
    bool make(const std::string& volume) const;
    // A new empty work directory for one overlay mount, ROOT/NAME/work/N with N above every one
    // there: a revival's overlay never shares one with the overlay still mounted under it.
    std::filesystem::path new_work_dir(const std::string& volume) const;
    // Deletes the work directories (after the last overlay on them is unmounted).
    void remove_work_dirs(const std::string& volume) const;
    // Deletes the upper layer: the volume's changes are gone (with no overlay on it: the work
    // directories go with remove_work_dirs).
    void discard_upper(const std::string& volume) const;
    // Deletes everything of the volume (Remove). Throws Error(EXDEV) naming the path if anything
    // in there is another filesystem (the share still mounted).
    void remove(const std::string& volume) const;
    // The disk space the upper layer uses (st_blocks of every entry, as du counts it; 0 when it
    // does not exist).
    uint64_t upper_bytes(const std::string& volume) const;

  private:
    std::filesystem::path root_;
};

}  // namespace nfsfuse::driver
