// NlmLockState: svids fixed per owner while it holds or asks for anything and never shared by two
// owners; held bytes per owner and file (so unlocks of nothing cost no call); locks lost at a
// server restart reported once per owner and file, and forgotten by an unlock of the whole file.
#include <gtest/gtest.h>

#include "nfs/nlm_lock_state.h"
#include "nfs/nlm_owners.h"

namespace nfsfuse::nfs {
namespace {

const FileHandle kFile{"file-a"};
const FileHandle kOther{"file-b"};
constexpr LockRange kWhole{0, 0};

TEST(NlmLockStateTest, SvidIsThePidAndStaysWhileTheOwnerHoldsLocks) {
    NlmLockState state;
    EXPECT_EQ(state.begin_call(1, 100), 100u);
    state.granted(1, kFile, {0, 10});
    state.end_call(1);
    EXPECT_EQ(state.begin_call(1, 200), 100u) << "another thread of the owner: the same svid";
    state.end_call(1);
}

TEST(NlmLockStateTest, TwoOwnersNeverShareASvid) {
    NlmLockState state;
    EXPECT_EQ(state.begin_call(1, 100), 100u);
    const uint32_t second = state.begin_call(2, 100);  // e.g. flock and fcntl of one process
    EXPECT_NE(second, 100u);
    EXPECT_NE(second & kDerivedSvidBit, 0u);
    state.end_call(1);
    state.end_call(2);
}

TEST(NlmLockStateTest, WithoutAPidTheSvidIsDerived) {
    NlmLockState state;
    EXPECT_EQ(state.begin_call(5, 0), derived_svid(5));
    state.end_call(5);
}

TEST(NlmLockStateTest, AnOwnerThatHoldsNothingIsForgotten) {
    NlmLockState state;
    state.begin_call(1, 100);
    state.granted(1, kFile, {0, 10});
    state.end_call(1);
    state.begin_call(1, 0);
    state.released(1, kFile, {0, 10});
    state.end_call(1);
    EXPECT_EQ(state.begin_call(1, 300), 300u) << "a new svid: the server forgot the owner too";
    state.end_call(1);
}

TEST(NlmLockStateTest, HoldsOnlyWhatWasGrantedAndNotReleased) {
    NlmLockState state;
    state.begin_call(1, 100);
    EXPECT_FALSE(state.holds(1, kFile, kWhole));
    state.granted(1, kFile, {10, 10});
    EXPECT_TRUE(state.holds(1, kFile, kWhole));
    EXPECT_TRUE(state.holds(1, kFile, {15, 1}));
    EXPECT_FALSE(state.holds(1, kFile, {0, 10}));
    EXPECT_FALSE(state.holds(1, kOther, kWhole));
    EXPECT_FALSE(state.holds(2, kFile, kWhole));
    state.released(1, kFile, {0, 15});
    EXPECT_TRUE(state.holds(1, kFile, {15, 5}));
    state.released(1, kFile, kWhole);
    EXPECT_FALSE(state.holds(1, kFile, kWhole));
    EXPECT_FALSE(state.holds_any());
    state.end_call(1);
}

TEST(NlmLockStateTest, LostLocksAreReportedOncePerOwnerAndFile) {
    NlmLockState state;
    state.begin_call(1, 100);
    state.begin_call(2, 200);
    state.granted(1, kFile, {0, 10});
    state.granted(1, kOther, {0, 10});
    state.granted(2, kFile, kWhole);
    EXPECT_TRUE(state.holds_any());
    EXPECT_EQ(state.mark_all_lost(), 3u);
    EXPECT_FALSE(state.holds_any());
    EXPECT_FALSE(state.holds(1, kFile, kWhole)) << "nothing to unlock on the server";
    EXPECT_TRUE(state.take_lost(1, kFile));
    EXPECT_FALSE(state.take_lost(1, kFile)) << "once";
    EXPECT_TRUE(state.take_lost(1, kOther));
    EXPECT_TRUE(state.take_lost(2, kFile));
    EXPECT_FALSE(state.take_lost(3, kFile)) << "an owner that held nothing lost nothing";
    state.end_call(1);
    state.end_call(2);
}

TEST(NlmLockStateTest, UnlockingTheWholeFileForgetsTheLoss) {
    NlmLockState state;
    state.begin_call(1, 100);
    state.granted(1, kFile, {0, 10});
    state.mark_all_lost();
    state.released(1, kFile, {0, 5});
    EXPECT_TRUE(state.take_lost(1, kFile)) << "a partial unlock does not end the owner's use";
    state.granted(1, kFile, {0, 10});
    state.mark_all_lost();
    state.released(1, kFile, kWhole);  // the close of the file
    EXPECT_FALSE(state.take_lost(1, kFile));
    state.end_call(1);
}

TEST(NlmLockStateTest, NothingHeldNothingLost) {
    NlmLockState state;
    EXPECT_EQ(state.mark_all_lost(), 0u);
    state.begin_call(1, 100);
    EXPECT_EQ(state.mark_all_lost(), 0u);
    EXPECT_FALSE(state.take_lost(1, kFile));
    state.end_call(1);
}

}  // namespace
}  // namespace nfsfuse::nfs
