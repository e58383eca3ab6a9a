// NlmOwners: owner handles (oh) unique per mount and owner, text without NUL (libnfs carries oh as
// a C string), decoded back only for this mount's prefix; what F_GETLK reports as a holder's pid;
// derived svids never look like process ids.
#include <gtest/gtest.h>

#include <set>

#include "nfs/nlm_owners.h"

namespace nfsfuse::nfs {
namespace {

TEST(NlmOwnersTest, HandleRoundTripsForThisMount) {
    const NlmOwners owners(0x0123456789abcdefULL);
    for (const LockOwner owner : {0ULL, 1ULL, 0xffffffffffffffffULL, 0x8000000000000001ULL}) {
        const std::string oh = owners.handle_of(owner);
        EXPECT_EQ(oh.find('\0'), std::string::npos);
        EXPECT_EQ(owners.owner_of(oh), owner) << oh;
    }
    EXPECT_EQ(owners.handle_of(0x2a), "nfsfuse/0123456789abcdef/000000000000002a");
}

TEST(NlmOwnersTest, AnotherMountsHandleIsNotOurs) {
    const NlmOwners ours(1);
    const NlmOwners theirs(2);
    EXPECT_NE(ours.handle_of(7), theirs.handle_of(7));
    EXPECT_EQ(ours.owner_of(theirs.handle_of(7)), std::nullopt);
}

TEST(NlmOwnersTest, MalformedHandlesAreNotOurs) {
    const NlmOwners owners(1);
    const std::string good = owners.handle_of(5);
    EXPECT_EQ(owners.owner_of(""), std::nullopt);
    EXPECT_EQ(owners.owner_of("1234@otherhost"), std::nullopt) << "Linux's oh";
    EXPECT_EQ(owners.owner_of(good.substr(0, good.size() - 1)), std::nullopt) << "short";
    EXPECT_EQ(owners.owner_of(good + "0"), std::nullopt) << "long";
    std::string upper = good;
    upper.back() = 'G';
    EXPECT_EQ(owners.owner_of(upper), std::nullopt) << "not hex";
}

TEST(NlmOwnersTest, HolderPidIsTheSvidOnlyForOurOwnersWithAProcessId) {
    const NlmOwners owners(9);
    EXPECT_EQ(owners.holder_pid(owners.handle_of(3), 4242), 4242u);
    EXPECT_EQ(owners.holder_pid("4242@elsewhere", 4242), 0u) << "another host's process";
    EXPECT_EQ(owners.holder_pid(owners.handle_of(3), derived_svid(3)), 0u) << "no process";
}

TEST(NlmOwnersTest, DerivedSvidsAreNeverProcessIdsAndSpreadOut) {
    std::set<uint32_t> seen;
    for (LockOwner owner = 0; owner < 1000; ++owner) {
        const uint32_t svid = derived_svid(owner);
        EXPECT_NE(svid & kDerivedSvidBit, 0u);
        EXPECT_EQ(svid, derived_svid(owner)) << "the same owner, the same svid";
        seen.insert(svid);
    }
    EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace nfsfuse::nfs
