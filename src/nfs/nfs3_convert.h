// Conversions between libnfs's NFSv3 XDR structs and our protocol-neutral types.
// Thread-safety: pure functions. The nfs_fh3 returned by as_nfs_fh3 borrows the FileHandle's bytes.
#pragma once

#include "nfs/libnfs_headers.h"

#include "nfs/types.h"

namespace nfsfuse::nfs {

Attributes from_fattr3(const fattr3& attributes);
ChangeStamp from_wcc_attr(const wcc_attr& attributes);
DirectoryChange from_wcc_data(const wcc_data& data);
sattr3 to_sattr3(const SetAttributes& changes);
// A view of `handle` for libnfs arguments; valid while `handle` lives and is unchanged.
nfs_fh3 as_nfs_fh3(const FileHandle& handle);
FileHandle from_nfs_fh3(const nfs_fh3& handle);

}  // namespace nfsfuse::nfs
