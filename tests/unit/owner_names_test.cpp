// Owner strings: numbers go out as numbers; numbers and "name@domain" both come back as ids (names
// through this machine's databases: root and its group exist everywhere); the unknown is nobody.
#include "nfs/v4/owner_names.h"

#include <gtest/gtest.h>

namespace nfsfuse::nfs::v4 {
namespace {

TEST(OwnerNamesTest, IdsGoOutAsNumbers) {
    EXPECT_EQ(owner_string(0), "0");
    EXPECT_EQ(owner_string(1000), "1000");
}

TEST(OwnerNamesTest, NumbersAndNamesAtADomainComeBackAsIds) {
    EXPECT_EQ(uid_from_owner("1000"), 1000u);
    EXPECT_EQ(gid_from_group("27"), 27u);
    EXPECT_EQ(uid_from_owner("root@localdomain"), 0u);
    EXPECT_EQ(uid_from_owner("root"), 0u);
    EXPECT_EQ(gid_from_group("root@example.org"), 0u);
}

TEST(OwnerNamesTest, WhatCannotBeMappedIsNobody) {
    EXPECT_EQ(uid_from_owner("no-such-user-here@x"), kNobodyId);
    EXPECT_EQ(gid_from_group("no-such-group-here"), kNobodyId);
    EXPECT_EQ(uid_from_owner(""), kNobodyId);
    EXPECT_EQ(uid_from_owner("@domain"), kNobodyId);
    EXPECT_EQ(uid_from_owner("-1"), kNobodyId);
    EXPECT_EQ(uid_from_owner("99999999999"), kNobodyId) << "beyond 32 bits";
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
