#include "fusefs/caller_credentials.h"

#include <spdlog/spdlog.h>
#include <sys/types.h>

#include <array>
#include <cstring>

namespace nfsfuse::fusefs {

nfs::Credentials credentials_of(fuse_req_t req) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    nfs::Credentials credentials{ctx->uid, ctx->gid, {}};
    if (ctx->pid == 0) return credentials;  // the kernel's own request: no process to ask
    std::array<gid_t, nfs::kAuthSysMaxGroups> groups{};
    // Reads /proc/PID/task/PID/status; returns how many groups the process has, which may be
    // more than fit (those beyond AUTH_SYS's 16 are not sent, like the kernel client's).
    const int count = fuse_req_getgroups(req, static_cast<int>(groups.size()), groups.data());
    if (count < 0) {
        spdlog::debug("no supplementary groups for pid {}: {}", ctx->pid, strerror(-count));
        return credentials;
    }
    const size_t kept = std::min(static_cast<size_t>(count), groups.size());
    credentials.groups.assign(groups.begin(), groups.begin() + static_cast<std::ptrdiff_t>(kept));
    return credentials;
}

}  // namespace nfsfuse::fusefs
