// The FUSE lock operations (getlk, setlk, flock): POSIX, OFD and flock locks turned into
// requests for vfs::Filesystem, which has the server keep them. A blocking request is answered
// later, from the thread that waits for it (vfs::LockWaits), so it holds no request thread.
// Which lock kinds go to the server at all is decided at INIT (local_lock=).
// Thread-safety: operations run concurrently on the RequestLoop's threads.
#pragma once

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

namespace nfsfuse::fusefs {

// Sets getlk, setlk and flock in `ops`; userdata must be the FuseAdapter.
void add_lock_operations(fuse_lowlevel_ops& ops);

}  // namespace nfsfuse::fusefs
