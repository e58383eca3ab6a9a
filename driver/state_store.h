// The driver's persistent state: every volume with its raw options, creation time and the set of
// Mount request IDs using it. Written atomically (temporary file, fsync, rename, fsync of the
// directory) so a crash leaves either the old or the new state, never a torn file.
// Thread-safety: not internally locked; the VolumeManager serialises saves.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "driver/server_process.h"

namespace nfsfuse::driver {

// A transition of a volume whose side effects (mount, unmount, rmdir) may have begun and not
// finished: saved before them, cleared by the save that completes it, so a restarted driver
// knows what was under way (docs/ARCHITECTURE.md, "Driver state transitions").
enum class PendingTransition { none, mounting, unmounting, removing };

struct VolumeRecord {
    std::map<std::string, std::string> options;  // as Docker sent them (validated at Create)
    std::string created_at;                      // RFC 3339, UTC
    // The mode chosen at Create ("kernel", "fuse" or "auto"), the daemon's --default-mode when
    // the options named none: a later change of that flag must not move existing volumes. Empty
    // in state files written before it was recorded; those take the current default.
    std::string mode;
    // The NFS version chosen at Create ("3", "4.0", "4.1"), for the same reason: a later driver
    // with another default must not move existing volumes. Empty in older state files.
    std::string nfs_version;
    std::set<std::string> mount_ids;  // Mount request IDs not yet unmounted
    // Fuse mode: the nfsfuse process serving the mount now (set when the driver started it).
    // A restarted driver adopts a mount only if this very process still serves it.
    std::optional<ServerProcess> server;
    PendingTransition pending = PendingTransition::none;
    std::string pending_id;  // the Mount ID of a pending mounting or unmounting
};

using VolumeRecords = std::map<std::string, VolumeRecord>;  // by volume name

class StateStore {
  public:
    explicit StateStore(std::filesystem::path file);

    // The saved volumes; empty when the file does not exist yet. Throws Error(EIO) naming the
    // file for a file that exists but cannot be read or parsed (never silently starts empty).
    VolumeRecords load() const;
    // Replaces the saved state. Throws Error with the errno of the failing step.
    void save(const VolumeRecords& records) const;

    const std::filesystem::path& file() const { return file_; }

  private:
    std::filesystem::path file_;
};

}  // namespace nfsfuse::driver
