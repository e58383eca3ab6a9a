// Cache policy: the attribute and entry timeouts handed to the kernel, and the close-to-open
// decision whether the kernel may keep a file's cached pages at open.
#include <gtest/gtest.h>

#include "cache/cache_timeouts.h"
#include "cache/stamp_chain.h"
#include "options/mount_options.h"
#include "util/error.h"

namespace nfsfuse::cache {
namespace {

using options::AttributeCacheTimes;
using options::CacheMode;

constexpr AttributeCacheTimes kDefaults{};  // 3/60/30/60, the kernel client's

nfs::Attributes changed_at(time_t seconds, nfs::FileType type = nfs::FileType::regular) {
    nfs::Attributes attributes;
    attributes.type = type;
    attributes.mtime = {seconds, 0};
    return attributes;
}

timespec at(time_t seconds) {
    return {seconds, 0};
}

TEST(CacheTimeouts, AFileChangedJustNowGetsTheMinimum) {
    const CacheTimeouts t = cache_timeouts(kDefaults, CacheMode::full, changed_at(1000), at(1000));
    EXPECT_DOUBLE_EQ(t.attributes_s, 3);
    EXPECT_DOUBLE_EQ(t.entry_s, 30);  // names follow their directory's shortest time
}

TEST(CacheTimeouts, ATenthOfTheAgeBetweenTheBounds) {
    EXPECT_DOUBLE_EQ(
        cache_timeouts(kDefaults, CacheMode::full, changed_at(1000), at(1200)).attributes_s, 20);
    EXPECT_DOUBLE_EQ(
        cache_timeouts(kDefaults, CacheMode::meta, changed_at(0), at(100000)).attributes_s, 60);
}

TEST(CacheTimeouts, DirectoriesUseTheirOwnBounds) {
    const auto directory = changed_at(1000, nfs::FileType::directory);
    EXPECT_DOUBLE_EQ(cache_timeouts(kDefaults, CacheMode::full, directory, at(1000)).attributes_s,
                     30);
    EXPECT_DOUBLE_EQ(cache_timeouts(kDefaults, CacheMode::full, directory, at(9000)).attributes_s,
                     60);
}

TEST(CacheTimeouts, AServerClockAheadOfOursCountsAsJustChanged) {
    EXPECT_DOUBLE_EQ(
        cache_timeouts(kDefaults, CacheMode::full, changed_at(5000), at(1000)).attributes_s, 3);
}

TEST(CacheTimeouts, CacheNoneAndNoacTrustNothing) {
    const CacheTimeouts none = cache_timeouts(kDefaults, CacheMode::none, changed_at(0), at(9999));
    EXPECT_DOUBLE_EQ(none.attributes_s, 0);
    EXPECT_DOUBLE_EQ(none.entry_s, 0);
    const CacheTimeouts noac =
        cache_timeouts(AttributeCacheTimes{0, 0, 0, 0}, CacheMode::full, changed_at(0), at(9999));
    EXPECT_DOUBLE_EQ(noac.attributes_s, 0);
    EXPECT_DOUBLE_EQ(noac.entry_s, 0);
}

TEST(CacheTimeouts, NegativeEntriesLastTheDirectoryMinimum) {
    EXPECT_DOUBLE_EQ(negative_entry_timeout_s(kDefaults, CacheMode::full), 30);
    EXPECT_DOUBLE_EQ(negative_entry_timeout_s(kDefaults, CacheMode::meta), 30);
    EXPECT_DOUBLE_EQ(negative_entry_timeout_s(kDefaults, CacheMode::none), 0);
    EXPECT_DOUBLE_EQ(negative_entry_timeout_s({3, 60, 0, 60}, CacheMode::full), 0);
}

TEST(AttributeCacheOptions, AMinimumAboveItsMaximumIsRefused) {
    for (const char* list : {"acregmin=61", "acregmin=5,acregmax=4", "acdirmax=10"}) {
        try {
            options::parse_mount_options({list});
            ADD_FAILURE() << list << " was accepted";
        } catch (const Error& error) {
            EXPECT_EQ(error.errnum(), EINVAL);
            EXPECT_NE(std::string(error.what()).find("is larger than"), std::string::npos)
                << error.what();
        }
    }
}

nfs::ChangeStamp stamp(uint64_t size, time_t mtime, time_t ctime,
                       std::optional<uint64_t> change = std::nullopt) {
    return {size, {mtime, 0}, {ctime, 0}, change};
}

TEST(StampChain, FirstOpenKnowsNothingSoDropsTheCache) {
    StampChain stamps;
    EXPECT_FALSE(stamps.still(stamp(10, 1, 1)));
}

TEST(StampChain, UnchangedFileKeepsItsPagesAtTheNextOpen) {
    StampChain stamps;
    stamps.still(stamp(10, 1, 1));
    EXPECT_TRUE(stamps.still(stamp(10, 1, 1)));
    EXPECT_TRUE(stamps.still(stamp(10, 1, 1)));
}

TEST(StampChain, AnyChangeOfSizeMtimeOrCtimeDropsThem) {
    StampChain stamps;
    stamps.still(stamp(10, 1, 1));
    EXPECT_FALSE(stamps.still(stamp(11, 1, 1)));
    EXPECT_FALSE(stamps.still(stamp(11, 2, 1)));
    EXPECT_FALSE(stamps.still(stamp(11, 2, 2)));
    nfs::ChangeStamp nanoseconds = stamp(11, 2, 2);
    nanoseconds.mtime.tv_nsec = 1;
    EXPECT_FALSE(stamps.still(nanoseconds));
    EXPECT_TRUE(stamps.still(nanoseconds));  // and the new stamp holds from then on
}

TEST(StampChain, OurOwnWriteMovesTheStampAlong) {
    StampChain stamps;
    stamps.still(stamp(10, 1, 1));
    stamps.after_own_write(stamp(10, 1, 1), stamp(20, 2, 2));
    stamps.after_own_write(stamp(20, 2, 2), stamp(30, 3, 3));
    EXPECT_TRUE(stamps.still(stamp(30, 3, 3)));
}

TEST(StampChain, AWriteThatFoundSomeoneElsesChangeDropsThePages) {
    StampChain stamps;
    stamps.still(stamp(10, 1, 1));
    // The server had (15, 5, 5) before our write: another client wrote in between.
    stamps.after_own_write(stamp(15, 5, 5), stamp(20, 6, 6));
    EXPECT_FALSE(stamps.still(stamp(20, 6, 6)));
}

TEST(StampChain, AWriteWithoutWccDataDropsThePages) {
    StampChain stamps;
    stamps.still(stamp(10, 1, 1));
    stamps.after_own_write(std::nullopt, stamp(20, 2, 2));
    EXPECT_FALSE(stamps.still(stamp(20, 2, 2)));
    stamps.after_own_write(stamp(20, 2, 2), std::nullopt);
    EXPECT_FALSE(stamps.still(stamp(20, 2, 2)));
}

// NFSv4: the change attribute decides, even when a change left size and times as they were.
TEST(StampChain, WithTheChangeAttributeOnlyItDecides) {
    StampChain stamps;
    stamps.still(stamp(10, 1, 1, 100));
    EXPECT_FALSE(stamps.still(stamp(10, 1, 1, 101)));
    stamps.after_own_write(stamp(10, 1, 1, 101), stamp(10, 1, 1, 102));
    EXPECT_TRUE(stamps.still(stamp(10, 1, 1, 102)));
    stamps.after_own_write(stamp(10, 1, 1, 103), stamp(10, 1, 1, 104));  // 102 to 103: not us
    EXPECT_FALSE(stamps.still(stamp(10, 1, 1, 104)));
}

TEST(StampChain, ForgetDropsThePagesAtTheNextOpen) {
    StampChain stamps;
    stamps.still(stamp(10, 1, 1));
    stamps.forget();
    EXPECT_FALSE(stamps.still(stamp(10, 1, 1)));
    StampChain never_opened;
    never_opened.after_own_write(stamp(1, 1, 1), stamp(2, 2, 2));  // no stamp made
    EXPECT_FALSE(never_opened.still(stamp(2, 2, 2)));
}

}  // namespace
}  // namespace nfsfuse::cache
