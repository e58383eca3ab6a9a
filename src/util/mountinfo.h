// Reads /proc/self/mountinfo: what is mounted on a path, with which filesystem type and device.
// Thread-safety: pure functions (each call reads the file anew).
#pragma once

#include <filesystem>
#include <istream>
#include <optional>
#include <string>

namespace nfsfuse::mountinfo {

struct Mount {
    std::string device;  // "major:minor", e.g. "0:38" (also the name of its /sys/class/bdi entry)
    std::string filesystem_type;  // "fuse.nfsfuse", "nfs4", ...
    std::string super_options;    // of the filesystem: "rw,user_id=0,group_id=0,allow_other"
};

// The mount on exactly `path`, or nothing. When several are stacked there, the topmost.
std::optional<Mount> mount_at(const std::filesystem::path& path);
// The same, reading mountinfo text from `mountinfo` (for tests).
std::optional<Mount> mount_at(const std::filesystem::path& path, std::istream& mountinfo);

// mountinfo escapes space, tab, newline and backslash as \ooo octal.
std::string unescape_field(const std::string& field);

}  // namespace nfsfuse::mountinfo
