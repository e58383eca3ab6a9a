// Last-resort removal of a FUSE mount and the nfsfuse processes serving it, so that no test
// (passed, failed or aborted by the watchdog) leaves a mount behind. Thread-safety: free functions;
// safe from several threads.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <vector>

namespace nfsfuse::it {

// nfsfuse processes (by /proc/PID/comm) that have mount_point as one of their arguments: the
// daemonized ones we have no pid for.
std::vector<pid_t> nfsfuse_processes_for(const std::filesystem::path& mount_point);

// True once pid has exited (gone from /proc, or a zombie nobody has reaped yet).
bool process_is_gone(pid_t pid);

// Lazily unmounts whatever is mounted at mount_point (fusermount3 -uz, then umount -l) and
// SIGKILLs the nfsfuse processes serving it. Returns true when nothing is mounted there afterwards.
bool force_unmount(const std::filesystem::path& mount_point);

}  // namespace nfsfuse::it
