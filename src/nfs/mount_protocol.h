// The NFSv3 MOUNT protocol's MNT call (RFC 1813 appendix I): turns an export path into the
// export's root file handle. The port comes from the portmapper unless given; the reply is
// decoded here with our bounded XDR (decode_mnt_reply, testable without a socket), so a hostile
// reply fails the mount with EIO instead of reaching past a buffer.
// Thread-safety: free functions; mount_export makes a short-lived connection of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nfs/types.h"

namespace nfsfuse::nfs {

inline constexpr uint32_t kMountProgram = 100005;
inline constexpr uint32_t kMountVersion = 3;
inline constexpr uint32_t kMountProcMnt = 1;
// MNTPATHLEN: the longest dirpath; FHSIZE3: the largest NFSv3 file handle.
inline constexpr size_t kMountPathMax = 1024;
inline constexpr size_t kNfs3HandleMax = 64;

struct MountRequest {
    std::string host;
    std::string export_path;
    std::optional<uint16_t> mount_port;  // unset: ask the portmapper
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::chrono::milliseconds timeout{15000};
};

// Throws nfsfuse::Error naming server and export (ENOENT for an unknown export, EACCES when the
// server refuses us, ETIMEDOUT or ECONNREFUSED when it cannot be reached).
FileHandle mount_export(const MountRequest& request);

// MNT's argument: the dirpath. Throws ENAMETOOLONG for a path longer than MNTPATHLEN.
std::string encode_mnt_args(std::string_view export_path);

struct MountReply {
    uint32_t status = 0;  // mountstat3; 0 is MNT3_OK
    FileHandle root;      // when status is MNT3_OK
};
// mountres3 after the RPC header. The auth flavors the server lists are skipped (we only speak
// AUTH_SYS, and the server judges each call anyway). Throws nfsfuse::Error(EIO) naming the field
// when the reply is short or a length is above its limit.
MountReply decode_mnt_reply(std::string_view results);

// errno and text for a mountstat3 other than MNT3_OK ("MNT3ERR_NOENT: no such export").
int mountstat3_to_errno(uint32_t status);
std::string mountstat3_text(uint32_t status);

}  // namespace nfsfuse::nfs
