#include "nfs/v4/owner_names.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <charconv>
#include <optional>
#include <vector>

namespace nfsfuse::nfs::v4 {
namespace {

// "1000" -> 1000; anything else (empty, signs, spaces, too big) -> nothing.
std::optional<uint32_t> plain_number(std::string_view text) {
    uint32_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return {};
    return value;
}

std::string name_part(std::string_view owner) {
    return std::string(owner.substr(0, owner.find('@')));
}

size_t buffer_size(int which) {
    const long suggested = sysconf(which);
    return suggested > 0 ? static_cast<size_t>(suggested) : 16384;
}

}  // namespace

std::string owner_string(uint32_t id) {
    return std::to_string(id);
}

uint32_t uid_from_owner(std::string_view owner) {
    if (const auto number = plain_number(owner)) return *number;
    const std::string name = name_part(owner);
    if (name.empty()) return kNobodyId;
    std::vector<char> buffer(buffer_size(_SC_GETPW_R_SIZE_MAX));
    passwd entry{};
    passwd* found = nullptr;
    if (getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found)
        return kNobodyId;
    return found->pw_uid;
}

uint32_t gid_from_group(std::string_view group) {
    if (const auto number = plain_number(group)) return *number;
    const std::string name = name_part(group);
    if (name.empty()) return kNobodyId;
    std::vector<char> buffer(buffer_size(_SC_GETGR_R_SIZE_MAX));
    struct group entry {};
    struct group* found = nullptr;
    if (getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found)
        return kNobodyId;
    return found->gr_gid;
}

}  // namespace nfsfuse::nfs::v4
