// Maps NFSv3 status codes (nfsstat3) to POSIX errno values: the one place this mapping lives.
// Thread-safety: pure functions.
#pragma once

namespace nfsfuse::nfs {

// errno for a non-OK nfsstat3; unknown codes become EIO (never ERANGE or 0).
int nfs3_status_to_errno(int status);
// The protocol name of the status, e.g. "NFS3ERR_NOENT", for messages.
const char* nfs3_status_name(int status);

}  // namespace nfsfuse::nfs
