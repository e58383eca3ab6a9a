// The threads that carry write-behind's WRITEs (and background flushes) to the server, so an
// application's write() returns while its data is on the wire: a TaskPool (util/task_pool.h) of
// the filesystem's. Jobs run in no particular order across threads; a File itself keeps
// overlapping WRITEs apart. Its threads start with the first job: nfsfuse daemonizes (forks)
// after building the filesystem, and threads do not survive a fork.
// Ownership: owned by the Filesystem, outlives every File that posts to it.
#pragma once

#include "util/task_pool.h"

namespace nfsfuse::vfs {

using WriteSenders = TaskPool;

}  // namespace nfsfuse::vfs
