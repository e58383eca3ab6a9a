#include "nfs/nlm_owners.h"

#include <cstdio>

namespace nfsfuse::nfs {
namespace {

constexpr size_t kHexDigits = 16;

std::string hex64(uint64_t value) {
    char text[kHexDigits + 1];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
    return text;
}

std::optional<uint64_t> parse_hex64(std::string_view text) {
    if (text.size() != kHexDigits) return std::nullopt;
    uint64_t value = 0;
    for (const char c : text) {
        uint64_t digit = 0;
        if (c >= '0' && c <= '9')
            digit = static_cast<uint64_t>(c - '0');
        else if (c >= 'a' && c <= 'f')
            digit = static_cast<uint64_t>(c - 'a' + 10);
        else
            return std::nullopt;
        value = value << 4 | digit;
    }
    return value;
}

}  // namespace

NlmOwners::NlmOwners(uint64_t mount_id) : prefix_("nfsfuse/" + hex64(mount_id) + "/") {}

std::string NlmOwners::handle_of(LockOwner owner) const {
    return prefix_ + hex64(owner);
}

std::optional<LockOwner> NlmOwners::owner_of(std::string_view oh) const {
    if (oh.substr(0, prefix_.size()) != prefix_) return std::nullopt;
    return parse_hex64(oh.substr(prefix_.size()));
}

uint32_t NlmOwners::holder_pid(std::string_view oh, uint32_t svid) const {
    if (!owner_of(oh) || (svid & kDerivedSvidBit)) return 0;
    return svid;
}

uint32_t derived_svid(LockOwner owner) {
    // splitmix64's finaliser: owners that differ in any bit get unrelated svids.
    uint64_t mixed = owner + 0x9e3779b97f4a7c15ULL;
    mixed = (mixed ^ (mixed >> 30)) * 0xbf58476d1ce4e5b9ULL;
    mixed = (mixed ^ (mixed >> 27)) * 0x94d049bb133111ebULL;
    mixed ^= mixed >> 31;
    return static_cast<uint32_t>(mixed) | kDerivedSvidBit;
}

}  // namespace nfsfuse::nfs
