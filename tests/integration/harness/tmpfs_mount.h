// A small tmpfs mounted on a directory, so a test can give ganesha an export that fills up: mount
// it on DIR/export before GaneshaServer(DIR) starts, and destroy it after the server stopped
// (ganesha keeps the export open, so an unmount while it runs is refused). The destructor unmounts,
// lazily if it must; EmergencyCleanup knows the mount too, so a test that hangs and is aborted by
// the watchdog leaves nothing mounted.
// Thread-safety: not thread-safe; one owner.
#pragma once

#include <cstddef>
#include <filesystem>

namespace nfsfuse::it {

class TmpfsMount {
  public:
    // Creates path (and its parents) and mounts a tmpfs of size_bytes there, mode 0755. Throws
    // HarnessError when the mount fails (not root, no tmpfs).
    TmpfsMount(std::filesystem::path path, size_t size_bytes);
    ~TmpfsMount();
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // Bytes an unprivileged writer could still use there (statvfs f_bavail). Throws HarnessError.
    size_t available_bytes() const;

  private:
    std::filesystem::path path_;
};

}  // namespace nfsfuse::it
