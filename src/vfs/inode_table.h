// Maps the inode numbers we give the kernel (FUSE node ids) to NFS file handles, counting the
// kernel's lookups so an entry lives exactly as long as the kernel may still use its id.
// Ids are never reused within a mount, so the FUSE generation is always 0.
// Thread-safety: all methods lock an internal mutex; safe from any FUSE worker thread.
// Ownership: owned by the filesystem object for the life of the mount.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "nfs/types.h"

namespace nfsfuse::vfs {

class InodeTable {
  public:
    static constexpr uint64_t kRootId = 1;  // FUSE_ROOT_ID

    explicit InodeTable(nfs::FileHandle root);

    // The kernel learned about `handle` (a lookup, create, link or readdirplus entry): returns its
    // id, the same one for as long as the kernel holds it, and counts one more lookup.
    uint64_t remember(const nfs::FileHandle& handle);
    // The id the kernel knows `handle` by, if it knows it (no lookup is counted).
    std::optional<uint64_t> find(const nfs::FileHandle& handle) const;
    // The handle behind an id the kernel gave us. Throws Error(ESTALE) for an unknown id.
    nfs::FileHandle handle(uint64_t id) const;
    // The kernel dropped `count` lookups of `id`; the entry goes when none are left, and then
    // its handle is returned. The root stays.
    std::optional<nfs::FileHandle> forget(uint64_t id, uint64_t count);

    size_t size() const;
    uint64_t lookup_count(uint64_t id) const;  // 0 for unknown ids (for tests and diagnostics)

  private:
    struct Inode {
        nfs::FileHandle handle;
        uint64_t lookups = 0;
    };

    mutable std::mutex mutex_;
    std::unordered_map<uint64_t, Inode> by_id_;  // guarded by mutex_
    std::unordered_map<nfs::FileHandle, uint64_t, nfs::FileHandleHash>
        by_handle_;                   // guarded by mutex_
    uint64_t next_id_ = kRootId + 1;  // guarded by mutex_
};

}  // namespace nfsfuse::vfs
