// A fresh, empty directory to mount on. Whatever happens in the test, the destructor leaves nothing
// mounted there (unmounting lazily and killing its nfsfuse if need be) and removes the directory.
// Thread-safety: not thread-safe; one owner.
#pragma once

#include <filesystem>
#include <optional>

#include "harness/spawn.h"

namespace nfsfuse::it {

class Mountpoint {
  public:
    // Creates parent/mnt.XXXXXX, owned by owner when given (a non-root mount needs that).
    explicit Mountpoint(const std::filesystem::path& parent,
                        std::optional<Credentials> owner = std::nullopt);
    ~Mountpoint();
    Mountpoint(const Mountpoint&) = delete;
    Mountpoint& operator=(const Mountpoint&) = delete;

    const std::filesystem::path& path() const { return path_; }
    bool mounted() const;  // anything at all is mounted here
    bool nfsfuse_mounted() const;

  private:
    std::filesystem::path path_;
};

}  // namespace nfsfuse::it
