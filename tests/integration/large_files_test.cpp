// Files beyond 4 GiB: sparse files with holes (read as zeros, stay sparse on the server) and data
// at offsets that need more than 32 bits.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/errno_case.h"
#include "harness/file_data.h"
#include "harness/mounted_test.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

// gtest finds the printer of our parameter structs (errno_case.h) through this.
using ::nfsfuse::it::operator<<;

constexpr off_t kFourGiB = 4 * kGiB;

bool all_zero(const std::string& data) {
    return data.find_first_not_of('\0') == std::string::npos;
}

class LargeFilesTest : public MountedTest {};

TEST_F(LargeFilesTest, SparseFileHasZerosInItsHoleAndStaysSparse) {
    const std::string head = "head of the sparse file";
    const std::string tail = "tail written at 5 GiB";
    const off_t tail_offset = 5 * kGiB;
    {
        UniqueFd fd = open_or_throw(mnt("sparse.bin"), O_RDWR | O_CREAT | O_TRUNC);
        pwrite_all(fd.get(), head, 0);
        pwrite_all(fd.get(), tail, tail_offset);
        struct stat st {};
        ASSERT_TRUE(succeeds(SYSCALL(::fstat(fd.get(), &st))));
        EXPECT_EQ(st.st_size, tail_offset + static_cast<off_t>(tail.size()));
        ASSERT_TRUE(succeeds(SYSCALL(fd.close())));
    }

    // Read back through a fresh mount so nothing comes from the page cache.
    remount();
    struct stat st {};
    ASSERT_TRUE(succeeds(SYSCALL(::stat(mnt("sparse.bin").c_str(), &st))));
    EXPECT_EQ(st.st_size, tail_offset + static_cast<off_t>(tail.size()));
    EXPECT_GT(st.st_size, kFourGiB);

    UniqueFd fd = open_or_throw(mnt("sparse.bin"), O_RDONLY);
    EXPECT_EQ(pread_exact(fd.get(), head.size(), 0), head);
    EXPECT_EQ(pread_exact(fd.get(), tail.size(), tail_offset), tail);
    // Samples of the hole, including across the 4 GiB boundary and just before the tail.
    for (const off_t offset : {off_t{4096}, kGiB, kFourGiB - off_t{512 * 1024},
                               tail_offset - static_cast<off_t>(kMiB)}) {
        EXPECT_TRUE(all_zero(pread_exact(fd.get(), kMiB, offset)))
            << "non-zero bytes in the hole at offset " << offset;
    }
    char past_end = 0;
    EXPECT_EQ(::pread(fd.get(), &past_end, 1, st.st_size), 0) << "read at end of file";

    struct stat on_server {};
    ASSERT_TRUE(succeeds(SYSCALL(::stat(srv("sparse.bin").c_str(), &on_server))));
    EXPECT_EQ(on_server.st_size, st.st_size) << "size on the server's disk";
    // Filling the hole with written zeros would allocate 5 GiB.
    EXPECT_LT(on_server.st_blocks * 512, 64 * static_cast<blkcnt_t>(kMiB))
        << "the file is no longer sparse on the server";
    UniqueFd server_fd = open_or_throw(srv("sparse.bin"), O_RDONLY);
    EXPECT_EQ(pread_exact(server_fd.get(), tail.size(), tail_offset), tail) << "on the server";
}

// A 1 MiB block of distinct data at an offset that needs 64-bit arithmetic everywhere.
struct OffsetCase {
    std::string name;
    off_t offset;
};

class LargeOffsetTest : public MountedTest, public ::testing::WithParamInterface<OffsetCase> {};

TEST_P(LargeOffsetTest, DataAtTheOffsetReadsBack) {
    const off_t offset = GetParam().offset;
    const std::string block = pattern(kMiB, static_cast<uint64_t>(offset));
    {
        UniqueFd fd = open_or_throw(mnt("big.bin"), O_WRONLY | O_CREAT | O_TRUNC);
        pwrite_all(fd.get(), block, offset);
        ASSERT_TRUE(succeeds(SYSCALL(fd.close())));
    }
    remount();
    struct stat st {};
    ASSERT_TRUE(succeeds(SYSCALL(::stat(mnt("big.bin").c_str(), &st))));
    EXPECT_EQ(st.st_size, offset + static_cast<off_t>(kMiB));

    UniqueFd fd = open_or_throw(mnt("big.bin"), O_RDONLY);
    EXPECT_TRUE(pread_exact(fd.get(), kMiB, offset) == block) << "through the mount";
    // An unaligned read straddling the start of the data.
    const std::string straddling = pread_exact(fd.get(), 8192, offset - 4096 + 7);
    EXPECT_TRUE(all_zero(straddling.substr(0, 4096 - 7)));
    EXPECT_EQ(straddling.substr(4096 - 7), block.substr(0, 8192 - (4096 - 7)));

    UniqueFd server_fd = open_or_throw(srv("big.bin"), O_RDONLY);
    EXPECT_TRUE(pread_exact(server_fd.get(), kMiB, offset) == block) << "on the server's disk";
}

INSTANTIATE_TEST_SUITE_P(Offsets, LargeOffsetTest,
                         ::testing::Values(OffsetCase{"across_4GiB", kFourGiB - off_t{512 * 1024}},
                                           OffsetCase{"at_4GiB", kFourGiB},
                                           OffsetCase{"unaligned_past_5GiB", 5 * kGiB + 12345},
                                           OffsetCase{"just_below_16GiB",
                                                      16 * kGiB - static_cast<off_t>(kMiB)}),
                         ParamName());

}  // namespace
}  // namespace nfsfuse::it
