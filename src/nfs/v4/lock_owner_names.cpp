#include "nfs/v4/lock_owner_names.h"

namespace nfsfuse::nfs::v4 {
namespace {

// "nfsfuse:" shows whose the owner is in a server's logs; then the mount's number and the
// owner's, eight bytes each, most significant first.
constexpr std::string_view kPrefix = "nfsfuse:";
constexpr size_t kNameSize = kPrefix.size() + 16;

void append_u64(std::string& to, uint64_t value) {
    for (int shift = 56; shift >= 0; shift -= 8) to.push_back(static_cast<char>(value >> shift));
}

uint64_t read_u64(std::string_view from) {
    uint64_t value = 0;
    for (size_t i = 0; i < 8; ++i) value = value << 8 | static_cast<unsigned char>(from[i]);
    return value;
}

}  // namespace

std::string LockOwnerNames::name_of(LockOwner owner) const {
    std::string name(kPrefix);
    append_u64(name, mount_);
    append_u64(name, owner);
    return name;
}

std::optional<LockOwner> LockOwnerNames::owner_of(std::string_view name) const {
    if (name.size() != kNameSize || !name.starts_with(kPrefix)) return std::nullopt;
    name.remove_prefix(kPrefix.size());
    if (read_u64(name) != mount_) return std::nullopt;
    return read_u64(name.substr(8));
}

}  // namespace nfsfuse::nfs::v4
