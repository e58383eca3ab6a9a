// ByteRanges: the merged byte ranges an owner holds, with "to the end" ranges (length 0), merges
// of touching ranges, and removals that split.
#include <gtest/gtest.h>

#include <limits>
#include <map>

#include "nfs/byte_ranges.h"

namespace nfsfuse::nfs {
namespace {

constexpr uint64_t kEnd = std::numeric_limits<uint64_t>::max();
using Ranges = std::map<uint64_t, uint64_t>;

TEST(ByteRangesTest, LengthZeroRunsToTheEnd) {
    EXPECT_EQ(end_of({10, 0}), kEnd);
    EXPECT_EQ(end_of({10, 5}), 15u);
    EXPECT_EQ(end_of({10, kEnd}), kEnd) << "an overflowing length runs to the end";
}

TEST(ByteRangesTest, TouchingAndOverlappingRangesMerge) {
    ByteRanges ranges;
    ranges.add({0, 10});
    ranges.add({10, 5});   // touches
    ranges.add({30, 10});  // apart
    ranges.add({12, 20});  // bridges [0,15) and [30,40)
    EXPECT_EQ(ranges.ends_by_start(), (Ranges{{0, 40}}));
    ranges.add({100, 0});
    EXPECT_EQ(ranges.ends_by_start(), (Ranges{{0, 40}, {100, kEnd}}));
}

TEST(ByteRangesTest, RemovingTheMiddleSplits) {
    ByteRanges ranges;
    ranges.add({0, 100});
    ranges.remove({40, 10});
    EXPECT_EQ(ranges.ends_by_start(), (Ranges{{0, 40}, {50, 100}}));
    EXPECT_TRUE(ranges.intersects({45, 10}));
    EXPECT_FALSE(ranges.intersects({40, 10}));
    EXPECT_TRUE(ranges.intersects({39, 1}));
    EXPECT_FALSE(ranges.intersects({100, 0}));
}

TEST(ByteRangesTest, RemovingToTheEndFromZeroEmptiesEverything) {
    ByteRanges ranges;
    ranges.add({5, 10});
    ranges.add({1000, 0});
    ranges.remove({0, 0});
    EXPECT_TRUE(ranges.empty());
}

TEST(ByteRangesTest, RemovingFromARangeToTheEndKeepsItsHead) {
    ByteRanges ranges;
    ranges.add({10, 0});
    ranges.remove({20, 0});
    EXPECT_EQ(ranges.ends_by_start(), (Ranges{{10, 20}}));
    ranges.remove({0, 15});
    EXPECT_EQ(ranges.ends_by_start(), (Ranges{{15, 20}}));
}

TEST(ByteRangesTest, RemovingWhatIsNotThereChangesNothing) {
    ByteRanges ranges;
    ranges.add({10, 10});
    ranges.remove({0, 10});
    ranges.remove({20, 5});
    EXPECT_EQ(ranges.ends_by_start(), (Ranges{{10, 20}}));
}

}  // namespace
}  // namespace nfsfuse::nfs
