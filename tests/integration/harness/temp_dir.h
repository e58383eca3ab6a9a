// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction unless
// NFSFUSE_IT_KEEP is set. Never removes through a mount: mounts inside it are undone first.
// Thread-safety: not thread-safe; one owner.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>

namespace nfsfuse::it {

class TempDir {
  public:
    // prefix: e.g. "nfsfuse-it"; mode: applied after creation (mkdtemp makes 0700).
    explicit TempDir(const std::string& prefix, mode_t mode = 0755);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// Removes path recursively after undoing every mount at or below it. Returns false (and leaves it)
// when a mount could not be undone.
bool remove_tree_safely(const std::filesystem::path& path);

}  // namespace nfsfuse::it
