// A write error of the server reaches the application: here the export runs out of space
// (NFS3ERR_NOSPC) under a file being written, 64 MiB into a 24 MiB tmpfs.
//   write-behind (the default): write() returns once nfsfuse holds the data and the WRITEs go out
//     in the background, so ENOSPC may come at a later write(), or at fsync() or close(). It must
//     come, as ENOSPC (not EIO, not success), and nothing may hang.
//   cache=none: every write() is a FILE_SYNC WRITE, so the write() itself fails with ENOSPC.
// Afterwards the mount works: once the big file is gone, a small file is written, fsync'ed and
// read back.
// Each test has its own ganesha exporting its own tmpfs, so filling it up disturbs no other test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness/file_data.h"
#include "harness/forked_child.h"
#include "harness/mounted_test.h"
#include "harness/process_resources.h"
#include "harness/shared_memory.h"
#include "harness/syscall_check.h"
#include "harness/tmpfs_mount.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr size_t kExportSize = 24 * kMiB;
constexpr size_t kBytesToWrite = 64 * kMiB;  // well beyond the export: some write must fail
// Filling the export takes well under a second on loopback; anything near this bound is a hang.
constexpr auto kWriterBound = 60s;
// ganesha may hold the removed file open for a moment; its space is free once it lets go.
constexpr auto kSpaceBackBound = 20s;

// Where the writer is, or where it ended.
enum class Step { open, write, fsync, close, done };

const char* step_name(Step step) {
    switch (step) {
        case Step::open:
            return "open()";
        case Step::write:
            return "write()";
        case Step::fsync:
            return "fsync()";
        case Step::close:
            return "close()";
        case Step::done:
            return "nothing (it finished)";
    }
    return "?";
}

// One failed call: which, and its errno.
struct Failure {
    const char* call;
    int error;
};

// What the writer process saw, filled in as it goes, so a writer that hangs still tells where.
struct WriterReport {
    Step step = Step::open;
    size_t bytes_accepted = 0;  // what write() took
    int write_error = 0;        // errno of the write() that failed; 0: none failed
    int fsync_error = 0;        // 0: fsync() succeeded
    int close_error = 0;        // 0: close() succeeded

    std::vector<Failure> failures() const {
        std::vector<Failure> all;
        if (write_error != 0) all.push_back({"write()", write_error});
        if (fsync_error != 0) all.push_back({"fsync()", fsync_error});
        if (close_error != 0) all.push_back({"close()", close_error});
        return all;
    }
    std::string describe() const {
        return std::to_string(bytes_accepted) + " bytes accepted by write(); write() " +
               outcome_text(write_error) + ", fsync() " + outcome_text(fsync_error) + ", close() " +
               outcome_text(close_error);
    }
    static std::string outcome_text(int error) { return error == 0 ? "ok" : errno_text(error); }
};

// In the writer process: write kBytesToWrite in 1 MiB write()s, stopping at the first that fails,
// then fsync() and close(), recording each outcome in report.
void write_beyond_the_free_space(const std::filesystem::path& file, WriterReport& report) {
    UniqueFd fd = open_or_throw(file, O_WRONLY | O_CREAT | O_TRUNC);
    const std::string block = pattern(kMiB, 1);
    report.step = Step::write;
    // A write() that meets the end of the space may take part of its block; the rest goes next.
    // Bounded, should write() keep returning 0.
    for (size_t call = 0; call < 4 * (kBytesToWrite / kMiB); ++call) {
        if (report.bytes_accepted >= kBytesToWrite) break;
        const size_t in_block = report.bytes_accepted % kMiB;
        const ssize_t written = ::write(fd.get(), block.data() + in_block, kMiB - in_block);
        if (written < 0) {
            report.write_error = errno;
            break;
        }
        report.bytes_accepted += static_cast<size_t>(written);
    }
    report.step = Step::fsync;
    if (::fsync(fd.get()) != 0) report.fsync_error = errno;
    report.step = Step::close;
    if (fd.close() != 0) report.close_error = errno;
    report.step = Step::done;
}

// The export is a kExportSize tmpfs, served by a ganesha of this test only.
class OutOfSpaceTest : public MountedTest {
  protected:
    void SetUp() override {
        const auto dir = scratch_root() / current_test_dir_name();
        // Mounted before ganesha starts: ganesha opens DIR/export once, at start-up, and would go
        // on exporting the directory underneath a tmpfs mounted later.
        export_fs_ = std::make_unique<TmpfsMount>(dir / "export", kExportSize);
        own_server_ = std::make_unique<GaneshaServer>(dir);
        MountedTest::SetUp();
    }
    void TearDown() override {
        MountedTest::TearDown();
        own_server_.reset();  // ganesha holds the export open: stop it before unmounting that
        export_fs_.reset();
    }
    GaneshaServer& server() override { return *own_server_; }

    // Runs write_beyond_the_free_space on mnt(name) in a process of its own, so that a hang is a
    // failed assertion here rather than a test stuck until the watchdog.
    ::testing::AssertionResult fill_up(const std::string& name, WriterReport& report) {
        const auto started = Clock::now();
        const std::filesystem::path file = mnt(name);
        ForkedChild writer([&] { write_beyond_the_free_space(file, report); });
        const auto outcome = writer.wait(kWriterBound);
        if (!outcome) {
            writer.signal(SIGKILL);
            writer.wait(10s);  // so the report holds still while we read it
            return ::testing::AssertionFailure()
                   << "the writer still hangs in " << step_name(report.step) << " after "
                   << kWriterBound.count() << " s; so far: " << report.describe();
        }
        const auto elapsed =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
        std::cout << "writer: " << report.describe() << "; " << elapsed.count() << " ms\n";
        if (!outcome->ok()) return ::testing::AssertionFailure() << outcome->describe();
        return ::testing::AssertionSuccess();
    }

    // Every failure the writer saw was ENOSPC: not EIO, not a timeout.
    static ::testing::AssertionResult all_failures_are_enospc(const WriterReport& report) {
        for (const auto& failure : report.failures()) {
            if (failure.error != ENOSPC) {
                return ::testing::AssertionFailure()
                       << failure.call << " failed with " << errno_text(failure.error)
                       << ", expected ENOSPC; " << report.describe();
            }
        }
        return ::testing::AssertionSuccess();
    }

    // Removes the big file, waits until the server's disk has the space back, then checks that a
    // small file is written, fsync'ed and read back through the mount and on the server's disk.
    void expect_mount_works_after_removing(const std::string& big) {
        ASSERT_TRUE(succeeds(SYSCALL(::unlink(mnt(big).c_str()))));
        const auto deadline = Clock::now() + kSpaceBackBound;
        while (export_fs_->available_bytes() < kExportSize / 2 && Clock::now() < deadline)
            std::this_thread::sleep_for(50ms);
        ASSERT_GE(export_fs_->available_bytes(), kExportSize / 2)
            << "the space of the removed file did not come back on the server within "
            << kSpaceBackBound.count() << " s";

        const std::string small = pattern(64 * 1024 + 7, 2);
        UniqueFd fd = open_or_throw(mnt("small.bin"), O_WRONLY | O_CREAT | O_TRUNC);
        pwrite_all(fd.get(), small, 0);
        ASSERT_TRUE(succeeds(SYSCALL(::fsync(fd.get()))));
        ASSERT_TRUE(succeeds(SYSCALL(fd.close())));
        EXPECT_TRUE(read_file(mnt("small.bin")) == small) << "read back through the mount";
        EXPECT_TRUE(read_file(srv("small.bin")) == small) << "on the server's disk";
    }

  private:
    std::unique_ptr<TmpfsMount> export_fs_;
    std::unique_ptr<GaneshaServer> own_server_;
};

// Write-behind: some call of the writer fails (a later write(), or else fsync() or close()), and
// every one that fails says ENOSPC.
TEST_F(OutOfSpaceTest, WriteFsyncOrCloseFailsWithEnospc) {
    SharedMemory<WriterReport> report;
    ASSERT_TRUE(fill_up("big.bin", *report));
    ASSERT_FALSE(report->failures().empty())
        << kBytesToWrite / kMiB << " MiB into a " << kExportSize / kMiB
        << " MiB export, and write(), fsync() and close() all succeeded";
    EXPECT_TRUE(all_failures_are_enospc(*report));
    EXPECT_TRUE(mount().process().running()) << "nfsfuse exited";

    expect_mount_works_after_removing("big.bin");
}

class UncachedOutOfSpaceTest : public OutOfSpaceTest {
  protected:
    std::vector<std::string> extra_mount_options() const override { return {"cache=none"}; }
};

// cache=none holds nothing back: the write() that meets the full disk fails with ENOSPC, and what
// write() accepted before is on the server.
TEST_F(UncachedOutOfSpaceTest, WriteItselfFailsWithEnospc) {
    SharedMemory<WriterReport> report;
    ASSERT_TRUE(fill_up("big.bin", *report));
    EXPECT_NE(report->write_error, 0)
        << "every write() succeeded, expected the one that meets the full disk to fail; "
        << report->describe();
    EXPECT_TRUE(all_failures_are_enospc(*report));
    EXPECT_LE(report->bytes_accepted, kExportSize) << "write() accepted more than fits";
    EXPECT_GE(lstat_or_throw(srv("big.bin")).st_size, static_cast<off_t>(report->bytes_accepted))
        << "write() accepted data that is not on the server";
    EXPECT_TRUE(mount().process().running()) << "nfsfuse exited";

    expect_mount_works_after_removing("big.bin");
}

}  // namespace
}  // namespace nfsfuse::it
