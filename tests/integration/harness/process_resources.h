// What one test process shares between its tests: a scratch directory and one ganesha server,
// both created on first use (listing the tests creates nothing) and released at exit.
// Thread-safety: first-use creation is locked; call from the test thread.
#pragma once

#include <filesystem>

#include "harness/ganesha_server.h"

namespace nfsfuse::it {

// $TMPDIR/nfsfuse-it.XXXXXX, mode 0755 so an unprivileged test user can reach mountpoints in it.
const std::filesystem::path& scratch_root();

// The ganesha shared by the tests of this process. Throws HarnessError (again on every call) if
// it cannot start, or when not running as root.
GaneshaServer& shared_server();

// Stops the shared server and removes the scratch directory. Called once, after the last test.
void release_process_resources();

}  // namespace nfsfuse::it
