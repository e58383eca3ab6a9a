// Several processes using one mount at once: writers of distinct files, readers of one file, and
// metadata work in parallel directories. Each child checks its own results; the parent checks the
// server's disk.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <vector>

#include "harness/directory_listing.h"
#include "harness/file_data.h"
#include "harness/forked_child.h"
#include "harness/mounted_test.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;

constexpr int kProcesses = 4;
constexpr uint64_t kFileBlocks = 16;  // of 1 MiB

// Writes kFileBlocks blocks of fill_pattern(seed, index) in 256 KiB pieces.
void write_blocks(const std::filesystem::path& path, uint64_t seed) {
    UniqueFd fd = open_or_throw(path, O_WRONLY | O_CREAT | O_TRUNC);
    std::vector<char> block(kMiB);
    for (uint64_t index = 0; index < kFileBlocks; ++index) {
        fill_pattern(block, seed, index);
        for (size_t piece = 0; piece < kMiB; piece += 256 * 1024) {
            pwrite_all(fd.get(), std::string_view(block.data() + piece, 256 * 1024),
                       static_cast<off_t>(index * kMiB + piece));
        }
    }
    child_require(SYSCALL(::fsync(fd.get())), "fsync " + path.string());
    child_require(SYSCALL(fd.close()), "close " + path.string());
}

// Reads every block, starting at first_block and wrapping around, and compares it with the pattern.
void verify_blocks(const std::filesystem::path& path, uint64_t seed, uint64_t first_block) {
    UniqueFd fd = open_or_throw(path, O_RDONLY);
    std::vector<char> expected(kMiB);
    for (uint64_t step = 0; step < kFileBlocks; ++step) {
        const uint64_t index = (first_block + step) % kFileBlocks;
        fill_pattern(expected, seed, index);
        const std::string got = pread_exact(fd.get(), kMiB, static_cast<off_t>(index * kMiB));
        child_require(std::string_view(got) == std::string_view(expected.data(), expected.size()),
                      path.string() + ": block " + std::to_string(index) + " differs");
    }
}

uint64_t expected_hash(uint64_t seed) {
    std::vector<char> block(kMiB);
    Fnv1a hash;
    for (uint64_t index = 0; index < kFileBlocks; ++index) {
        fill_pattern(block, seed, index);
        hash.update(block);
    }
    return hash.value();
}

// Waits for every child, reporting each failure.
void expect_all_succeed(std::vector<std::unique_ptr<ForkedChild>>& children) {
    for (size_t i = 0; i < children.size(); ++i) {
        const auto outcome = children[i]->wait(120s);
        ASSERT_TRUE(outcome.has_value()) << "child " << i << " still runs after 120 s";
        EXPECT_TRUE(outcome->ok()) << "child " << i << ": " << outcome->describe();
    }
}

class ConcurrencyTest : public MountedTest {};

TEST_F(ConcurrencyTest, ProcessesWriteDistinctFilesAtOnce) {
    std::vector<std::unique_ptr<ForkedChild>> writers;
    for (int i = 0; i < kProcesses; ++i) {
        const auto path = mnt("writer-" + std::to_string(i));
        const auto seed = static_cast<uint64_t>(100 + i);
        writers.push_back(std::make_unique<ForkedChild>([path, seed] {
            write_blocks(path, seed);
            verify_blocks(path, seed, 0);
        }));
    }
    expect_all_succeed(writers);
    for (int i = 0; i < kProcesses; ++i) {
        EXPECT_EQ(hash_file(srv("writer-" + std::to_string(i))),
                  expected_hash(static_cast<uint64_t>(100 + i)))
            << "writer " << i << ": the server's copy differs";
    }
}

TEST_F(ConcurrencyTest, ProcessesReadOneFileAtOnce) {
    constexpr uint64_t kSeed = 77;
    write_blocks(mnt("shared.bin"), kSeed);
    remount();  // cold caches, so the readers really race for the same blocks
    std::vector<std::unique_ptr<ForkedChild>> readers;
    for (int i = 0; i < kProcesses; ++i) {
        const auto path = mnt("shared.bin");
        const auto first_block = static_cast<uint64_t>(i) * kFileBlocks / kProcesses;
        readers.push_back(std::make_unique<ForkedChild>(
            [path, first_block] { verify_blocks(path, kSeed, first_block); }));
    }
    expect_all_succeed(readers);
}

TEST_F(ConcurrencyTest, ProcessesCreateStatAndListInParallel) {
    constexpr int kFilesEach = 200;
    std::vector<std::unique_ptr<ForkedChild>> workers;
    for (int i = 0; i < kProcesses; ++i) {
        const auto dir = mnt("dir-" + std::to_string(i));
        workers.push_back(std::make_unique<ForkedChild>([dir] {
            child_require(SYSCALL(::mkdir(dir.c_str(), 0755)), "mkdir");
            std::multiset<std::string> expected;
            for (int file = 0; file < kFilesEach; ++file) {
                const std::string name = "f" + std::to_string(file);
                write_file(dir / name, name);
                expected.insert(name);
            }
            for (const auto& name : expected) {
                struct stat st {};
                child_require(SYSCALL(::stat((dir / name).c_str(), &st)), "stat " + name);
                child_require(st.st_size == static_cast<off_t>(name.size()), name + ": size");
            }
            child_require(without_dots(list_directory(dir)) == expected,
                          dir.string() + ": listing differs from what was created");
        }));
    }
    expect_all_succeed(workers);
    for (int i = 0; i < kProcesses; ++i) {
        EXPECT_EQ(without_dots(list_directory(srv("dir-" + std::to_string(i)))).size(),
                  static_cast<size_t>(kFilesEach))
            << "on the server";
    }
}

}  // namespace
}  // namespace nfsfuse::it
