// The server restarts (same ports, same export) while a writer is busy: write, fsync, write,
// fsync... on a hard mount, which waits the outage out. Whatever an fsync reported as written
// must be on the server's disk afterwards, and the writer must go on after the restart.
//
// The writer is its own process, not a thread: ganesha.sh, started by this process to stop and
// start the server, would inherit this process's descriptors, and closing them is a FUSE flush
// that waits for a server that is down.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "harness/file_data.h"
#include "harness/forked_child.h"
#include "harness/own_server_test.h"
#include "harness/process_resources.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr size_t kChunk = 64 * 1024;
constexpr uint64_t kSeed = 5150;
constexpr size_t kChunksBeforeTheOutage = 5;
constexpr size_t kChunksAfterTheRestart = 10;

// The indexes of the chunks whose fsync succeeded, one a line, as the writer logged them. A line
// still being written (no newline yet) does not count.
std::vector<size_t> synced_chunks(const std::filesystem::path& log) {
    std::ifstream in(log);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<size_t> chunks;
    size_t start = 0;
    for (size_t end; (end = content.find('\n', start)) != std::string::npos; start = end + 1)
        chunks.push_back(std::stoul(content.substr(start, end - start)));
    return chunks;
}

// Waits until the writer has logged `count` fsyncs (or the bound passes); returns how many.
size_t wait_for_synced(const std::filesystem::path& log, size_t count, Clock::duration bound) {
    const auto deadline = Clock::now() + bound;
    size_t seen = synced_chunks(log).size();
    while (seen < count && Clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
        seen = synced_chunks(log).size();
    }
    return seen;
}

// Writes chunk after chunk at increasing offsets, fsyncs each and logs its index when the fsync
// succeeded; a failed fsync fails the writer. Stops when `stop` exists.
void write_and_sync_until(const std::filesystem::path& file, const std::filesystem::path& log,
                          const std::filesystem::path& stop) {
    UniqueFd fd = open_or_throw(file, O_WRONLY | O_CREAT | O_TRUNC);
    UniqueFd log_fd = open_or_throw(log, O_WRONLY | O_CREAT | O_APPEND);
    std::string chunk(kChunk, '\0');
    for (size_t index = 0; !std::filesystem::exists(stop); ++index) {
        fill_pattern(chunk, kSeed, index);
        pwrite_all(fd.get(), chunk, static_cast<off_t>(index * kChunk));
        child_require(SYSCALL(::fsync(fd.get())), "fsync of chunk " + std::to_string(index));
        const std::string line = std::to_string(index) + "\n";
        child_require(
            ::write(log_fd.get(), line.data(), line.size()) == static_cast<ssize_t>(line.size()),
            "logging chunk " + std::to_string(index));
        std::this_thread::sleep_for(10ms);  // a steady stream, not a flood of the export's disk
    }
    child_require(SYSCALL(fd.close()), "close");
}

class RestartDuringWritesTest : public OwnServerTest {
  protected:
    // hard: the writer's calls wait for the server instead of failing while it is down.
    std::vector<std::string> extra_mount_options() const override {
        return {"hard", "timeo=10", "retrans=1"};
    }
};

TEST_F(RestartDuringWritesTest, EveryFsyncedChunkIsOnTheServerAfterARestart) {
    const std::filesystem::path log = scratch_root() / (current_test_dir_name() + ".synced");
    const std::filesystem::path stop = scratch_root() / (current_test_dir_name() + ".stop");
    std::filesystem::remove(log);
    std::filesystem::remove(stop);
    const std::filesystem::path file = mnt("stream.bin");
    ForkedChild writer([&] { write_and_sync_until(file, log, stop); });

    ASSERT_GE(wait_for_synced(log, kChunksBeforeTheOutage, 30s), kChunksBeforeTheOutage)
        << "the writer never got going";
    server().stop();
    const size_t synced_while_down = synced_chunks(log).size();
    // ganesha's write verifier is its start time in seconds: restarted within the same second it
    // would keep it, and nfsfuse could not tell the restart happened.
    std::this_thread::sleep_for(1100ms);
    const size_t synced_before_start = synced_chunks(log).size();
    // The writer was stuck in a call the outage held up. One more line is allowed: an fsync
    // that returned just before the server went may be logged just after.
    EXPECT_LE(synced_before_start, synced_while_down + 1)
        << "fsyncs succeeded while the server was down";
    server().start();
    const size_t wanted = synced_before_start + kChunksAfterTheRestart;
    const size_t synced_after = wait_for_synced(log, wanted, 40s);
    write_file(stop, "");
    EXPECT_GE(synced_after, wanted) << "the writer did not go on after the restart";

    const auto outcome = writer.wait(60s);
    ASSERT_TRUE(outcome.has_value()) << "the writer hangs";
    EXPECT_TRUE(outcome->ok()) << outcome->describe();

    const std::vector<size_t> synced = synced_chunks(log);
    std::cout << synced.size() << " chunks fsync'ed, " << synced_before_start
              << " of them before the server came back\n";
    const std::string on_server = read_file(srv("stream.bin"));
    std::string expected(kChunk, '\0');
    for (const size_t index : synced) {
        fill_pattern(expected, kSeed, index);
        ASSERT_GE(on_server.size(), (index + 1) * kChunk)
            << "the server's file ends before chunk " << index;
        EXPECT_TRUE(on_server.compare(index * kChunk, kChunk, expected) == 0)
            << "chunk " << index << " was fsync'ed but differs on the server";
    }
}

}  // namespace
}  // namespace nfsfuse::it
