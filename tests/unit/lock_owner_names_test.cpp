// A mount's lock owner names: stable for one mount, never another mount's, read back to the owner.
#include "nfs/v4/lock_owner_names.h"

#include <gtest/gtest.h>

namespace nfsfuse::nfs::v4 {
namespace {

TEST(LockOwnerNamesTest, NamesReadBackToTheirOwner) {
    const LockOwnerNames names(0x1234);
    EXPECT_EQ(names.name_of(42), names.name_of(42));
    EXPECT_NE(names.name_of(42), names.name_of(43));
    EXPECT_EQ(names.owner_of(names.name_of(42)), 42u);
    EXPECT_EQ(names.owner_of(names.name_of(0xFFFFFFFFFFFFFFFF)), 0xFFFFFFFFFFFFFFFFu);
    EXPECT_LE(names.name_of(1).size(), 1024u);  // NFS4_OPAQUE_LIMIT
}

TEST(LockOwnerNamesTest, AnotherMountsOrHostsOwnersAreNotOurs) {
    const LockOwnerNames ours(1);
    const LockOwnerNames theirs(2);
    EXPECT_NE(ours.name_of(7), theirs.name_of(7));
    EXPECT_EQ(ours.owner_of(theirs.name_of(7)), std::nullopt);
    EXPECT_EQ(ours.owner_of("linux-kernel-lock-owner"), std::nullopt);
    EXPECT_EQ(ours.owner_of(""), std::nullopt);
    const std::string longer = ours.name_of(7) + "x";
    EXPECT_EQ(ours.owner_of(longer), std::nullopt);
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
