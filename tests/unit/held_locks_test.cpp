// HeldLocks keeps an owner's ranges as a POSIX lock server does: new locks replace what they
// cover, unlocks cut and split, touching locks of one type merge; "to the end" is length 0.
#include "nfs/v4/held_locks.h"

#include <gtest/gtest.h>

#include <vector>

namespace nfsfuse::nfs::v4 {
namespace {

using Held = HeldLocks::Held;
constexpr LockType R = LockType::read;
constexpr LockType W = LockType::write;

std::vector<Held> held(const HeldLocks& locks) {
    return locks.all();
}

TEST(HeldLocksTest, StartsEmptyAndKeepsDisjointLocksInOrder) {
    HeldLocks locks;
    EXPECT_TRUE(locks.empty());
    locks.lock(W, {100, 10});
    locks.lock(R, {0, 10});
    EXPECT_FALSE(locks.empty());
    EXPECT_EQ(held(locks), (std::vector<Held>{{R, {0, 10}}, {W, {100, 10}}}));
}

TEST(HeldLocksTest, TouchingAndOverlappingLocksOfOneTypeMerge) {
    HeldLocks locks;
    locks.lock(R, {0, 10});
    locks.lock(R, {10, 10});
    locks.lock(R, {15, 10});
    EXPECT_EQ(held(locks), (std::vector<Held>{{R, {0, 25}}}));
    locks.lock(W, {30, 5});
    locks.lock(R, {25, 5});  // touches the read lock before it, not the write lock after
    EXPECT_EQ(held(locks), (std::vector<Held>{{R, {0, 30}}, {W, {30, 5}}}));
}

TEST(HeldLocksTest, AnUpgradeInTheMiddleSplitsALock) {
    HeldLocks locks;
    locks.lock(R, {0, 100});
    locks.lock(W, {40, 20});
    EXPECT_EQ(held(locks), (std::vector<Held>{{R, {0, 40}}, {W, {40, 20}}, {R, {60, 40}}}));
    // And the downgrade makes it one again.
    locks.lock(R, {40, 20});
    EXPECT_EQ(held(locks), (std::vector<Held>{{R, {0, 100}}}));
}

TEST(HeldLocksTest, ALockReplacesEverythingItCovers) {
    HeldLocks locks;
    locks.lock(R, {0, 10});
    locks.lock(W, {20, 10});
    locks.lock(R, {40, 10});
    locks.lock(W, {5, 40});
    EXPECT_EQ(held(locks), (std::vector<Held>{{R, {0, 5}}, {W, {5, 40}}, {R, {45, 5}}}));
}

TEST(HeldLocksTest, UnlocksCutAndSplit) {
    HeldLocks locks;
    locks.lock(W, {0, 100});
    locks.unlock({40, 20});
    EXPECT_EQ(held(locks), (std::vector<Held>{{W, {0, 40}}, {W, {60, 40}}}));
    locks.unlock({30, 40});  // the end of one and the start of the next
    EXPECT_EQ(held(locks), (std::vector<Held>{{W, {0, 30}}, {W, {70, 30}}}));
    locks.unlock({200, 10});  // nothing held there
    EXPECT_EQ(held(locks), (std::vector<Held>{{W, {0, 30}}, {W, {70, 30}}}));
    locks.unlock({0, 0});  // everything
    EXPECT_TRUE(locks.empty());
}

TEST(HeldLocksTest, LocksToTheEndOfTheFile) {
    HeldLocks locks;
    locks.lock(W, {100, 0});
    locks.unlock({200, 10});
    EXPECT_EQ(held(locks), (std::vector<Held>{{W, {100, 100}}, {W, {210, 0}}}));
    locks.lock(R, {150, 0});
    EXPECT_EQ(held(locks), (std::vector<Held>{{W, {100, 50}}, {R, {150, 0}}}));
    locks.unlock({120, 0});
    EXPECT_EQ(held(locks), (std::vector<Held>{{W, {100, 20}}}));
    // A range that would run past the last offset runs to the end.
    locks.lock(W, {0xFFFFFFFFFFFFFF00, 0x1000});
    EXPECT_EQ(held(locks), (std::vector<Held>{{W, {100, 20}}, {W, {0xFFFFFFFFFFFFFF00, 0}}}));
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
