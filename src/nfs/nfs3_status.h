// Maps NFSv3 status codes (nfsstat3) to POSIX errno values: the one place this mapping lives.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "util/error.h"

namespace nfsfuse::nfs {

constexpr int kNfs3Ok = 0;
// NFS3ERR_JUKEBOX: the server is busy (e.g. fetching the file from tape); try again later.
constexpr int kNfs3ErrJukebox = 10008;

// errno for a non-OK nfsstat3; unknown codes become EIO (never ERANGE or 0).
int nfs3_status_to_errno(int status);
// The protocol name of the status, e.g. "NFS3ERR_NOENT", for messages.
const char* nfs3_status_name(int status);
// The error a call `what` fails with: its errno, the message naming the status.
Error nfs3_status_error(int status, std::string_view what);

}  // namespace nfsfuse::nfs
