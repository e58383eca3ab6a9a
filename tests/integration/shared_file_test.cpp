// One file, many open descriptors at once in one process: threads writing disjoint regions and
// reading each other's after fsync, descriptors closed in an order unlike the one they were opened
// in, and a read-only descriptor that must keep working while others on the same file come and go
// (in NFSv4 every open has its own stateid: closing one must not end another).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <barrier>
#include <string>
#include <thread>
#include <vector>

#include "harness/file_data.h"
#include "harness/mounted_test.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

constexpr int kThreads = 8;
constexpr size_t kRegion = 768 * 1024;  // per thread: not a multiple of nfsfuse's 1 MiB blocks
constexpr size_t kPiece = 96 * 1024;    // several writes per region, each 4 KiB-aligned
constexpr uint64_t kSeed = 4100;

// Thread `owner`'s part of the file, by its own seed.
std::string region_data(int owner) {
    return pattern(kRegion, kSeed + static_cast<uint64_t>(owner));
}

off_t region_offset(int owner) {
    return static_cast<off_t>(static_cast<size_t>(owner) * kRegion);
}

std::string whole_file() {
    std::string content;
    for (int owner = 0; owner < kThreads; ++owner) content += region_data(owner);
    return content;
}

// What a thread found wrong; empty when all went well. gtest's assertions are kept to the main
// thread so each failure names its thread.
using Problem = std::string;

Problem write_own_region(int fd, int owner) {
    const std::string data = region_data(owner);
    for (size_t piece = 0; piece < kRegion; piece += kPiece) {
        const ssize_t wrote = ::pwrite(fd, data.data() + piece, kPiece,
                                       region_offset(owner) + static_cast<off_t>(piece));
        if (wrote != static_cast<ssize_t>(kPiece))
            return "pwrite at " + std::to_string(piece) + ": " +
                   (wrote < 0 ? errno_text(errno) : "short write of " + std::to_string(wrote));
    }
    if (::fsync(fd) != 0) return "fsync: " + errno_text(errno);
    return {};
}

Problem check_region(int fd, int owner) {
    std::string got(kRegion, '\0');
    const ssize_t read = ::pread(fd, got.data(), kRegion, region_offset(owner));
    if (read != static_cast<ssize_t>(kRegion))
        return "pread of region " + std::to_string(owner) + ": " +
               (read < 0 ? errno_text(errno) : "short read of " + std::to_string(read));
    if (got != region_data(owner)) return "region " + std::to_string(owner) + " differs";
    return {};
}

class SharedFileTest : public MountedTest {};

TEST_F(SharedFileTest, ThreadsWriteDisjointRegionsAndReadEachOthersThroughTheirOwnDescriptors) {
    write_file(mnt("shared.bin"), "");
    // Opened one after the other before any thread starts: all eight are open at once.
    std::vector<UniqueFd> fds;
    for (int owner = 0; owner < kThreads; ++owner)
        fds.push_back(open_or_throw(mnt("shared.bin"), O_RDWR));

    std::array<Problem, kThreads> problems;
    std::barrier all_written(kThreads);
    std::vector<std::thread> threads;
    for (int owner = 0; owner < kThreads; ++owner) {
        threads.emplace_back([&, owner] {
            const int fd = fds[static_cast<size_t>(owner)].get();
            Problem problem = write_own_region(fd, owner);
            // Everyone has fsync'ed (or failed) before anyone reads the others' regions.
            all_written.arrive_and_wait();
            for (int other = 1; problem.empty() && other < kThreads; ++other)
                problem = check_region(fd, (owner + other) % kThreads);
            problems[static_cast<size_t>(owner)] = problem;
        });
    }
    for (auto& thread : threads) thread.join();
    for (int owner = 0; owner < kThreads; ++owner)
        EXPECT_EQ(problems[static_cast<size_t>(owner)], "") << "thread " << owner;

    // Closed neither in the order of opening nor its reverse; every descriptor still open reads
    // the region of the one just closed.
    for (const int closing : {5, 2, 7, 0, 3, 6, 1, 4}) {
        ASSERT_TRUE(succeeds(SYSCALL(fds[static_cast<size_t>(closing)].close())))
            << "descriptor " << closing;
        for (int open = 0; open < kThreads; ++open) {
            if (!fds[static_cast<size_t>(open)].valid()) continue;
            EXPECT_EQ(check_region(fds[static_cast<size_t>(open)].get(), closing), "")
                << "descriptor " << open << " after descriptor " << closing << " was closed";
        }
    }

    const std::string expected = whole_file();
    EXPECT_TRUE(read_file(mnt("shared.bin")) == expected) << "a fresh open reads other bytes";
    EXPECT_EQ(lstat_or_throw(srv("shared.bin")).st_size, static_cast<off_t>(expected.size()))
        << "on the server";
    EXPECT_TRUE(read_file(srv("shared.bin")) == expected) << "the server's copy differs";
}

// cache=none: every read of the long-lived descriptor goes to the server, under its own open
// (in NFSv4), not to a page cache that would hide a stateid the server no longer knows.
class UncachedSharedFileTest : public MountedTest {
  protected:
    std::vector<std::string> extra_mount_options() const override { return {"cache=none"}; }
};

TEST_F(UncachedSharedFileTest, AReadOnlyDescriptorOutlivesManyOpensAndClosesOfTheSameFile) {
    constexpr int kRounds = 40;
    constexpr off_t kMarkerOffset = 64 * 1024;  // past the start, inside the file
    const std::string base = pattern(256 * 1024, 41);
    write_file(mnt("long-lived.bin"), base);
    UniqueFd reader = open_or_throw(mnt("long-lived.bin"), O_RDONLY);

    for (int round = 0; round < kRounds; ++round) {
        // Both kinds of other open: a writer that leaves a marker, and a reader.
        const bool writes = round % 2 == 0;
        const std::string marker = "round " + std::to_string(1000 + round);
        UniqueFd other = open_or_throw(mnt("long-lived.bin"), writes ? O_RDWR : O_RDONLY);
        if (writes) {
            pwrite_all(other.get(), marker, kMarkerOffset);
        } else {
            char byte = 0;
            ASSERT_TRUE(succeeds(SYSCALL(::pread(other.get(), &byte, 1, 0)))) << "round " << round;
        }
        ASSERT_TRUE(succeeds(SYSCALL(other.close()))) << "round " << round;

        const std::string expected_marker =
            "round " + std::to_string(1000 + (writes ? round : round - 1));
        std::string got;
        ASSERT_NO_THROW(got = pread_exact(reader.get(), expected_marker.size(), kMarkerOffset))
            << "the read-only descriptor failed after round " << round;
        EXPECT_EQ(got, expected_marker) << "round " << round;
    }
    EXPECT_TRUE(pread_exact(reader.get(), 4096, 0) == base.substr(0, 4096))
        << "the start of the file, never overwritten";
    EXPECT_TRUE(succeeds(SYSCALL(reader.close())));
    const std::string last_marker = "round " + std::to_string(1000 + kRounds - 2);
    EXPECT_EQ(read_file(srv("long-lived.bin")).substr(kMarkerOffset, last_marker.size()),
              last_marker)
        << "the last marker on the server";
}

}  // namespace
}  // namespace nfsfuse::it
