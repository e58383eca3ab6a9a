// Session slots: sequence ids start at 1 and advance only when the server ran the request; a
// request that was not run gives its slot back unchanged; all slots busy means waiting; the
// server's target shrinks the table; a table whose session was replaced hands out nothing more.
#include "nfs/v4/slot_table.h"

#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

using namespace std::chrono_literals;

TEST(SlotTableTest, SequenceIdsStartAtOneAndAdvanceOnlyWhenRun) {
    SlotTable table(2);
    const CallContext context;
    SlotTable::Slot slot = *table.acquire(context);
    EXPECT_EQ(slot.id, 0u);
    EXPECT_EQ(slot.sequence, 1u);
    table.released_unused(slot);  // e.g. SEQUENCE answered NFS4ERR_DELAY
    slot = *table.acquire(context);
    EXPECT_EQ(slot.sequence, 1u) << "a request the server did not run must not skip an id";
    table.completed(slot, 1);
    slot = *table.acquire(context);
    EXPECT_EQ(slot.sequence, 2u);
}

TEST(SlotTableTest, AnIdTheServerHoldsForAnotherRequestIsSkipped) {
    SlotTable table(1);
    const CallContext context;
    const SlotTable::Slot slot = *table.acquire(context);
    table.skipped(slot);  // NFS4ERR_RETRY_UNCACHED_REP or NFS4ERR_SEQ_FALSE_RETRY
    const SlotTable::Slot next = *table.acquire(context);
    EXPECT_EQ(next.id, slot.id) << "the slot is free again";
    EXPECT_EQ(next.sequence, slot.sequence + 1);
}

TEST(SlotTableTest, ConcurrentRequestsGetDifferentSlotsAndWaitWhenAllAreBusy) {
    SlotTable table(2);
    const CallContext context;
    const SlotTable::Slot first = *table.acquire(context);
    const SlotTable::Slot second = *table.acquire(context);
    EXPECT_NE(first.id, second.id);
    EXPECT_EQ(table.highest_in_use(), 1u);
    SlotTable::Slot third{};
    std::thread waiter([&] { third = *table.acquire(CallContext{}); });
    std::this_thread::sleep_for(50ms);
    table.completed(first, 1);
    waiter.join();
    EXPECT_EQ(third.id, first.id);
    EXPECT_EQ(third.sequence, first.sequence + 1);
}

TEST(SlotTableTest, TheServersTargetLeavesHigherSlotsUnused) {
    SlotTable table(4);
    const CallContext context;
    const SlotTable::Slot slot = *table.acquire(context);
    table.completed(slot, 0);  // the server wants only slot 0 used
    const SlotTable::Slot only = *table.acquire(context);
    EXPECT_EQ(only.id, 0u);
    CallContext give_up;
    give_up.cancel();
    EXPECT_THROW(table.acquire(give_up), Error) << "slot 1 was handed out above the target";
    table.completed(only, 3);
    EXPECT_EQ(table.acquire(context)->id, 0u);
    EXPECT_EQ(table.acquire(context)->id, 1u) << "the target grew again";
}

TEST(SlotTableTest, ARetiredTableHandsOutNothingAndWakesItsWaiters) {
    SlotTable table(1);
    const CallContext context;
    const SlotTable::Slot held = *table.acquire(context);
    std::optional<SlotTable::Slot> waited{SlotTable::Slot{}};
    std::thread waiter([&] { waited = table.acquire(CallContext{}); });
    std::this_thread::sleep_for(50ms);
    table.retire();  // a recovery replaced its session
    waiter.join();
    EXPECT_FALSE(waited) << "a waiter must go over to the new session's table";
    table.completed(held, 0);  // the holder gives its slot back as usual
    EXPECT_FALSE(table.acquire(context));
}

TEST(SlotTableTest, ASessionGetsAtLeastOneSlotAndNeverMoreThanAskedFor) {
    EXPECT_EQ(slots_granted(16, 4), 4u);
    EXPECT_EQ(slots_granted(16, 0), 1u);
    EXPECT_EQ(slots_granted(16, 0xFFFFFFFF), 16u);  // a hostile CREATE_SESSION reply
    EXPECT_EQ(slots_granted(0, 7), 1u);
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
