#include "harness/run_arguments.h"

#include <cstdlib>
#include <string>
#include <string_view>

#include "harness/fuse_transport.h"
#include "harness/harness_error.h"
#include "harness/nfs_version.h"

namespace nfsfuse::it {
namespace {

struct RunArgument {
    std::string_view prefix;
    const char* variable;
};

constexpr RunArgument kArguments[] = {
    {"--nfs-version=", "NFSFUSE_IT_NFS_VERSION"},
    {"--fuse-transport=", "NFSFUSE_IT_FUSE_TRANSPORT"},
};

}  // namespace

void apply_run_arguments(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view argument = argv[i];
        bool known = false;
        for (const RunArgument& candidate : kArguments) {
            if (argument.rfind(candidate.prefix, 0) != 0) continue;
            const std::string value(argument.substr(candidate.prefix.size()));
            if (::setenv(candidate.variable, value.c_str(), 1) != 0)
                throw HarnessError("cannot set " + std::string(candidate.variable));
            known = true;
        }
        if (!known) throw HarnessError("unknown argument '" + std::string(argument) + "'");
    }
    // Their values are checked now, not at the first test that reads them.
    nfs_version_under_test();
    fuse_transport_under_test();
}

}  // namespace nfsfuse::it
