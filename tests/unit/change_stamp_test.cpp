// ChangeStamp: NFSv3 stamps (no change attribute) are equal when size, mtime and ctime are; NFSv4
// stamps are equal exactly when their change attributes are, whatever the times say; a stamp with
// a change attribute never equals one without.
#include <gtest/gtest.h>

#include "nfs/types.h"

namespace nfsfuse::nfs {
namespace {

Attributes attributes(uint64_t size, time_t mtime, time_t ctime,
                      std::optional<uint64_t> change = std::nullopt) {
    Attributes result;
    result.size = size;
    result.mtime = {mtime, 0};
    result.ctime = {ctime, 0};
    result.change = change;
    return result;
}

TEST(ChangeStampTest, WithoutAChangeAttributeSizeAndTimesDecide) {
    const ChangeStamp stamp = change_stamp_of(attributes(10, 100, 200));
    EXPECT_FALSE(stamp.change);
    EXPECT_EQ(stamp, change_stamp_of(attributes(10, 100, 200)));
    EXPECT_FALSE(stamp == change_stamp_of(attributes(11, 100, 200)));
    EXPECT_FALSE(stamp == change_stamp_of(attributes(10, 101, 200)));
    EXPECT_FALSE(stamp == change_stamp_of(attributes(10, 100, 201)));
    Attributes nanoseconds_later = attributes(10, 100, 200);
    nanoseconds_later.ctime.tv_nsec = 1;
    EXPECT_FALSE(stamp == change_stamp_of(nanoseconds_later));
}

TEST(ChangeStampTest, WithAChangeAttributeOnlyItDecides) {
    const ChangeStamp stamp = change_stamp_of(attributes(10, 100, 200, 7));
    EXPECT_EQ(stamp.change, 7u);
    // Times too coarse to move, or a size back where it was: the change attribute still shows it.
    EXPECT_FALSE(stamp == change_stamp_of(attributes(10, 100, 200, 8)));
    // The times a directory's change_info4 does not carry do not matter.
    EXPECT_EQ(stamp, change_stamp_of_change(7));
    EXPECT_EQ(change_stamp_of_change(7), stamp);
    EXPECT_FALSE(stamp == change_stamp_of_change(8));
}

TEST(ChangeStampTest, StampsWithAndWithoutAChangeAttributeNeverMatch) {
    const ChangeStamp with = change_stamp_of(attributes(10, 100, 200, 0));
    const ChangeStamp without = change_stamp_of(attributes(10, 100, 200));
    EXPECT_FALSE(with == without);
    EXPECT_FALSE(without == with);
}

}  // namespace
}  // namespace nfsfuse::nfs
