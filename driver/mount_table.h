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

}  // namespace nfsfuse::driver
