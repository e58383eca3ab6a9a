// nconnect=4 through a real mount (NFSv4.1 by default: one session over four connections): the
// mount makes four connections to the server and the data goes over the three beyond the first,
// and neither a server restart nor resets of data connections (ss -K) in the middle of parallel
// reads and writes change a byte.
//
// The readers and writers are processes, not threads: ganesha.sh, started by this process to
// stop and start the server, would inherit this process's descriptors (see
// restart_during_writes_test.cpp).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness/command.h"
#include "harness/file_data.h"
#include "harness/forked_child.h"
#include "harness/harness_error.h"
#include "harness/own_server_test.h"
#include "harness/process_resources.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr size_t kStripes = 4;  // threads per reader or writer, each on its own stripe
constexpr size_t kStripe = 2 * kMiB;
constexpr size_t kFileSize = kStripes * kStripe;
constexpr uint64_t kReadSeed = 77;

// An established TCP connection to the server, seen from the client's side.
struct ClientConnection {
    uint16_t local_port = 0;
    uint64_t bytes = 0;  // sent and received
};

uint64_t ss_counter(const std::string& info, const std::string& name) {
    const size_t at = info.find(" " + name + ":");
    return at == std::string::npos ? 0 : std::stoull(info.substr(at + name.size() + 2));
}

// The client sides of the established connections to 127.0.0.1:`port` (ss(8), with their byte
// counters).
std::vector<ClientConnection> connections_to(uint16_t port) {
    const CommandResult listed =
        run_command({"ss", "-tniH", "state", "established", "dst", "127.0.0.1", "dport", "=",
                     ":" + std::to_string(port)});
    if (!listed.succeeded()) throw HarnessError("ss: " + listed.describe());
    std::vector<ClientConnection> connections;
    std::istringstream lines(listed.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        if (line[0] != ' ' && line[0] != '\t') {  // Recv-Q Send-Q local:port peer:port
            std::istringstream fields(line);
            std::string receive_queue, send_queue, local;
            fields >> receive_queue >> send_queue >> local;
            connections.push_back(
                {static_cast<uint16_t>(std::stoul(local.substr(local.rfind(':') + 1)))});
        } else if (!connections.empty()) {  // its TCP information
            connections.back().bytes =
                ss_counter(line, "bytes_acked") + ss_counter(line, "bytes_received");
        }
    }
    return connections;
}

// Resets the connection from local port `local_port` to 127.0.0.1:`port` (ss -K: the client
// sees ECONNABORTED, the server a reset).
void reset_connection(uint16_t port, uint16_t local_port) {
    const CommandResult killed =
        run_command({"ss", "-K", "dst", "127.0.0.1", "dport", "=", ":" + std::to_string(port),
                     "sport", "=", ":" + std::to_string(local_port)});
    if (!killed.succeeded()) throw HarnessError("ss -K: " + killed.describe());
}

// Lines in a progress log, each a finished pass.
size_t passes_logged(const std::filesystem::path& log) {
    std::ifstream in(log);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t lines = 0;
    for (const char c : content) lines += c == '\n';
    return lines;
}

size_t wait_for_passes(const std::filesystem::path& log, size_t count, Clock::duration bound) {
    const auto deadline = Clock::now() + bound;
    size_t seen = passes_logged(log);
    while (seen < count && Clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
        seen = passes_logged(log);
    }
    return seen;
}

void log_pass(const std::filesystem::path& log, size_t pass) {
    UniqueFd fd = open_or_throw(log, O_WRONLY | O_CREAT | O_APPEND);
    const std::string line = std::to_string(pass) + "\n";
    child_require(::write(fd.get(), line.data(), line.size()) == static_cast<ssize_t>(line.size()),
                  "logging pass " + std::to_string(pass));
}

// Runs `stripe(index)` on kStripes threads at once; the first failure (a thrown message) fails
// the child.
void on_all_stripes(const std::function<void(size_t)>& stripe) {
    std::vector<std::string> failures(kStripes);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < kStripes; ++i) {
        threads.emplace_back([&, i] {
            try {
                stripe(i);
            } catch (const std::exception& error) {
                failures[i] = error.what();
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    for (const std::string& failure : failures) child_require(failure.empty(), failure);
}

// Reads `file` again and again (opened anew each pass: cache=meta drops the kernel's pages at
// open, so every pass asks the server), its stripes in parallel, until `stop` exists; every
// byte must be what the server holds.
void read_until(const std::filesystem::path& file, const std::filesystem::path& log,
                const std::filesystem::path& stop) {
    const std::string expected = pattern(kFileSize, kReadSeed);
    for (size_t pass = 0; !std::filesystem::exists(stop); ++pass) {
        UniqueFd fd = open_or_throw(file, O_RDONLY);
        on_all_stripes([&](size_t i) {
            std::string got(kStripe, '\0');
            size_t done = 0;
            while (done < kStripe) {
                const ssize_t n = ::pread(fd.get(), got.data() + done, kStripe - done,
                                          static_cast<off_t>(i * kStripe + done));
                if (n <= 0)
                    throw std::runtime_error("pread of stripe " + std::to_string(i) + ": " +
                                             (n < 0 ? errno_text(errno) : "end of file"));
                done += static_cast<size_t>(n);
            }
            if (got != expected.substr(i * kStripe, kStripe))
                throw std::runtime_error("pass " + std::to_string(pass) + ": stripe " +
                                         std::to_string(i) + " read wrong bytes");
        });
        log_pass(log, pass);
    }
}

// The contents a writer's pass `pass` gives its file.
std::string written_in(size_t pass) {
    return pattern(kFileSize, 1000 + pass);
}

// Writes `file` whole again and again, its stripes in parallel, each pass with other bytes,
// fsync'ed and logged, until `stop` exists.
void write_until(const std::filesystem::path& file, const std::filesystem::path& log,
                 const std::filesystem::path& stop) {
    UniqueFd fd = open_or_throw(file, O_WRONLY | O_CREAT | O_TRUNC);
    for (size_t pass = 0; !std::filesystem::exists(stop); ++pass) {
        const std::string data = written_in(pass);
        on_all_stripes([&](size_t i) {
            pwrite_all(fd.get(), std::string_view(data).substr(i * kStripe, kStripe),
                       static_cast<off_t>(i * kStripe));
        });
        child_require(SYSCALL(::fsync(fd.get())), "fsync of pass " + std::to_string(pass));
        log_pass(log, pass);
    }
    child_require(SYSCALL(fd.close()), "close");
}

class NconnectTest : public OwnServerTest {
  protected:
    // hard: the calls wait the outage out; cache=meta: every read pass goes to the server.
    std::vector<std::string> extra_mount_options() const override {
        return {"nconnect=4", "hard", "timeo=10", "retrans=1", "cache=meta"};
    }

    std::filesystem::path scratch(const std::string& what) const {
        const std::filesystem::path path = scratch_root() / (current_test_dir_name() + what);
        std::filesystem::remove(path);
        return path;
    }

    // Parallel readers and writers through `mount_dir` (a directory of this test's work
    // directory, through some mount) while `disturb` runs; then checks every byte.
    void read_and_write_through(const std::filesystem::path& mount_dir,
                                const std::function<void()>& disturb) {
        write_file(srv("read.bin"), pattern(kFileSize, kReadSeed));
        const std::filesystem::path read_log = scratch(".read"), write_log = scratch(".written");
        const std::filesystem::path stop = scratch(".stop");
        ForkedChild reader([&] { read_until(mount_dir / "read.bin", read_log, stop); });
        ForkedChild writer([&] { write_until(mount_dir / "written.bin", write_log, stop); });
        ASSERT_GE(wait_for_passes(read_log, 2, 60s), 2u) << "the reader never got going";
        ASSERT_GE(wait_for_passes(write_log, 2, 60s), 2u) << "the writer never got going";

        const size_t read_before = passes_logged(read_log);
        const size_t written_before = passes_logged(write_log);
        disturb();
        EXPECT_GE(wait_for_passes(read_log, read_before + 3, 90s), read_before + 3)
            << "the reader did not go on";
        EXPECT_GE(wait_for_passes(write_log, written_before + 3, 90s), written_before + 3)
            << "the writer did not go on";
        write_file(stop, "");
        const auto read_outcome = reader.wait(120s);
        const auto write_outcome = writer.wait(120s);
        ASSERT_TRUE(read_outcome.has_value()) << "the reader hangs";
        ASSERT_TRUE(write_outcome.has_value()) << "the writer hangs";
        EXPECT_TRUE(read_outcome->ok()) << read_outcome->describe();
        ASSERT_TRUE(write_outcome->ok()) << write_outcome->describe();

        const size_t passes = passes_logged(write_log);
        std::cout << passes_logged(read_log) << " read passes, " << passes << " write passes of "
                  << kFileSize / kMiB << " MiB\n";
        Fnv1a expected, on_server;
        expected.update(std::string_view(written_in(passes - 1)));
        on_server.update(std::string_view(read_file(srv("written.bin"))));
        EXPECT_EQ(on_server.value(), expected.value())
            << "the server's copy is not the last pass fsync'ed";
    }
};

TEST_F(NconnectTest, TheMountMakesFourConnectionsAndSpreadsTheDataOverThem) {
    EXPECT_EQ(connections_to(server().nfs_port()).size(), 4u);
    // 32 MiB each way; the metadata connection carries only OPEN, GETATTR and the like.
    const std::string data = pattern(8 * kMiB, 31);
    for (int i = 0; i < 4; ++i) write_file(mnt("f" + std::to_string(i)), data);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(read_file(mnt("f" + std::to_string(i))), data);
    std::vector<ClientConnection> connections = connections_to(server().nfs_port());
    ASSERT_EQ(connections.size(), 4u) << "no connection was made again";
    std::sort(connections.begin(), connections.end(),
              [](const auto& a, const auto& b) { return a.bytes < b.bytes; });
    std::cout << "bytes per connection:";
    for (const ClientConnection& connection : connections) std::cout << " " << connection.bytes;
    std::cout << "\n";
    EXPECT_LT(connections[0].bytes, 2 * kMiB) << "the metadata connection carried data";
    // 64 MiB over three: each carried a good part of it.
    for (size_t i = 1; i < 4; ++i) EXPECT_GT(connections[i].bytes, 10 * kMiB) << i;
}

TEST_F(NconnectTest, AServerRestartDuringParallelReadsAndWritesKeepsEveryByte) {
    read_and_write_through(mnt(), [&] {
        server().stop();
        // ganesha's write verifier is its start time in seconds: restarted within the same
        // second it would keep it, and nfsfuse could not tell the restart happened.
        std::this_thread::sleep_for(1100ms);
        server().start();
    });
    EXPECT_EQ(connections_to(server().nfs_port()).size(), 4u) << "every connection made again";
}

// Three times, the busiest data connection is reset in the middle of the reads and writes (its
// calls are sent again over it, made again and bound to the session again); the metadata
// connection, the one with the fewest bytes, is left alone and stays.
TEST_F(NconnectTest, ResetDataConnectionsDuringParallelReadsAndWritesKeepEveryByte) {
    const uint16_t port = server().nfs_port();
    uint16_t metadata = 0;
    read_and_write_through(mnt(), [&] {
        for (int reset = 0; reset < 3; ++reset) {
            std::vector<ClientConnection> connections = connections_to(port);
            ASSERT_EQ(connections.size(), 4u);
            std::sort(connections.begin(), connections.end(),
                      [](const auto& a, const auto& b) { return a.bytes < b.bytes; });
            if (metadata == 0) metadata = connections.front().local_port;
            ASSERT_NE(connections.back().local_port, metadata);
            reset_connection(port, connections.back().local_port);
            std::this_thread::sleep_for(500ms);  // traffic over the connection made again
        }
    });
    const std::vector<ClientConnection> connections = connections_to(port);
    EXPECT_EQ(connections.size(), 4u) << "every data connection made again";
    EXPECT_TRUE(std::any_of(connections.begin(), connections.end(), [&](const auto& c) {
        return c.local_port == metadata;
    })) << "the metadata connection was reset too";
}

}  // namespace
}  // namespace nfsfuse::it
