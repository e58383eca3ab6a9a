// Silly-rename bookkeeping: a hidden file is removed exactly at its last close.
#include "vfs/open_file_tracker.h"

#include <gtest/gtest.h>

namespace nfsfuse::vfs {
namespace {

TEST(OpenFileTrackerTest, CountsOpensPerInode) {
    OpenFileTracker tracker;
    EXPECT_FALSE(tracker.any_open());
    tracker.opened(7);
    tracker.opened(7);
    EXPECT_TRUE(tracker.is_open(7));
    EXPECT_FALSE(tracker.is_open(8));
    EXPECT_EQ(tracker.released(7), std::nullopt);
    EXPECT_TRUE(tracker.is_open(7));
    EXPECT_EQ(tracker.released(7), std::nullopt);
    EXPECT_FALSE(tracker.is_open(7));
    EXPECT_FALSE(tracker.any_open());
}

TEST(OpenFileTrackerTest, HiddenFileIsHandedBackAtLastCloseOnly) {
    OpenFileTracker tracker;
    tracker.opened(7);
    tracker.opened(7);
    EXPECT_TRUE(tracker.hide(7, PendingRemoval{nfs::FileHandle{"dir"}, ".nfsfuse1"}));
    EXPECT_EQ(tracker.released(7), std::nullopt);
    const auto removal = tracker.released(7);
    ASSERT_TRUE(removal.has_value());
    EXPECT_EQ(removal->directory, nfs::FileHandle{"dir"});
    EXPECT_EQ(removal->name, ".nfsfuse1");
    EXPECT_EQ(tracker.released(7), std::nullopt);  // an extra release is harmless
}

// The last close raced the rename: the caller is told to remove the hidden file itself.
TEST(OpenFileTrackerTest, HidingAClosedFileRecordsNothingAndSaysSo) {
    OpenFileTracker tracker;
    EXPECT_FALSE(tracker.hide(9, PendingRemoval{nfs::FileHandle{"dir"}, ".nfsfuse1"}));
    EXPECT_FALSE(tracker.is_open(9));
    tracker.opened(9);
    EXPECT_EQ(tracker.released(9), std::nullopt);
}

TEST(OpenFileTrackerTest, HiddenNamesAreUniqueAndHidden) {
    OpenFileTracker tracker;
    const std::string first = tracker.hidden_name(42);
    const std::string second = tracker.hidden_name(42);
    EXPECT_NE(first, second);
    EXPECT_EQ(first.rfind(".nfsfuse", 0), 0u);
}

}  // namespace
}  // namespace nfsfuse::vfs
