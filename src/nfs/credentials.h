// Who a call is made for, as AUTH_SYS carries it (RFC 5531 appendix A): a uid, a gid and at most
// 16 supplementary groups. A caller with more groups is sent with its first 16, as the kernel
// NFS client does with AUTH_SYS (docs/SEMANTICS.md, "Identity").
// Thread-safety: a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nfsfuse::nfs {

// The most supplementary groups one AUTH_SYS credential holds.
inline constexpr size_t kAuthSysMaxGroups = 16;

struct Credentials {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> groups;  // at most kAuthSysMaxGroups, without gid

    bool operator==(const Credentials&) const = default;
};

}  // namespace nfsfuse::nfs
