// The caches through a real mount: what a hit costs (nothing: the counts of calls sent to the
// server, read from user.nfsfuse.calls, do not move), and that a change made by another client
// (here: on the server's disk) is seen at the next open, never served stale.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/file_data.h"
#include "harness/mounted_test.h"
#include "harness/nfsfuse_mount.h"

namespace nfsfuse::it {
namespace {

using Counts = std::map<std::string, uint64_t>;

class CacheTest : public MountedTest {
  protected:
    // The calls nfsfuse sent to the server so far, by procedure.
    Counts calls() {
        const std::string root = mount().path().string();
        char buffer[4096];
        const ssize_t length =
            ::getxattr(root.c_str(), "user.nfsfuse.calls", buffer, sizeof buffer);
        if (length < 0) throw std::runtime_error("getxattr user.nfsfuse.calls failed");
        Counts counts;
        std::istringstream lines(std::string(buffer, static_cast<size_t>(length)));
        std::string procedure;
        uint64_t count = 0;
        while (lines >> procedure >> count) counts[procedure] = count;
        return counts;
    }
    uint64_t reads() { return calls()["READ"]; }
    // Calls of every kind sent so far.
    uint64_t calls_sent() {
        uint64_t total = 0;
        for (const auto& [procedure, count] : calls()) total += count;
        return total;
    }
    // The calls that ask the server for a file's attributes at open: NFSv3 ACCESSes and
    // NFSv4.1 OPENs (which carry them), and GETATTRs.
    static uint64_t revalidations(Counts counts) {
        return counts["GETATTR"] + counts["OPEN"] + counts["ACCESS"];
    }
};

TEST_F(CacheTest, UnchangedFileIsReadFromThePageCacheAtTheNextOpen) {
    const std::string data = pattern(4 * kMiB, 3);
    write_file(srv("data.bin"), data);
    EXPECT_TRUE(read_file(mnt("data.bin")) == data);
    const Counts before = calls();
    ASSERT_GT(before.at("READ"), 0u) << "the first read must come from the server";

    EXPECT_TRUE(read_file(mnt("data.bin")) == data);
    EXPECT_TRUE(read_file(mnt("data.bin")) == data);
    const Counts after = calls();
    EXPECT_EQ(after.at("READ"), before.at("READ")) << "a cache hit sent READs";
    EXPECT_GT(revalidations(after), revalidations(before))
        << "open must revalidate (close-to-open)";
}

TEST_F(CacheTest, AChangeOnTheServerIsSeenAtTheNextOpen) {
    write_file(srv("changing.txt"), "version one");
    EXPECT_EQ(read_file(mnt("changing.txt")), "version one");
    // Same size: only mtime and ctime tell the versions apart.
    write_file(srv("changing.txt"), "version two");
    EXPECT_EQ(read_file(mnt("changing.txt")), "version two");
    write_file(srv("changing.txt"), "version three, longer");
    EXPECT_EQ(read_file(mnt("changing.txt")), "version three, longer");
}

TEST_F(CacheTest, OurOwnWritesKeepTheCacheValid) {
    const std::string data = pattern(2 * kMiB, 5);
    write_file(mnt("own.bin"), data);
    EXPECT_TRUE(read_file(mnt("own.bin")) == data);
    const uint64_t before = reads();
    EXPECT_TRUE(read_file(mnt("own.bin")) == data);
    EXPECT_EQ(reads(), before) << "what we wrote ourselves was read back from the server";
    EXPECT_TRUE(read_file(srv("own.bin")) == data);
}

// Drops the kernel's cached pages of one file (only this file: other tests run at the same time).
void drop_kernel_pages(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) throw std::runtime_error("cannot open " + path.string());
    const int result = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
    if (result != 0) throw std::runtime_error("posix_fadvise DONTNEED failed on " + path.string());
}

TEST_F(CacheTest, WhatTheKernelDroppedComesFromTheBlockCache) {
    const std::string data = pattern(8 * kMiB, 11);
    // Written through the mount: ganesha then knows the file's times, and its replies agree on
    // them (a file changed behind its back can show two stamps for a while, and a block of
    // uncertain stamp is rightly dropped).
    write_file(mnt("blocks.bin"), data);
    drop_kernel_pages(mnt("blocks.bin"));
    const uint64_t before_first = reads();
    EXPECT_TRUE(read_file(mnt("blocks.bin")) == data);
    const uint64_t first_pass = reads() - before_first;
    ASSERT_GE(first_pass, 8u) << "8 MiB cannot come in fewer than 8 READs of 1 MiB";

    drop_kernel_pages(mnt("blocks.bin"));
    const uint64_t before_second = reads();
    EXPECT_TRUE(read_file(mnt("blocks.bin")) == data);
    // Blocks the kernel asked for in pieces smaller than a block are not kept whole; the
    // readahead and every whole-block read are. Most of the file must come from the cache.
    EXPECT_LE(reads() - before_second, first_pass / 4)
        << "the re-read went to the server for most of the file";
}

TEST_F(CacheTest, BlocksOfAnOlderVersionAreNeverServed) {
    const std::string old_data = pattern(4 * kMiB, 12);
    const std::string new_data = pattern(4 * kMiB, 13);  // same size: only the times differ
    write_file(srv("versions.bin"), old_data);
    EXPECT_TRUE(read_file(mnt("versions.bin")) == old_data);
    write_file(srv("versions.bin"), new_data);
    drop_kernel_pages(mnt("versions.bin"));
    EXPECT_TRUE(read_file(mnt("versions.bin")) == new_data) << "stale blocks were served";
}

TEST_F(CacheTest, CreatingFilesInADirectoryWeCreatedNeedsNoLookups) {
    std::filesystem::create_directory(mnt("fresh"));
    const uint64_t lookups_before = calls()["LOOKUP"];
    for (int i = 0; i < 20; ++i) write_file(mnt("fresh/file" + std::to_string(i)), "x");
    EXPECT_LE(calls()["LOOKUP"] - lookups_before, 2u)
        << "each create in a directory we made still looked its name up first";
    for (int i = 0; i < 20; ++i) EXPECT_EQ(read_file(srv("fresh/file" + std::to_string(i))), "x");
}

// `ls -l`: the listing (READDIRPLUS in NFSv3, READDIR with handles in NFSv4) hands every entry to
// the kernel with its attributes, so stat-ing them costs no LOOKUP each. 20 entries fit in the
// kernel's first readdirplus buffer (later ones are plain readdir unless the kernel is advised).
TEST_F(CacheTest, ListingWithAttributesNeedsNoLookupPerEntry) {
    std::filesystem::create_directory(srv("listed"));
    for (int i = 0; i < 20; ++i)
        write_file(srv("listed/f" + std::to_string(i)), std::string(static_cast<size_t>(i), 'x'));
    struct stat dir_stat {};
    ASSERT_EQ(::stat(mnt("listed").c_str(), &dir_stat), 0);
    const uint64_t lookups_before = calls()["LOOKUP"];
    int listed = 0;
    for (const auto& entry : std::filesystem::directory_iterator(mnt("listed"))) {
        struct stat st {};
        ASSERT_EQ(::lstat(entry.path().c_str(), &st), 0) << entry.path();
        const std::string name = entry.path().filename().string();
        EXPECT_TRUE(S_ISREG(st.st_mode)) << name;
        EXPECT_EQ(st.st_size, std::stoi(name.substr(1))) << name;
        ++listed;
    }
    EXPECT_EQ(listed, 20);
    EXPECT_LE(calls()["LOOKUP"] - lookups_before, 1u)
        << "stat after a listing looked the names up one by one";
}

// Calls per metadata operation (issue 16), the same for NFSv3 and NFSv4.1: an exclusive create
// and its close cost two (NFSv3: CREATE, SETATTR; NFSv4.1: OPEN, CLOSE), a listing two (the
// kernel's GETATTR of the directory, then one READDIRPLUS or READDIR with the attributes, "."
// included), and an unlink one (REMOVE).
TEST_F(CacheTest, MetadataOperationsCostAsFewCallsAsInNfsV3) {
    constexpr int kFiles = 50;
    std::filesystem::create_directory(mnt("meta"));
    const auto path = [&](int i) { return mnt("meta/f" + std::to_string(i)); };
    uint64_t before = calls_sent();
    for (int i = 0; i < kFiles; ++i) {
        const int fd = ::open(path(i).c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
        ASSERT_GE(fd, 0) << path(i);
        ASSERT_EQ(::close(fd), 0);
    }
    // RELEASE (and with it an NFSv4.1 CLOSE) is asynchronous to close(2): wait for the last ones.
    for (int i = 0; i < 100 && calls_sent() - before < 2 * kFiles; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(calls_sent() - before, 2u * kFiles) << "create and close";

    before = calls_sent();
    size_t listed = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(mnt("meta")))
        ++listed;
    EXPECT_EQ(listed, static_cast<size_t>(kFiles));
    EXPECT_LE(calls_sent() - before, 2u) << "list";

    before = calls_sent();
    for (int i = 0; i < kFiles; ++i) ASSERT_EQ(::unlink(path(i).c_str()), 0);
    EXPECT_EQ(calls_sent() - before, static_cast<uint64_t>(kFiles)) << "unlink";
}

TEST_F(CacheTest, ANameAnotherClientAddsIsSeenAfterOurNextChangeThere) {
    std::filesystem::create_directory(mnt("shared"));
    write_file(mnt("shared/ours1"), "1");
    write_file(srv("shared/theirs"), "from elsewhere");  // behind our back
    write_file(mnt("shared/ours2"), "2");  // its "before" stamp shows the other change
    EXPECT_EQ(read_file(mnt("shared/theirs")), "from elsewhere");
}

TEST_F(CacheTest, ANameCreatedOnTheServerIsListedDespiteANegativeEntry) {
    EXPECT_FALSE(std::filesystem::exists(mnt("later.txt")));
    write_file(srv("later.txt"), "here now");
    // The default acdirmin (30 s) would hide it for a while; listing the directory does not.
    bool listed = false;
    for (const auto& entry : std::filesystem::directory_iterator(mnt()))
        if (entry.path().filename() == "later.txt") listed = true;
    EXPECT_TRUE(listed);
}

class MetaCacheTest : public CacheTest {
  protected:
    std::vector<std::string> extra_mount_options() const override { return {"cache=meta"}; }
};

TEST_F(MetaCacheTest, FileDataIsReadAgainAtEveryOpen) {
    const std::string data = pattern(1 * kMiB, 9);
    write_file(srv("data.bin"), data);
    EXPECT_TRUE(read_file(mnt("data.bin")) == data);
    const uint64_t before = reads();
    EXPECT_TRUE(read_file(mnt("data.bin")) == data);
    EXPECT_GT(reads(), before) << "cache=meta kept file data (kernel pages or nfsfuse blocks)";
}

class NoCacheTest : public CacheTest {
  protected:
    std::vector<std::string> extra_mount_options() const override { return {"cache=none"}; }
};

TEST_F(NoCacheTest, EveryReadGoesToTheServerAndAttributesAreNotTrusted) {
    write_file(srv("file.txt"), "1234");
    EXPECT_EQ(read_file(mnt("file.txt")), "1234");
    const uint64_t before = reads();
    EXPECT_EQ(read_file(mnt("file.txt")), "1234");
    EXPECT_GT(reads(), before);
    write_file(srv("file.txt"), "123456789");
    EXPECT_EQ(std::filesystem::file_size(mnt("file.txt")), 9u) << "a stale size was trusted";
}

// nconnect: metadata on one connection, data spread over the others; written data must come back
// byte for byte, also with several files written and read at once.
class MultiConnectionTest : public CacheTest {
  protected:
    std::vector<std::string> extra_mount_options() const override { return {"nconnect=3"}; }
};

TEST_F(MultiConnectionTest, DataSpreadOverConnectionsComesBackIntact) {
    std::vector<std::string> contents;
    for (int i = 0; i < 4; ++i) contents.push_back(pattern(3 * kMiB + 1000 * i, 20 + i));
    std::vector<std::thread> writers;
    for (int i = 0; i < 4; ++i)
        writers.emplace_back([&, i] { write_file(mnt("f" + std::to_string(i)), contents[i]); });
    for (auto& writer : writers) writer.join();
    for (int i = 0; i < 4; ++i) {
        EXPECT_TRUE(read_file(srv("f" + std::to_string(i))) == contents[i])
            << "on the server, f" << i;
        EXPECT_TRUE(read_file(mnt("f" + std::to_string(i))) == contents[i])
            << "through the mount, f" << i;
    }
    const Counts counts = calls();
    EXPECT_GT(counts.at("WRITE"), 0u);
    EXPECT_GT(counts.at("COMMIT"), 0u);
}

// The kernel's readahead window of the mount (its backing device's read_ahead_kb).
uint64_t readahead_kib_of(const std::filesystem::path& mount_root) {
    struct stat st {};
    if (::stat(mount_root.c_str(), &st) != 0) throw std::runtime_error("stat of the mount failed");
    const std::string knob = "/sys/class/bdi/" + std::to_string(major(st.st_dev)) + ":" +
                             std::to_string(minor(st.st_dev)) + "/read_ahead_kb";
    return std::stoull(read_file(knob));
}

TEST_F(CacheTest, SequentialReadsGetAWiderReadaheadWindow) {
    EXPECT_EQ(readahead_kib_of(mount().path()), 2048u) << "the default window, set after INIT";
}

class KernelReadaheadTest : public CacheTest {
  protected:
    std::vector<std::string> extra_mount_options() const override { return {"readahead=0"}; }
};

TEST_F(KernelReadaheadTest, ZeroLeavesTheKernelDefault) {
    EXPECT_EQ(readahead_kib_of(mount().path()), 128u);
}

TEST_F(CacheTest, OtherExtendedAttributesAreNotSupported) {
    char buffer[64];
    EXPECT_LT(::getxattr(mnt().c_str(), "user.nfsfuse.calls", buffer, sizeof buffer), 0)
        << "only the root has it";
    EXPECT_LT(::getxattr(mount().path().c_str(), "user.other", buffer, sizeof buffer), 0);
    EXPECT_EQ(errno, ENOTSUP);
}

}  // namespace
}  // namespace nfsfuse::it
