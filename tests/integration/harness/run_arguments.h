// The integration binary's own arguments, left after gtest has taken its flags: the NFS version
// and the FUSE transport of this run, as ctest passes them (tests/integration/CMakeLists.txt).
// They set the environment the harness reads (NFSFUSE_IT_NFS_VERSION, NFSFUSE_IT_FUSE_TRANSPORT),
// so a run by hand may use either.
//   --nfs-version=3|4.1   --fuse-transport=io_uring|dev_fuse
// Thread-safety: call once from main, before any test runs (it changes the environment).
#pragma once

namespace nfsfuse::it {

// Throws HarnessError on anything else: a mistyped argument must not test the default.
void apply_run_arguments(int argc, char** argv);

}  // namespace nfsfuse::it
