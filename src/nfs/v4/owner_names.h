// NFSv4 names owners and groups with strings, not numbers (RFC 8881 section 5.9): "user@domain",
// or, when both sides agree to skip id mapping, the number itself ("1000"). nfsfuse sends
// numbers (every server we target accepts them, and the kernel client does the same when id
// mapping is off) and accepts both forms back: a number as it is, "name@domain" through this
// machine's user and group databases (the domain is not checked: there is no idmapd here), and
// what cannot be mapped as nobody (65534), as the kernel client does.
// Thread-safety: pure functions (getpwnam_r/getgrnam_r).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nfsfuse::nfs::v4 {

inline constexpr uint32_t kNobodyId = 65534;

std::string owner_string(uint32_t id);
uint32_t uid_from_owner(std::string_view owner);
uint32_t gid_from_group(std::string_view group);

}  // namespace nfsfuse::nfs::v4
