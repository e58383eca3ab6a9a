// Conversions from protocol-neutral NFS attributes to the structs the kernel wants.
// Thread-safety: pure functions.
#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>

#include "nfs/types.h"

namespace nfsfuse::fusefs {

struct stat to_stat(const nfs::Attributes& attributes);
struct statvfs to_statvfs(const nfs::FsStats& stats);
// S_IFMT bits for a file type.
mode_t file_type_bits(nfs::FileType type);

}  // namespace nfsfuse::fusefs
