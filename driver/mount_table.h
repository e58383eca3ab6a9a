// What is mounted on a path, for the mounters (from /proc/self/mountinfo, see util/mountinfo.h).
// Thread-safety: pure functions (each call reads the file anew).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace nfsfuse::driver {

// The filesystem type mounted on `path` ("fuse.nfsfuse", "nfs4", ...), or nothing. When several
// mounts are stacked on one path, the topmost wins.
std::optional<std::string> mounted_filesystem_type(const std::filesystem::path& path);

// Whether the topmost mount on `path` is a FUSE filesystem mounted by root (`user_id=0` in its
// options): one that another user stacked there with fusermount3 is never taken for a volume's.
bool is_root_fuse_mount(const std::filesystem::path& path);

}  // namespace nfsfuse::driver
