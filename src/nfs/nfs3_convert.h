// Conversions between libnfs's NFSv3 XDR structs and our protocol-neutral types.
// Thread-safety: pure functions. The nfs_fh3 returned by as_nfs_fh3 borrows the FileHandle's bytes.
#pragma once

#include "nfs/libnfs_headers.h"

#include <cstdint>
#include <string_view>

#include "nfs/types.h"

namespace nfsfuse::nfs {

Attributes from_fattr3(const fattr3& attributes);
ChangeStamp from_wcc_attr(const wcc_attr& attributes);
DirectoryChange from_wcc_data(const wcc_data& data);
sattr3 to_sattr3(const SetAttributes& changes);
// A view of `handle` for libnfs arguments; valid while `handle` lives and is unchanged.
nfs_fh3 as_nfs_fh3(const FileHandle& handle);
FileHandle from_nfs_fh3(const nfs_fh3& handle);
// The data of a READ reply to a READ of `asked` bytes; a view into the reply. Throws
// Error(EIO) when the reply holds more than asked: libnfs 4.0's decoder adds an opaque's length
// to its position in 32 bits, so a server can send a length that wraps around the end of the
// reply (a 4 GiB READ in a 40-byte reply decodes fine), and only a length up to what we asked
// for is known to lie inside the reply's bytes.
std::string_view read3_data(const READ3resok& ok, uint32_t asked);

}  // namespace nfsfuse::nfs
