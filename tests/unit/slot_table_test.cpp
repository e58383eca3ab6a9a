// Session slots: sequence ids start at 1 and advance only when the server ran the request; a
// request that was not run gives its slot back unchanged; all slots busy means waiting; the
// server's target shrinks the table; a new session starts over and ignores old holders.
#include "nfs/v4/slot_table.h"

#include <gtest/gtest.h>

#include <thread>

#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

using namespace std::chrono_literals;

TEST(SlotTableTest, SequenceIdsStartAtOneAndAdvanceOnlyWhenRun) {
    SlotTable table(2);
    const CancelToken cancel;
    SlotTable::Slot slot = table.acquire(cancel);
    EXPECT_EQ(slot.id, 0u);
    EXPECT_EQ(slot.sequence, 1u);
    table.released_unused(slot);  // e.g. SEQUENCE answered NFS4ERR_DELAY
    slot = table.acquire(cancel);
    EXPECT_EQ(slot.sequence, 1u) << "a request the server did not run must not skip an id";
    table.completed(slot, 1);
    slot = table.acquire(cancel);
    EXPECT_EQ(slot.sequence, 2u);
}

TEST(SlotTableTest, AnIdTheServerHoldsForAnotherRequestIsSkipped) {
    SlotTable table(1);
    const CancelToken cancel;
    const SlotTable::Slot slot = table.acquire(cancel);
    table.skipped(slot);  // NFS4ERR_RETRY_UNCACHED_REP or NFS4ERR_SEQ_FALSE_RETRY
    const SlotTable::Slot next = table.acquire(cancel);
    EXPECT_EQ(next.id, slot.id) << "the slot is free again";
    EXPECT_EQ(next.sequence, slot.sequence + 1);
}

TEST(SlotTableTest, ConcurrentRequestsGetDifferentSlotsAndWaitWhenAllAreBusy) {
    SlotTable table(2);
    const CancelToken cancel;
    const SlotTable::Slot first = table.acquire(cancel);
    const SlotTable::Slot second = table.acquire(cancel);
    EXPECT_NE(first.id, second.id);
    EXPECT_EQ(table.highest_in_use(), 1u);
    SlotTable::Slot third{};
    std::thread waiter([&] { third = table.acquire(CancelToken{}); });
    std::this_thread::sleep_for(50ms);
    table.completed(first, 1);
    waiter.join();
    EXPECT_EQ(third.id, first.id);
    EXPECT_EQ(third.sequence, first.sequence + 1);
}

TEST(SlotTableTest, TheServersTargetLeavesHigherSlotsUnused) {
    SlotTable table(4);
    const CancelToken cancel;
    const SlotTable::Slot slot = table.acquire(cancel);
    table.completed(slot, 0);  // the server wants only slot 0 used
    const SlotTable::Slot only = table.acquire(cancel);
    EXPECT_EQ(only.id, 0u);
    CancelToken give_up;
    give_up.cancel();
    EXPECT_THROW(table.acquire(give_up), Error) << "slot 1 was handed out above the target";
    table.completed(only, 3);
    EXPECT_EQ(table.acquire(cancel).id, 0u);
    EXPECT_EQ(table.acquire(cancel).id, 1u) << "the target grew again";
}

TEST(SlotTableTest, ANewSessionStartsOverAndIgnoresOldHolders) {
    SlotTable table(2);
    const CancelToken cancel;
    SlotTable::Slot old = table.acquire(cancel);
    table.completed(old, 1);
    old = table.acquire(cancel);  // sequence 2, held across the reset
    table.reset(3);
    EXPECT_EQ(table.size(), 3u);
    const SlotTable::Slot fresh = table.acquire(cancel);
    EXPECT_EQ(fresh.id, 0u);
    EXPECT_EQ(fresh.sequence, 1u);
    table.completed(old, 2);  // from the old session: no effect on the new slot 0
    EXPECT_EQ(table.acquire(cancel).id, 1u) << "slot 0 must still be held by `fresh`";
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
