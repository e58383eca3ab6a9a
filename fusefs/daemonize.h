// Puts nfsfuse in the background once its mount is live, as libfuse's fuse_daemonize does, and
// can tell whoever started it which process serves the mount: a supervisor (nfsfuse-driver)
// recognises that process later by the pid it learned here, never by a command line that any
// user can imitate.
// Thread-safety: call once, from the main thread, before any other thread starts (it forks).
#pragma once

namespace nfsfuse::fusefs {

// foreground: stays in this process (only changes to "/"). Otherwise forks; the child starts a
// session of its own, changes to "/", puts /dev/null on stdin/stdout/stderr and returns; the
// parent waits until the child is ready and exits 0. print_pid: the pid of the serving process
// (the child, or this process in the foreground) is written to stdout as one decimal line, after
// everything else this process wrote, so it is the last line of the output. Throws Error.
void daemonize(bool foreground, bool print_pid);

}  // namespace nfsfuse::fusefs
