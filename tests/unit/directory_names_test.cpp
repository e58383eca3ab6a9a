// DirectoryNames: a directory we created is known to hold exactly the names we added; a change
// whose "before" stamp is not the one we hold (another client changed the directory), a missing
// stamp, a failure or old knowledge make it ask the server again.
#include "cache/directory_names.h"

#include <gtest/gtest.h>

namespace nfsfuse::cache {
namespace {

using namespace std::chrono_literals;
using nfs::ChangeStamp;
using nfs::DirectoryChange;
using nfs::FileHandle;

ChangeStamp stamp(uint64_t version) {
    return ChangeStamp{version, {}, {}, std::nullopt};
}

DirectoryChange change(uint64_t before, uint64_t after) {
    return DirectoryChange{stamp(before), stamp(after)};
}

class DirectoryNamesTest : public ::testing::Test {
  protected:
    bool absent(const std::string& name) { return names_.certainly_absent(dir_, name, now_, 30s); }

    DirectoryNames names_{/*max_directories=*/2, /*max_names=*/3};
    FileHandle dir_{"dir"};
    DirectoryNames::Clock::time_point now_{};
};

TEST_F(DirectoryNamesTest, ADirectoryWeCreatedHoldsExactlyTheNamesWeAdded) {
    EXPECT_FALSE(absent("a")) << "an unknown directory must be asked";
    names_.created_empty(dir_, stamp(1), now_);
    EXPECT_TRUE(absent("a"));
    names_.added(dir_, "a", change(1, 2), now_);
    EXPECT_FALSE(absent("a"));
    EXPECT_TRUE(absent("b"));
    names_.removed(dir_, "a", change(2, 3), now_);
    EXPECT_TRUE(absent("a"));
}

TEST_F(DirectoryNamesTest, AChangeBySomeoneElseInBetweenForgetsTheDirectory) {
    names_.created_empty(dir_, stamp(1), now_);
    names_.added(dir_, "a", change(5, 6), now_);  // the directory was at 5, not 1: not only ours
    EXPECT_FALSE(absent("b"));
    EXPECT_EQ(names_.known_directories(), 0u);
}

TEST_F(DirectoryNamesTest, AMissingStampOrAFailureForgetsTheDirectory) {
    names_.created_empty(dir_, stamp(1), now_);
    names_.added(dir_, "a", DirectoryChange{stamp(1), std::nullopt}, now_);
    EXPECT_FALSE(absent("b"));

    names_.created_empty(dir_, stamp(1), now_);
    names_.forget(dir_);
    EXPECT_FALSE(absent("b"));
}

TEST_F(DirectoryNamesTest, NfsV4ChangeInfoFollowsTheStampOfTheNewDirectory) {
    // MKDIR's attributes carry the change attribute and times; change_info4 the change only.
    nfs::Attributes made;
    made.mtime = {100, 5};
    made.change = 41;
    names_.created_empty(dir_, nfs::change_stamp_of(made), now_);
    names_.added(dir_, "a", {nfs::change_stamp_of_change(41), nfs::change_stamp_of_change(42)},
                 now_);
    EXPECT_FALSE(absent("a"));
    EXPECT_TRUE(absent("b"));
    names_.added(dir_, "b", {nfs::change_stamp_of_change(43), nfs::change_stamp_of_change(44)},
                 now_);  // 42 to 43 was someone else
    EXPECT_FALSE(absent("c"));
    EXPECT_EQ(names_.known_directories(), 0u);
}

TEST_F(DirectoryNamesTest, KnowledgeOlderThanTheMaximumAgeIsNotTrusted) {
    names_.created_empty(dir_, stamp(1), now_);
    EXPECT_TRUE(names_.certainly_absent(dir_, "x", now_ + 29s, 30s));
    EXPECT_FALSE(names_.certainly_absent(dir_, "x", now_ + 31s, 30s));
    names_.added(dir_, "y", change(1, 2), now_ + 31s);  // the server confirmed the stamp again
    EXPECT_TRUE(names_.certainly_absent(dir_, "x", now_ + 40s, 30s));
}

TEST_F(DirectoryNamesTest, SizeIsBoundedByDirectoriesAndNames) {
    const FileHandle second{"second"}, third{"third"};
    names_.created_empty(dir_, stamp(1), now_);
    names_.created_empty(second, stamp(1), now_ + 1s);
    names_.created_empty(third, stamp(1), now_ + 2s);  // over 2: the oldest goes
    EXPECT_EQ(names_.known_directories(), 2u);
    EXPECT_FALSE(names_.certainly_absent(dir_, "x", now_ + 3s, 30s));

    for (uint64_t i = 0; i < 4; ++i)  // over 3 names: too big to keep
        names_.added(second, "n" + std::to_string(i), change(i + 1, i + 2), now_ + 3s);
    EXPECT_FALSE(names_.certainly_absent(second, "x", now_ + 3s, 30s));
}

}  // namespace
}  // namespace nfsfuse::cache
