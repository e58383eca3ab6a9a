// A server whose READDIR replies get nowhere ends the listing with EIO instead of a loop for ever
// (found while writing the fuzz targets: both clients' loops trusted the server to finish).
#include "nfs/listing_progress.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

int errno_of(ListingProgress& progress, size_t entries, uint64_t cookie, bool eof, size_t total) {
    try {
        progress.reply(entries, cookie, eof, total);
    } catch (const Error& error) {
        return error.errnum();
    }
    return 0;
}

TEST(ListingProgressTest, RepliesThatMoveOnAndAnEndAreFine) {
    ListingProgress progress;
    EXPECT_EQ(errno_of(progress, 100, 100, false, 100), 0);
    EXPECT_EQ(errno_of(progress, 100, 200, false, 200), 0);
    EXPECT_EQ(errno_of(progress, 0, 200, true, 200), 0) << "an empty last reply ends it";
}

TEST(ListingProgressTest, AnEmptyReplyThatDoesNotEndTheListingIsAnError) {
    ListingProgress progress;
    EXPECT_EQ(errno_of(progress, 0, 0, false, 0), EIO);
}

TEST(ListingProgressTest, TheSameLastCookieTwiceIsAnError) {
    ListingProgress progress;
    EXPECT_EQ(errno_of(progress, 5, 42, false, 5), 0);
    EXPECT_EQ(errno_of(progress, 5, 42, false, 10), EIO);
}

TEST(ListingProgressTest, EndlessEntriesAreCutOff) {
    ListingProgress progress;
    EXPECT_EQ(errno_of(progress, 10, 1, false, ListingProgress::kMaxEntries + 1), EIO);
}

}  // namespace
}  // namespace nfsfuse::nfs
