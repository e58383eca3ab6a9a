// Protocol-neutral value types passed across the NfsClient interface: file handles, attributes,
// directory entries. Thread-safety: plain values. Owned by whoever holds them.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
    // NFSv4's change attribute: a value the server moves on at every change of the object. NFSv3
    // has none.
    std::optional<uint64_t> change;
};

// One version of an object, for deciding whether what we hold of it is still good. With the NFSv4
// change attribute that alone decides (RFC 8881 section 5.8.1.4: timestamps may be too coarse to
// show every change). NFSv3 has none: size, mtime and ctime stand in for it, as in the kernel's
// NFSv3 client. A stamp with a change attribute never equals one without: they cannot be
// compared, and "changed" is the safe answer.
struct ChangeStamp {
    uint64_t size = 0;
    timespec mtime{};
    timespec ctime{};
    std::optional<uint64_t> change;
};

inline bool operator==(const ChangeStamp& a, const ChangeStamp& b) {
    if (a.change || b.change) return a.change == b.change;
    return a.size == b.size && a.mtime.tv_sec == b.mtime.tv_sec &&
           a.mtime.tv_nsec == b.mtime.tv_nsec && a.ctime.tv_sec == b.ctime.tv_sec &&
           a.ctime.tv_nsec == b.ctime.tv_nsec;
}

inline ChangeStamp change_stamp_of(const Attributes& attributes) {
    return {attributes.size, attributes.mtime, attributes.ctime, attributes.change};
}

// The stamp NFSv4's change_info4 gives of a directory: its change attribute only.
inline ChangeStamp change_stamp_of_change(uint64_t change) {
    return {0, {}, {}, change};
}

// How durable a WRITE must be when the server answers. unstable: the server may keep it in
// memory until a COMMIT (much faster); file_sync: on stable storage.
enum class Stability { unstable, file_sync };

// What the server reported around a WRITE we sent (NFSv3 wcc_data): the file before it, when the
// server says, and after it. Either may be missing. `verifier` changes when the server restarts:
// unstable data written under an older verifier may be lost and must be sent again.
struct WriteResult {
    std::optional<ChangeStamp> before;
    std::optional<Attributes> after;
    uint64_t verifier = 0;
    bool stable = false;  // the server says the data is on stable storage already
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

// A FIFO, a unix socket, or a block or character device (with its major and minor numbers): the
// objects MKNOD (NFSv3) and CREATE (NFSv4) make besides directories and symlinks.
struct SpecialFile {
    FileType type = FileType::fifo;
    uint32_t major = 0;
    uint32_t minor = 0;
};

// Attributes of an object being created. Its owner is whoever the call is made for
// (CallContext::credentials): the server decides, as with the kernel client.
struct NewObjectAttributes {
    uint32_t mode = 0;
};

// What the server said about a directory around a change we made in it (NFSv3 dir_wcc, NFSv4
// change_info4 when atomic): its stamp before the change and after it; either may be missing.
struct DirectoryChange {
    std::optional<ChangeStamp> before;
    std::optional<ChangeStamp> after;
};

// The result of anything that names a new or looked-up object. parent_change: set by the calls
// that add the name to a directory (create, mkdir, symlink, mknod, link).
struct Entry {
    FileHandle handle;
    Attributes attributes;
    DirectoryChange parent_change;
};

// What an open of a file may do with it (O_ACCMODE).
enum class OpenAccess { read, write, read_write };

// One open of a file on the server, to close when the file is closed: the NFSv4 open state its
// I/O goes under. NFSv3 has no opens: its id is always 0.
using OpenId = uint64_t;

// An open file and its attributes, fresh from the server (for close-to-open consistency).
struct OpenedFile {
    OpenId id = 0;
    Attributes attributes;
};

// A file made (or found, without exclusive) by create, and its open.
struct CreatedFile {
    OpenId id = 0;
    Entry entry;
};

struct RenameChanges {
    DirectoryChange from;
    DirectoryChange to;
};

struct DirectoryEntry {
    std::string name;
    uint64_t fileid = 0;
    // READDIRPLUS may omit handle or attributes for some entries (e.g. "." and ".." or mounted-on
    // dirs).
    std::optional<Entry> entry;
};

// The bytes of a READ. `data` views memory that `owner` keeps alive: the record the reply arrived
// in (NFSv3: a 1 MiB READ is not copied out of it), or a copy (holding()). Copies of a
// ReadResult share that memory.
struct ReadResult {
    std::string_view data;
    std::shared_ptr<const void> owner;
    bool eof = false;

    // A result whose data is `bytes`, owned by it.
    static ReadResult holding(std::string bytes) {
        auto owned = std::make_shared<const std::string>(std::move(bytes));
        ReadResult result;
        result.data = *owned;
        result.owner = std::move(owned);
        return result;
    }
};

struct FsStats {
    uint64_t total_bytes = 0;
    uint64_t free_bytes = 0;
    uint64_t available_bytes = 0;
    uint64_t total_files = 0;
    uint64_t free_files = 0;
    uint64_t available_files = 0;
};

// --- byte-range locks ---
enum class LockType { read, write };

// Who holds locks: FUSE's lock owner, a process for POSIX (fcntl) locks, an open file description
// for flock and OFD locks. Unique within one mount.
using LockOwner = uint64_t;

// Bytes [offset, offset + length); length 0: from offset to the end of any file (NFS's all-ones
// length, fcntl's l_len 0).
struct LockRange {
    uint64_t offset = 0;
    uint64_t length = 0;
    bool operator==(const LockRange&) const = default;
};

struct LockRequest {
    LockOwner owner = 0;
    LockType type = LockType::write;
    LockRange range;
    // The process asking, reported to F_GETLK callers of this mount while it holds the lock
    // (NLM's svid). 0: unknown.
    uint32_t pid = 0;
    // A waiting caller asking again (NFSv4 READW_LT/WRITEW_LT: the server may keep it a place
    // in line).
    bool waiting = false;
};

// A lock that stands in the way (F_GETLK's answer).
struct LockHolder {
    LockType type = LockType::write;
    LockRange range;
    // The holder's process when it is one of this mount's owners (or NLM says), else 0: a
    // process on another host has no pid here.
    uint32_t pid = 0;
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
