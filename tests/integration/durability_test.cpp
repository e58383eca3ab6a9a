// When written data reaches the server: after fsync (before close) and after close, byte for byte
// on the server's disk; a 1 GiB stream hashed on the way in, on the server and on the way back; and
// close-to-open consistency for changes made on the server.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <vector>

#include "harness/errno_case.h"
#include "harness/file_data.h"
#include "harness/mounted_test.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

// gtest finds the printer of our parameter structs (errno_case.h) through this.
using ::nfsfuse::it::operator<<;

class DurabilityTest : public MountedTest {};

TEST_F(DurabilityTest, FsyncPutsTheDataOnTheServerBeforeClose) {
    const std::string data = pattern(3 * kMiB + 123, 11);
    UniqueFd fd = open_or_throw(mnt("synced.bin"), O_WRONLY | O_CREAT | O_TRUNC);
    pwrite_all(fd.get(), data, 0);
    ASSERT_TRUE(succeeds(SYSCALL(::fsync(fd.get()))));
    EXPECT_TRUE(read_file(srv("synced.bin")) == data) << "not on the server's disk after fsync";
    ASSERT_TRUE(succeeds(SYSCALL(::fdatasync(fd.get())))) << "fdatasync with nothing dirty";
    ASSERT_TRUE(succeeds(SYSCALL(fd.close())));
}

TEST_F(DurabilityTest, FsyncOfADirectorySucceeds) {
    write_file(mnt("entry"), "x");
    UniqueFd dir = open_or_throw(mnt(), O_RDONLY | O_DIRECTORY);
    EXPECT_TRUE(succeeds(SYSCALL(::fsync(dir.get()))));
}

struct SizeCase {
    std::string name;
    size_t size;
};

class CloseFlushesTest : public MountedTest, public ::testing::WithParamInterface<SizeCase> {};

TEST_P(CloseFlushesTest, DataIsOnTheServerAfterClose) {
    const std::string data = pattern(GetParam().size, GetParam().size);
    {
        UniqueFd fd = open_or_throw(mnt("closed.bin"), O_WRONLY | O_CREAT | O_TRUNC);
        pwrite_all(fd.get(), data, 0);
        ASSERT_TRUE(succeeds(SYSCALL(fd.close()))) << "close reports write-back errors";
    }
    EXPECT_EQ(lstat_or_throw(srv("closed.bin")).st_size, static_cast<off_t>(data.size()));
    EXPECT_TRUE(read_file(srv("closed.bin")) == data) << "the server's copy differs";
}

INSTANTIATE_TEST_SUITE_P(Sizes, CloseFlushesTest,
                         ::testing::Values(SizeCase{"one_byte", 1}, SizeCase{"one_page", 4096},
                                           SizeCase{"one_MiB_and_a_bit", kMiB + 17},
                                           SizeCase{"eight_MiB", 8 * kMiB}),
                         ParamName());

// Close-to-open: what the server changed is what the next open sees, even if we read the old
// version before (its pages must not be served from a stale cache).
TEST_F(DurabilityTest, NextOpenSeesAChangeMadeOnTheServer) {
    write_file(mnt("shared.txt"), "version one");
    EXPECT_EQ(read_file(mnt("shared.txt")), "version one");

    write_file(srv("shared.txt"), "version two, longer");
    // Move mtime well away, as a change from another client seconds later would.
    const timespec later[2] = {{0, UTIME_NOW}, {::time(nullptr) + 10, 0}};
    ASSERT_TRUE(succeeds(SYSCALL(::utimensat(AT_FDCWD, srv("shared.txt").c_str(), later, 0))));

    EXPECT_EQ(read_file(mnt("shared.txt")), "version two, longer");
}

// 1 GiB in 1 MiB blocks of known content: the hash of what was written must equal the hash of the
// server's copy and of what a cold mount reads back. Memory stays at one block.
TEST_F(DurabilityTest, GibibyteStreamRoundTripsWithTheSameChecksum) {
    constexpr uint64_t kBlocks = 1024;
    constexpr uint64_t kSeed = 0x6e667366757365;
    std::vector<char> block(kMiB);
    Fnv1a written;
    const auto started = std::chrono::steady_clock::now();
    {
        UniqueFd fd = open_or_throw(mnt("gibibyte.bin"), O_WRONLY | O_CREAT | O_TRUNC);
        for (uint64_t index = 0; index < kBlocks; ++index) {
            fill_pattern(block, kSeed, index);
            written.update(block);
            pwrite_all(fd.get(), std::string_view(block.data(), block.size()),
                       static_cast<off_t>(index * kMiB));
        }
        ASSERT_TRUE(succeeds(SYSCALL(::fsync(fd.get()))));
        ASSERT_TRUE(succeeds(SYSCALL(fd.close())));
    }
    const auto wrote = std::chrono::steady_clock::now();

    EXPECT_EQ(lstat_or_throw(srv("gibibyte.bin")).st_size, static_cast<off_t>(kBlocks * kMiB));
    EXPECT_EQ(hash_file(srv("gibibyte.bin")), written.value()) << "the server's copy differs";

    remount();  // read through cold caches: every byte comes over NFS
    const auto read_started = std::chrono::steady_clock::now();
    EXPECT_EQ(hash_file(mnt("gibibyte.bin")), written.value()) << "read back differs";
    const auto read_done = std::chrono::steady_clock::now();

    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    std::cout << "1 GiB: write+fsync " << duration_cast<milliseconds>(wrote - started).count()
              << " ms, cold read " << duration_cast<milliseconds>(read_done - read_started).count()
              << " ms\n";
}

}  // namespace
}  // namespace nfsfuse::it
