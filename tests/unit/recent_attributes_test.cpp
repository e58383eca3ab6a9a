// RecentAttributes: an answer from the server is reused only for a moment (max_age), and never
// after it was forgotten; max_age 0 turns it off.
#include "cache/recent_attributes.h"

#include <gtest/gtest.h>

namespace nfsfuse::cache {
namespace {

using namespace std::chrono_literals;

nfs::Attributes with_size(uint64_t size) {
    nfs::Attributes attributes;
    attributes.size = size;
    return attributes;
}

TEST(RecentAttributesTest, AnAnswerIsReusedOnlyForTheMaximumAge) {
    RecentAttributes recent(1s, 100);
    const RecentAttributes::Clock::time_point now{};
    const nfs::FileHandle fh{"f"};
    EXPECT_FALSE(recent.get(fh, now));
    recent.remember(fh, with_size(7), now);
    ASSERT_TRUE(recent.get(fh, now + 999ms));
    EXPECT_EQ(recent.get(fh, now + 999ms)->size, 7u);
    EXPECT_FALSE(recent.get(fh, now + 1s));
}

TEST(RecentAttributesTest, ForgottenEntriesAreGone) {
    RecentAttributes recent(1s, 100);
    const RecentAttributes::Clock::time_point now{};
    recent.remember(nfs::FileHandle{"a"}, with_size(1), now);
    recent.remember(nfs::FileHandle{"b"}, with_size(2), now);
    recent.forget(nfs::FileHandle{"a"});
    EXPECT_FALSE(recent.get(nfs::FileHandle{"a"}, now));
    EXPECT_TRUE(recent.get(nfs::FileHandle{"b"}, now));
    recent.forget_all();
    EXPECT_FALSE(recent.get(nfs::FileHandle{"b"}, now));
}

TEST(RecentAttributesTest, ZeroAgeRemembersNothingAndCapacityBoundsTheTable) {
    RecentAttributes off(0s, 100);
    off.remember(nfs::FileHandle{"a"}, with_size(1), {});
    EXPECT_FALSE(off.get(nfs::FileHandle{"a"}, {}));

    RecentAttributes small(1s, 2);
    small.remember(nfs::FileHandle{"a"}, with_size(1), {});
    small.remember(nfs::FileHandle{"b"}, with_size(2), {});
    small.remember(nfs::FileHandle{"c"}, with_size(3), {});  // full: starts over
    EXPECT_FALSE(small.get(nfs::FileHandle{"a"}, {}));
    EXPECT_TRUE(small.get(nfs::FileHandle{"c"}, {}));
}

}  // namespace
}  // namespace nfsfuse::cache
