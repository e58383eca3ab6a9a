// rename(2) and renameat2(2) through the mount. NFS has no atomic exchange, so RENAME_EXCHANGE is
// refused with EINVAL; RENAME_NOREPLACE is honoured.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/directory_listing.h"
#include "harness/errno_case.h"
#include "harness/file_data.h"
#include "harness/mounted_test.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

// gtest finds the printer of our parameter structs (errno_case.h) through this.
using ::nfsfuse::it::operator<<;

class RenameTest : public MountedTest {};

TEST_F(RenameTest, PlainRenameMovesTheFile) {
    write_file(mnt("old"), "payload");
    const ino_t inode = lstat_or_throw(mnt("old")).st_ino;
    ASSERT_TRUE(succeeds(SYSCALL(::rename(mnt("old").c_str(), mnt("new").c_str()))));

    struct stat st {};
    EXPECT_TRUE(fails_with(SYSCALL(::stat(mnt("old").c_str(), &st)), ENOENT));
    ASSERT_TRUE(succeeds(SYSCALL(::stat(mnt("new").c_str(), &st))));
    EXPECT_EQ(st.st_ino, inode) << "rename must keep the inode";
    EXPECT_EQ(read_file(mnt("new")), "payload");
    EXPECT_EQ(without_dots(list_directory(srv())), (std::multiset<std::string>{"new"}))
        << "on the server";
}

TEST_F(RenameTest, RenameOverAnExistingFileReplacesIt) {
    write_file(mnt("source"), "the new content");
    write_file(mnt("target"), "the old content, to be replaced");
    ASSERT_TRUE(succeeds(SYSCALL(::rename(mnt("source").c_str(), mnt("target").c_str()))));
    EXPECT_EQ(read_file(mnt("target")), "the new content");
    EXPECT_EQ(read_file(srv("target")), "the new content") << "on the server";
    EXPECT_FALSE(std::filesystem::exists(mnt("source")));
}

TEST_F(RenameTest, RenameIntoAnotherDirectory) {
    ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt("from").c_str(), 0755))));
    ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt("to").c_str(), 0755))));
    write_file(mnt("from/file"), "moving");
    ASSERT_TRUE(succeeds(SYSCALL(::rename(mnt("from/file").c_str(), mnt("to/renamed").c_str()))));
    EXPECT_TRUE(without_dots(list_directory(mnt("from"))).empty());
    EXPECT_EQ(read_file(mnt("to/renamed")), "moving");
    EXPECT_EQ(read_file(srv("to/renamed")), "moving") << "on the server";
}

TEST_F(RenameTest, RenameADirectoryWithItsContents) {
    ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt("tree").c_str(), 0755))));
    ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt("tree/sub").c_str(), 0755))));
    write_file(mnt("tree/sub/leaf"), "leaf");
    ASSERT_TRUE(succeeds(SYSCALL(::rename(mnt("tree").c_str(), mnt("moved tree").c_str()))));

    struct stat st {};
    EXPECT_TRUE(fails_with(SYSCALL(::stat(mnt("tree").c_str(), &st)), ENOENT));
    EXPECT_EQ(read_file(mnt("moved tree/sub/leaf")), "leaf");
    EXPECT_EQ(read_file(srv("moved tree/sub/leaf")), "leaf") << "on the server";
    // Lookups through the renamed directory still work after the kernel forgot the old path.
    write_file(mnt("moved tree/sub/new"), "created after the rename");
    EXPECT_EQ(read_file(srv("moved tree/sub/new")), "created after the rename");
}

TEST_F(RenameTest, RenameOntoItselfIsANoOp) {
    write_file(mnt("same"), "unchanged");
    ASSERT_TRUE(succeeds(SYSCALL(::rename(mnt("same").c_str(), mnt("same").c_str()))));
    EXPECT_EQ(read_file(mnt("same")), "unchanged");
}

// --- renameat2 flags ---------------------------------------------------------------------------

struct Renameat2Case {
    std::string name;
    unsigned flags;
    bool target_exists;
    int expected_errno;  // 0: the rename must happen
};

class Renameat2Test : public MountedTest, public ::testing::WithParamInterface<Renameat2Case> {};

TEST_P(Renameat2Test, HonoursTheFlag) {
    const auto& param = GetParam();
    write_file(mnt("a"), "content of a");
    if (param.target_exists) write_file(mnt("b"), "content of b");

    const SysCall call =
        SYSCALL(::renameat2(AT_FDCWD, mnt("a").c_str(), AT_FDCWD, mnt("b").c_str(), param.flags));
    if (param.expected_errno == 0) {
        ASSERT_TRUE(succeeds(call));
        EXPECT_EQ(read_file(mnt("b")), "content of a");
        EXPECT_FALSE(std::filesystem::exists(mnt("a")));
        EXPECT_EQ(read_file(srv("b")), "content of a") << "on the server";
        return;
    }
    EXPECT_TRUE(fails_with(call, param.expected_errno));
    // A refused rename changes nothing.
    EXPECT_EQ(read_file(mnt("a")), "content of a");
    EXPECT_EQ(read_file(srv("a")), "content of a") << "on the server";
    if (param.target_exists) {
        EXPECT_EQ(read_file(mnt("b")), "content of b");
        EXPECT_EQ(read_file(srv("b")), "content of b") << "on the server";
    }
}

INSTANTIATE_TEST_SUITE_P(
    Flags, Renameat2Test,
    ::testing::Values(
        Renameat2Case{"noreplace_onto_existing", RENAME_NOREPLACE, true, EEXIST},
        Renameat2Case{"noreplace_onto_free_name", RENAME_NOREPLACE, false, 0},
        // Atomic exchange does not exist in NFS; the filesystem says so instead of faking it.
        Renameat2Case{"exchange_is_refused", RENAME_EXCHANGE, true, EINVAL},
        Renameat2Case{"no_flags_onto_existing", 0, true, 0}),
    ParamName());

}  // namespace
}  // namespace nfsfuse::it
