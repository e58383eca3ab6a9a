// Remembers which inodes have open file handles, so that unlinking an open file can hide it
// instead of removing it (the NFS client's "silly rename"): POSIX lets a process keep using a file
// it has open after another unlinks it, but an NFS server forgets a removed file at once.
// Thread-safety: all methods lock an internal mutex.
// Ownership: owned by the filesystem object for the life of the mount.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "nfs/types.h"

namespace nfsfuse::vfs {

// A hidden file to remove once its last open handle is closed.
struct PendingRemoval {
    nfs::FileHandle directory;
    std::string name;
};

class OpenFileTracker {
  public:
    void opened(uint64_t id);
    // The last close of a hidden file hands back what to remove.
    std::optional<PendingRemoval> released(uint64_t id);

    bool any_open() const;
    bool is_open(uint64_t id) const;
    // Records that the open file `id` was renamed to `name` in `directory` instead of removed.
    // False if its last open was released meanwhile: the caller removes it now.
    [[nodiscard]] bool hide(uint64_t id, PendingRemoval removal);
    // A fresh hidden name for a file, unique within this mount.
    std::string hidden_name(uint64_t fileid);

  private:
    struct OpenState {
        uint64_t open_count = 0;
        std::optional<PendingRemoval> removal;
    };

    mutable std::mutex mutex_;
    std::unordered_map<uint64_t, OpenState> by_id_;  // guarded by mutex_
    uint64_t hidden_counter_ = 0;                    // guarded by mutex_
};

}  // namespace nfsfuse::vfs
