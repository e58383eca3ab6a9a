// Directories through the mount: mkdir/rmdir and their errors, listings that hold exactly the
// names created (spaces, UTF-8, long names), and a deep tree.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/directory_listing.h"
#include "harness/errno_case.h"
#include "harness/file_data.h"
#include "harness/mounted_test.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

class DirectoriesTest : public MountedTest {};

TEST_F(DirectoriesTest, MkdirAndRmdir) {
    ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt("made").c_str(), 0750))));
    struct stat st {};
    ASSERT_TRUE(succeeds(SYSCALL(::stat(mnt("made").c_str(), &st))));
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    EXPECT_TRUE(std::filesystem::is_directory(srv("made"))) << "not on the server's disk";

    ASSERT_TRUE(succeeds(SYSCALL(::rmdir(mnt("made").c_str()))));
    EXPECT_TRUE(fails_with(SYSCALL(::stat(mnt("made").c_str(), &st)), ENOENT));
    EXPECT_FALSE(std::filesystem::exists(srv("made"))) << "still on the server's disk";
}

TEST_F(DirectoriesTest, LinkCountAndTimesOfTheParentAreFreshRightAfterAChange) {
    std::filesystem::create_directory(mnt("parent"));
    struct stat before {};
    ASSERT_EQ(::stat(mnt("parent").c_str(), &before), 0);
    std::filesystem::create_directory(mnt("parent/child"));
    struct stat after {};
    ASSERT_EQ(::stat(mnt("parent").c_str(), &after), 0);
    // find(1) skips the subdirectory search of a directory whose link count says it has none.
    EXPECT_EQ(after.st_nlink, before.st_nlink + 1);
    struct stat on_disk {};
    ASSERT_EQ(::stat(srv("parent").c_str(), &on_disk), 0);
    EXPECT_EQ(after.st_mtim.tv_sec, on_disk.st_mtim.tv_sec);
    EXPECT_EQ(after.st_mtim.tv_nsec, on_disk.st_mtim.tv_nsec);
}

TEST_F(DirectoriesTest, NewDirectoryListsOnlyDotAndDotDot) {
    ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt("empty").c_str(), 0755))));
    EXPECT_EQ(list_directory(mnt("empty")), (std::multiset<std::string>{".", ".."}));
}

TEST_F(DirectoriesTest, ReaddirListsExactlyTheCreatedNames) {
    const std::multiset<std::string> files{"plain.txt",         "with space.txt",
                                           "häßlich 文件.txt",  "  leading spaces",
                                           "trailing space ",   ".hidden",
                                           "emoji-😀.bin",       "semi;colon&amp",
                                           "quote'and\"double", std::string(255, 'n')};
    for (const auto& name : files) write_file(mnt(name), name);
    ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt("sub dir ü").c_str(), 0755))));
    auto expected = files;
    expected.insert("sub dir ü");

    EXPECT_EQ(without_dots(list_directory(mnt())), expected) << "through the mount";
    EXPECT_EQ(without_dots(list_directory(srv())), expected) << "on the server's disk";
    for (const auto& name : files) EXPECT_EQ(read_file(mnt(name)), name) << name;
}

TEST_F(DirectoriesTest, ListingReflectsRemovals) {
    for (int i = 0; i < 20; ++i) write_file(mnt("f" + std::to_string(i)), "x");
    std::multiset<std::string> expected;
    for (int i = 0; i < 20; ++i) {
        if (i % 3 == 0)
            ASSERT_TRUE(succeeds(SYSCALL(::unlink(mnt("f" + std::to_string(i)).c_str()))));
        else
            expected.insert("f" + std::to_string(i));
    }
    EXPECT_EQ(without_dots(list_directory(mnt())), expected);
}

TEST_F(DirectoriesTest, DeepTreeOfFiftyLevels) {
    constexpr int kDepth = 50;
    std::filesystem::path relative;
    for (int level = 0; level < kDepth; ++level) {
        relative /= "level-" + std::to_string(level);
        ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt(relative).c_str(), 0755)))) << relative;
    }
    write_file(mnt(relative / "bottom.txt"), "deep");

    EXPECT_EQ(read_file(mnt(relative / "bottom.txt")), "deep");
    EXPECT_EQ(read_file(srv(relative / "bottom.txt")), "deep") << "on the server's disk";
    // Walk down again one level at a time, as `find` would.
    std::filesystem::path walked;
    for (int level = 0; level < kDepth; ++level) {
        EXPECT_EQ(without_dots(list_directory(mnt(walked))).count("level-" + std::to_string(level)),
                  1u)
            << walked;
        walked /= "level-" + std::to_string(level);
    }

    ASSERT_TRUE(succeeds(SYSCALL(::unlink(mnt(relative / "bottom.txt").c_str()))));
    for (int level = kDepth; level > 0; --level) {
        ASSERT_TRUE(succeeds(SYSCALL(::rmdir(mnt(relative).c_str())))) << relative;
        relative = relative.parent_path();
    }
    EXPECT_TRUE(without_dots(list_directory(srv())).empty()) << "left on the server's disk";
}

// Every case runs in a directory holding a file "file", an empty directory "empty" and a
// directory "full" with one file in it.
class DirectoryErrorsTest : public MountedTest, public ::testing::WithParamInterface<ErrnoCase> {
  protected:
    void SetUp() override {
        MountedTest::SetUp();
        write_file(mnt("file"), "x");
        ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt("empty").c_str(), 0755))));
        ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt("full").c_str(), 0755))));
        write_file(mnt("full/inside"), "y");
    }
};

TEST_P(DirectoryErrorsTest, FailsWithTheRightErrno) {
    EXPECT_TRUE(fails_with(GetParam().call(mnt()), GetParam().expected_errno));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, DirectoryErrorsTest,
    ::testing::Values(
        ErrnoCase{"rmdir_non_empty",
                  [](const auto& dir) { return SYSCALL(::rmdir((dir / "full").c_str())); },
                  ENOTEMPTY},
        ErrnoCase{"mkdir_existing_directory",
                  [](const auto& dir) { return SYSCALL(::mkdir((dir / "empty").c_str(), 0755)); },
                  EEXIST},
        ErrnoCase{"mkdir_over_file",
                  [](const auto& dir) { return SYSCALL(::mkdir((dir / "file").c_str(), 0755)); },
                  EEXIST},
        ErrnoCase{"rmdir_missing",
                  [](const auto& dir) { return SYSCALL(::rmdir((dir / "missing").c_str())); },
                  ENOENT},
        ErrnoCase{"rmdir_file",
                  [](const auto& dir) { return SYSCALL(::rmdir((dir / "file").c_str())); },
                  ENOTDIR},
        ErrnoCase{"mkdir_in_missing_parent",
                  [](const auto& dir) {
                      return SYSCALL(::mkdir((dir / "missing" / "child").c_str(), 0755));
                  },
                  ENOENT}),
    ParamName());

}  // namespace
}  // namespace nfsfuse::it
