// Reads /proc/self/mountinfo: is something mounted on a path, and with which filesystem type.
// Thread-safety: pure functions (each call reads the file anew).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace nfsfuse::driver {

// The filesystem type mounted on `path` ("fuse.nfsfuse", "nfs4", ...), or nothing. When several
// mounts are stacked on one path, the topmost wins.
std::optional<std::string> mounted_filesystem_type(const std::filesystem::path& path);

// mountinfo escapes space, tab, newline and backslash as \ooo octal.
std::string unescape_mountinfo_field(const std::string& field);

}  // namespace nfsfuse::driver
