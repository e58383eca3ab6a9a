// The NFS version the tests of the mount command speak, chosen per run by the environment (which
// the run's --nfs-version sets, harness/run_arguments.h):
// NFSFUSE_IT_NFS_VERSION=3 runs them over NFSv3; unset (or 4.1) over NFSv4.1, nfsfuse's default.
// Both use the same SOURCE: tests/tools/ganesha.sh gives the export a v4 pseudo path equal to its
// real path, as Linux knfsd does.
// Thread-safety: pure function of the environment.
#pragma once

namespace nfsfuse::it {

enum class NfsVersion { v3, v4_1 };

// Throws HarnessError for any other value: a typo must not silently test the default.
NfsVersion nfs_version_under_test();

}  // namespace nfsfuse::it
