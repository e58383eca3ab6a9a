// The NFSv3 MOUNT protocol's MNT call: turns an export path into the export's root file handle.
// Thread-safety: a free function with its own short-lived libnfs context; call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "nfs/types.h"

namespace nfsfuse::nfs {

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

}  // namespace nfsfuse::nfs
