// LockStates: one state per file and owner, its stateid moved on by every grant and unlock, its
// ranges kept for reclaim, lost states reported, and turns that keep one owner's calls apart.
#include "nfs/v4/lock_states.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

const FileHandle kFile{"file"};
const LockStates::Key kKey{kFile, 7};

Stateid stateid(uint32_t seqid) {
    return {seqid, {'L', 'O', 'C', 'K'}};
}

TEST(LockStatesTest, AStateGrowsFromItsFirstOpenAndFollowsGrantsAndUnlocks) {
    LockStates states;
    EXPECT_EQ(states.find(kKey), std::nullopt);
    states.granted(kKey, 3, stateid(1), LockType::write, {0, 10}, 100);
    states.granted(kKey, 4, stateid(2), LockType::read, {20, 0}, 101);  // through another open
    const auto state = states.find(kKey);
    ASSERT_TRUE(state);
    EXPECT_EQ(state->open, 3u);
    EXPECT_EQ(state->stateid, stateid(2));
    EXPECT_EQ(state->pid, 101u);
    EXPECT_EQ(state->held, (std::vector<HeldLocks::Held>{{LockType::write, {0, 10}},
                                                         {LockType::read, {20, 0}}}));
    EXPECT_EQ(states.grown_from(3), std::vector<LockStates::Key>{kKey});
    EXPECT_TRUE(states.grown_from(4).empty());
    EXPECT_EQ(states.pid_of(kKey), 101u);
    EXPECT_EQ(states.pid_of({kFile, 8}), 0u);

    EXPECT_FALSE(states.unlocked(kKey, stateid(3), {0, 10}));
    EXPECT_EQ(states.find(kKey)->stateid, stateid(3));
    EXPECT_TRUE(states.unlocked(kKey, stateid(4), {0, 0}));
    states.forget(kKey);
    EXPECT_EQ(states.find(kKey), std::nullopt);
}

TEST(LockStatesTest, ALostStateHoldsNothingAndIsNotReclaimed) {
    LockStates states;
    states.granted(kKey, 3, stateid(1), LockType::write, {0, 10}, 100);
    states.granted({kFile, 8}, 3, stateid(1), LockType::read, {0, 10}, 200);
    ASSERT_EQ(states.held().size(), 2u);
    states.mark_lost(kKey);
    const auto lost = states.find(kKey);
    ASSERT_TRUE(lost);
    EXPECT_TRUE(lost->lost);
    EXPECT_TRUE(lost->held.empty());
    EXPECT_EQ(states.pid_of(kKey), 0u);
    ASSERT_EQ(states.held().size(), 1u);
    EXPECT_EQ(states.held()[0].first.owner, 8u);
    EXPECT_FALSE(states.reclaimed(kKey, stateid(1), stateid(9)));
}

TEST(LockStatesTest, AReclaimReplacesOnlyTheStateidItStartedFrom) {
    LockStates states;
    states.granted(kKey, 3, stateid(1), LockType::write, {0, 10}, 100);
    EXPECT_FALSE(states.reclaimed(kKey, stateid(5), stateid(9)));
    EXPECT_EQ(states.find(kKey)->stateid, stateid(1));
    EXPECT_TRUE(states.reclaimed(kKey, stateid(1), stateid(9)));
    EXPECT_EQ(states.find(kKey)->stateid, stateid(9));
}

TEST(LockStatesTest, CallsOfOneOwnerOnOneFileTakeTurns) {
    LockStates states;
    const CallContext context;
    std::atomic<bool> second_ran{false};
    std::thread second;
    {
        const auto turn = states.take_turn(kKey, context);
        // Another owner, or another file, has a turn of its own meanwhile.
        EXPECT_NE(states.take_turn({kFile, 8}, context), nullptr);
        second = std::thread([&] {
            const auto later = states.take_turn(kKey, context);
            second_ran = true;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        EXPECT_FALSE(second_ran);
    }
    second.join();
    EXPECT_TRUE(second_ran);
}

TEST(LockStatesTest, AWaitForATurnEndsWithEintrWhenInterrupted) {
    LockStates states;
    const CallContext holder;
    const auto turn = states.take_turn(kKey, holder);
    CallContext interrupted;
    interrupted.cancel();
    try {
        const auto never = states.take_turn(kKey, interrupted);
        ADD_FAILURE() << "took a turn that was taken";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), EINTR);
    }
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
