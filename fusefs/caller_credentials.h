// The credentials of the process behind a FUSE request, as the kernel NFS client sends a caller's
// own: uid and gid from the request, supplementary groups from /proc (FUSE does not carry them).
// Thread-safety: a pure function of the request.
#pragma once

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include "nfs/credentials.h"

namespace nfsfuse::fusefs {

// The caller's uid, gid and first 16 supplementary groups. A caller whose groups cannot be read
// (it has exited, or the kernel itself asks) is sent with none: the server then judges by uid
// and gid alone.
nfs::Credentials credentials_of(fuse_req_t req);

}  // namespace nfsfuse::fusefs
