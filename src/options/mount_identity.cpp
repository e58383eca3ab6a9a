#include "options/mount_identity.h"

#include <grp.h>
#include <unistd.h>

#include <vector>

#include "util/error.h"

namespace nfsfuse::options {

MountIdentity mount_identity(const MountOptions& options, const nfs::Credentials& process) {
    if (options.uid || options.gid) {
        // One identity, no groups: what the server's all_squash would make of every caller.
        return {{options.uid.value_or(process.uid), options.gid.value_or(process.gid), {}}, false};
    }
    return {process, process.uid == 0};
}

nfs::Credentials process_credentials() {
    nfs::Credentials credentials{getuid(), getgid(), {}};
    const int count = getgroups(0, nullptr);
    if (count < 0) throw Error(errno, "getgroups failed");
    std::vector<gid_t> groups(static_cast<size_t>(count));
    if (getgroups(count, groups.data()) < 0) throw Error(errno, "getgroups failed");
    for (gid_t group : groups) {
        if (credentials.groups.size() == nfs::kAuthSysMaxGroups) break;
        credentials.groups.push_back(group);
    }
    return credentials;
}

}  // namespace nfsfuse::options
