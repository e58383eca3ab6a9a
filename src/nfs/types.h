// Protocol-neutral value types passed across the NfsClient interface: file handles, attributes,
// directory entries. Thread-safety: plain values. Owned by whoever holds them.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace nfsfuse::nfs {

// An opaque server file handle (NFSv3: up to 64 bytes; NFSv4: up to 128).
struct FileHandle {
    std::string bytes;
    bool operator==(const FileHandle&) const = default;
};

struct FileHandleHash {
    size_t operator()(const FileHandle& fh) const noexcept {
        return std::hash<std::string>{}(fh.bytes);
    }
};

enum class FileType { regular, directory, symlink, block_device, char_device, socket, fifo };

struct Attributes {
    FileType type = FileType::regular;
    uint32_t mode = 0;  // permission bits only (07777)
    uint32_t nlink = 0;
    uint32_t uid = 0;
    uint32_t gid = 0;
    uint64_t size = 0;
    uint64_t used = 0;  // bytes of disk actually used
    uint32_t rdev_major = 0;
    uint32_t rdev_minor = 0;
    uint64_t fsid = 0;
    uint64_t fileid = 0;  // the server's inode number: stable, reported as st_ino
    timespec atime{};
    timespec mtime{};
    timespec ctime{};
};

// Which attributes a SETATTR changes. Times may be set to "server's now".
struct SetAttributes {
    enum class Time { dont_change, server_now, client_value };
    std::optional<uint32_t> mode;
    std::optional<uint32_t> uid;
    std::optional<uint32_t> gid;
    std::optional<uint64_t> size;
    Time atime_how = Time::dont_change;
    timespec atime{};
    Time mtime_how = Time::dont_change;
    timespec mtime{};
};

// Attributes of an object being created. The owner is set only when the creator asks for it
// (nfsfuse mounted by root gives new files to the calling user, as the kernel client does).
struct NewObjectAttributes {
    uint32_t mode = 0;
    std::optional<uint32_t> uid;
    std::optional<uint32_t> gid;
};

// The result of anything that names a new or looked-up object.
struct Entry {
    FileHandle handle;
    Attributes attributes;
};

struct DirectoryEntry {
    std::string name;
    uint64_t fileid = 0;
    // READDIRPLUS may omit handle or attributes for some entries (e.g. "." and ".." or mounted-on
    // dirs).
    std::optional<Entry> entry;
};

struct ReadResult {
    std::vector<char> data;
    bool eof = false;
};

struct FsStats {
    uint64_t total_bytes = 0;
    uint64_t free_bytes = 0;
    uint64_t available_bytes = 0;
    uint64_t total_files = 0;
    uint64_t free_files = 0;
    uint64_t available_files = 0;
};

// Access bits as in NFSv3 ACCESS (and NFSv4 ACCESS4_*).
enum AccessBits : uint32_t {
    access_read = 0x01,
    access_lookup = 0x02,
    access_modify = 0x04,
    access_extend = 0x08,
    access_delete = 0x10,
    access_execute = 0x20,
};

}  // namespace nfsfuse::nfs
