// Regular files through the mount: create, write, read, append, overwrite, truncate, unlink, and
// the errno of each way these can fail. What landed is checked on the server's disk too.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tuple>

#include "harness/errno_case.h"
#include "harness/file_data.h"
#include "harness/mounted_test.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

// gtest finds the printer of our parameter structs (errno_case.h) through this.
using ::nfsfuse::it::operator<<;

class FilesTest : public MountedTest {};

TEST_F(FilesTest, CreateWriteAndReadBack) {
    const std::string content = "hello through nfsfuse\n";
    write_file(mnt("hello.txt"), content);

    EXPECT_EQ(read_file(mnt("hello.txt")), content);
    EXPECT_EQ(read_file(srv("hello.txt")), content) << "on the server's disk";
    struct stat st {};
    ASSERT_TRUE(succeeds(SYSCALL(::stat(mnt("hello.txt").c_str(), &st))));
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_size, static_cast<off_t>(content.size()));
}

TEST_F(FilesTest, CreatedFileGetsTheRequestedMode) {
    const int fd = ::open(mnt("mode.txt").c_str(), O_CREAT | O_WRONLY | O_EXCL, 0640);
    ASSERT_GE(fd, 0) << errno_text(errno);
    ::close(fd);
    struct stat st {};
    ASSERT_TRUE(succeeds(SYSCALL(::stat(mnt("mode.txt").c_str(), &st))));
    EXPECT_EQ(st.st_mode & 07777, 0640u);  // main() sets umask 022, which keeps 0640
}

TEST_F(FilesTest, AppendAddsToTheEnd) {
    write_file(mnt("log.txt"), "first\n");
    for (const std::string line : {"second\n", "third\n"}) {
        UniqueFd fd = open_or_throw(mnt("log.txt"), O_WRONLY | O_APPEND);
        ASSERT_TRUE(succeeds(SYSCALL(::write(fd.get(), line.data(), line.size()))));
        ASSERT_TRUE(succeeds(SYSCALL(fd.close())));
    }
    EXPECT_EQ(read_file(mnt("log.txt")), "first\nsecond\nthird\n");
    EXPECT_EQ(read_file(srv("log.txt")), "first\nsecond\nthird\n") << "on the server's disk";
}

TEST_F(FilesTest, OverwriteInTheMiddleKeepsTheRest) {
    std::string expected = pattern(3 * 4096 + 100, 1);
    write_file(mnt("data.bin"), expected);
    {
        UniqueFd fd = open_or_throw(mnt("data.bin"), O_WRONLY);
        pwrite_all(fd.get(), "OVERWRITTEN", 4090);  // across a 4 KiB page boundary
        ASSERT_TRUE(succeeds(SYSCALL(fd.close())));
    }
    expected.replace(4090, 11, "OVERWRITTEN");
    EXPECT_EQ(read_file(mnt("data.bin")), expected);
    EXPECT_EQ(read_file(srv("data.bin")), expected) << "on the server's disk";
}

TEST_F(FilesTest, OpenWithTruncReplacesTheContent) {
    write_file(mnt("replace.txt"), "a rather long first version\n");
    write_file(mnt("replace.txt"), "short\n");
    EXPECT_EQ(read_file(mnt("replace.txt")), "short\n");
    EXPECT_EQ(read_file(srv("replace.txt")), "short\n") << "on the server's disk";
}

TEST_F(FilesTest, UnlinkRemovesTheFile) {
    write_file(mnt("doomed.txt"), "bye");
    ASSERT_TRUE(succeeds(SYSCALL(::unlink(mnt("doomed.txt").c_str()))));
    struct stat st {};
    EXPECT_TRUE(fails_with(SYSCALL(::stat(mnt("doomed.txt").c_str(), &st)), ENOENT));
    EXPECT_FALSE(std::filesystem::exists(srv("doomed.txt"))) << "still on the server's disk";
}

// --- truncate and ftruncate, shrinking and growing -------------------------------------------

struct TruncateCase {
    std::string name;
    size_t initial_size;
    size_t new_size;
};

class TruncateTest : public MountedTest,
                     public ::testing::WithParamInterface<std::tuple<TruncateCase, bool>> {};

TEST_P(TruncateTest, ResizesAndKeepsThePrefix) {
    const auto& [resize, use_ftruncate] = GetParam();
    const std::string original = pattern(resize.initial_size, 7);
    write_file(mnt("file"), original);

    const auto new_size = static_cast<off_t>(resize.new_size);
    if (use_ftruncate) {
        UniqueFd fd = open_or_throw(mnt("file"), O_RDWR);
        ASSERT_TRUE(succeeds(SYSCALL(::ftruncate(fd.get(), new_size))));
        struct stat st {};
        ASSERT_TRUE(succeeds(SYSCALL(::fstat(fd.get(), &st))));
        EXPECT_EQ(st.st_size, new_size) << "fstat on the same descriptor";
        ASSERT_TRUE(succeeds(SYSCALL(fd.close())));
    } else {
        ASSERT_TRUE(succeeds(SYSCALL(::truncate(mnt("file").c_str(), new_size))));
    }

    // Shrinking keeps the prefix; growing adds zeros.
    std::string expected = original.substr(0, std::min(resize.initial_size, resize.new_size));
    expected.resize(resize.new_size, '\0');
    struct stat st {};
    ASSERT_TRUE(succeeds(SYSCALL(::stat(mnt("file").c_str(), &st))));
    EXPECT_EQ(st.st_size, new_size);
    EXPECT_TRUE(read_file(mnt("file")) == expected) << "content through the mount differs";
    EXPECT_TRUE(read_file(srv("file")) == expected) << "content on the server's disk differs";
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, TruncateTest,
    ::testing::Combine(::testing::Values(TruncateCase{"shrink_to_zero", 10000, 0},
                                         TruncateCase{"shrink_mid_page", 100000, 4097},
                                         TruncateCase{"grow_small", 1000, 70000},
                                         TruncateCase{"grow_from_empty", 0, 3 * kMiB + 5},
                                         TruncateCase{"same_size", 5000, 5000}),
                       ::testing::Bool()),
    // gtest's macro names its own parameter "info": ours must not shadow it.
    [](const ::testing::TestParamInfo<std::tuple<TruncateCase, bool>>& param_info) {
        return std::get<0>(param_info.param).name +
               (std::get<1>(param_info.param) ? "_ftruncate" : "_truncate");
    });

// --- errors ----------------------------------------------------------------------------------

// Every case runs in a directory holding a file "existing" and a directory "dir".
class FileErrorsTest : public MountedTest, public ::testing::WithParamInterface<ErrnoCase> {
  protected:
    void SetUp() override {
        MountedTest::SetUp();
        write_file(mnt("existing"), "x");
        ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt("dir").c_str(), 0755))));
    }
};

TEST_P(FileErrorsTest, FailsWithTheRightErrno) {
    EXPECT_TRUE(fails_with(GetParam().call(mnt()), GetParam().expected_errno));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, FileErrorsTest,
    ::testing::Values(
        ErrnoCase{"open_exclusive_on_existing",
                  [](const auto& dir) {
                      return open_and_close(dir / "existing", O_CREAT | O_EXCL | O_WRONLY);
                  },
                  EEXIST},
        ErrnoCase{"open_missing",
                  [](const auto& dir) { return open_and_close(dir / "missing", O_RDONLY); },
                  ENOENT},
        ErrnoCase{"open_create_in_missing_directory",
                  [](const auto& dir) {
                      return open_and_close(dir / "no-such-dir" / "f", O_CREAT | O_WRONLY);
                  },
                  ENOENT},
        ErrnoCase{"open_below_a_file",
                  [](const auto& dir) {
                      return open_and_close(dir / "existing" / "f", O_CREAT | O_WRONLY);
                  },
                  ENOTDIR},
        ErrnoCase{"open_directory_for_writing",
                  [](const auto& dir) { return open_and_close(dir / "dir", O_WRONLY); }, EISDIR},
        ErrnoCase{"unlink_missing",
                  [](const auto& dir) { return SYSCALL(::unlink((dir / "missing").c_str())); },
                  ENOENT},
        ErrnoCase{"unlink_directory",
                  [](const auto& dir) { return SYSCALL(::unlink((dir / "dir").c_str())); }, EISDIR},
        ErrnoCase{"truncate_missing",
                  [](const auto& dir) { return SYSCALL(::truncate((dir / "missing").c_str(), 0)); },
                  ENOENT}),
    ParamName());

}  // namespace
}  // namespace nfsfuse::it
