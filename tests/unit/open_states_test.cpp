// OpenStates: which open's stateid a READ or WRITE of a file goes under.
#include "nfs/v4/open_states.h"

#include <gtest/gtest.h>

namespace nfsfuse::nfs::v4 {
namespace {

Stateid stateid(uint32_t seqid, char tag) {
    Stateid id;
    id.seqid = seqid;
    id.other.fill(tag);
    return id;
}

const FileHandle kFile{"file-a"};
const FileHandle kOther{"file-b"};

TEST(OpenStatesTest, IoGoesUnderAnOpenThatAllowsIt) {
    OpenStates opens;
    const OpenId reader = opens.add({kFile, OpenAccess::read, opens.take_owner(), stateid(1, 'r')});
    const OpenId writer =
        opens.add({kFile, OpenAccess::write, opens.take_owner(), stateid(1, 'w')});

    EXPECT_EQ(opens.for_io(kFile, /*writing=*/false).id, reader);
    EXPECT_EQ(opens.for_io(kFile, /*writing=*/false).stateid, stateid(1, 'r'));
    EXPECT_EQ(opens.for_io(kFile, /*writing=*/true).id, writer);
    EXPECT_EQ(opens.for_io(kFile, /*writing=*/true).stateid, stateid(1, 'w'));
}

TEST(OpenStatesTest, WithoutASuitableOpenIoIsAnonymous) {
    OpenStates opens;
    opens.add({kFile, OpenAccess::read, opens.take_owner(), stateid(1, 'r')});

    const OpenStates::ForIo write = opens.for_io(kFile, /*writing=*/true);
    EXPECT_EQ(write.id, 0u);
    EXPECT_EQ(write.stateid, Stateid::anonymous());
    EXPECT_EQ(opens.for_io(kOther, /*writing=*/false).id, 0u);
}

TEST(OpenStatesTest, ClosingOneOpenLeavesTheOthers) {
    OpenStates opens;
    const OpenId first =
        opens.add({kFile, OpenAccess::read_write, opens.take_owner(), stateid(1, '1')});
    const OpenId second =
        opens.add({kFile, OpenAccess::read_write, opens.take_owner(), stateid(1, '2')});

    const auto removed = opens.remove(first);
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed->stateid, stateid(1, '1'));
    EXPECT_FALSE(opens.remove(first));  // closed once only
    EXPECT_EQ(opens.for_io(kFile, /*writing=*/true).id, second);
    EXPECT_EQ(opens.for_io(kFile, /*writing=*/false).id, second);
    opens.remove(second);
    EXPECT_EQ(opens.for_io(kFile, /*writing=*/false).id, 0u);
    EXPECT_FALSE(opens.find(second));
}

TEST(OpenStatesTest, OwnersInUseAreNeverSharedAndIdleOnesAreUsedAgain) {
    OpenStates opens;
    const std::string first = opens.take_owner();
    const std::string second = opens.take_owner();
    EXPECT_NE(first, second);
    opens.give_back_owner(second);
    EXPECT_EQ(opens.take_owner(), second);
    EXPECT_NE(opens.take_owner(), first);
}

TEST(OpenStatesTest, OnlyTheFirstReopenOfALostStateReplacesIt) {
    OpenStates opens;
    const OpenId id = opens.add({kFile, OpenAccess::read, opens.take_owner(), stateid(1, 'o')});

    EXPECT_TRUE(opens.replace(id, stateid(1, 'o'), stateid(1, 'n')));
    // A second thread saw the same failure; the first one's reopen stands.
    EXPECT_FALSE(opens.replace(id, stateid(1, 'o'), stateid(1, 'x')));
    EXPECT_EQ(opens.find(id)->stateid, stateid(1, 'n'));
    opens.remove(id);
    EXPECT_FALSE(opens.replace(id, stateid(1, 'n'), stateid(1, 'y')));
}

// Two threads reopen at once: the server gives both OPENs one state, the second with seqid 2. If
// the answers are stored in the other order, the newer still wins: the older one is OLD_STATEID.
TEST(OpenStatesTest, TheNewerOfTwoConcurrentReopensWinsWhateverTheOrder) {
    OpenStates opens;
    const OpenId id = opens.add({kFile, OpenAccess::read, opens.take_owner(), stateid(1, 'o')});
    EXPECT_TRUE(opens.replace(id, stateid(1, 'o'), stateid(2, 'n')));
    EXPECT_FALSE(opens.replace(id, stateid(1, 'o'), stateid(1, 'n')));
    EXPECT_EQ(opens.find(id)->stateid, stateid(2, 'n'));
    opens.remove(id);
    EXPECT_FALSE(opens.replace(id, stateid(1, 'n'), stateid(1, 'y')));
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
