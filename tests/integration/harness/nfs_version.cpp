#include "harness/nfs_version.h"

#include <cstdlib>
#include <string>

#include "harness/harness_error.h"

namespace nfsfuse::it {

NfsVersion nfs_version_under_test() {
    const char* value = std::getenv("NFSFUSE_IT_NFS_VERSION");
    if (value == nullptr || *value == '\0') return NfsVersion::v4_1;
    const std::string version = value;
    if (version == "3") return NfsVersion::v3;
    if (version == "4.1") return NfsVersion::v4_1;
    throw HarnessError("NFSFUSE_IT_NFS_VERSION='" + version + "': valid values are 3 and 4.1");
}

}  // namespace nfsfuse::it
