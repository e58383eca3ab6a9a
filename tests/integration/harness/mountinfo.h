// Reads /proc/self/mountinfo: is something mounted at a path, and with which filesystem type.
// Thread-safety: free functions over a fresh read of the file each call.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace nfsfuse::it {

struct MountEntry {
    std::filesystem::path mount_point;
    std::string fs_type;  // e.g. "fuse.nfsfuse"
    std::string source;   // e.g. "127.0.0.1:/tmp/x/export"
    std::string mount_options;
};

// Parses mountinfo text (one entry per line), undoing the kernel's octal escapes (\040 etc.).
std::vector<MountEntry> parse_mountinfo(const std::string& text);
std::vector<MountEntry> read_mountinfo();

// The last (topmost) mount at exactly this path, if any.
std::optional<MountEntry> find_mount(const std::filesystem::path& mount_point);
bool is_nfsfuse_mounted(const std::filesystem::path& mount_point);

inline constexpr const char* kNfsfuseFsType = "fuse.nfsfuse";

}  // namespace nfsfuse::it
