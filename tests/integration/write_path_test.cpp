// Regression tests of the write path (issue 11): what close() and fsync() acknowledged is on the
// server whatever the server does afterwards, and what a truncate removed never comes back. The
// Linux kernel NFS client is the reference: it settles (sends and COMMITs) what is owed before a
// SETATTR of the size, COMMITs only the requests it snapshotted, keeps what an interrupted fsync
// did not write owed, and writes everything back before an unmount or a signal ends it.
//
// The file operations run in a forked child (harness/checkpoints.h) that stops where the test
// restarts the server: every command the test process runs would close its descriptors on exec,
// and each close is a FUSE flush that would settle what the scenario keeps owed.
//
// Each test failed on c886040 in every run (at least 3 runs over NFSv4.1 and 3 over NFSv3).
//
// Not here: scenario 5 (op_write drops the block cache before it gathers, so a concurrent read
// can cache pre-write data). With O_DIRECT reads, which do reach nfsfuse, a 5 s loop of write,
// then read back, against a reader hammering the same block saw 1 stale read in 2221 rounds over
// NFSv4.1 and none in 2743 over NFSv3: before every such read the kernel (auto_inval_data, its
// size attribute invalidated by the write) sends GETATTR, and its new change stamp drops the
// blocks fetched under the old one. Too rare to be a regression test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "harness/checkpoints.h"
#include "harness/errno_case.h"
#include "harness/file_data.h"
#include "harness/forked_child.h"
#include "harness/mounted_test.h"
#include "harness/own_server_test.h"
#include "harness/rpc_proxy.h"
#include "harness/server_crash.h"
#include "harness/shared_memory.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;

// gtest finds the printer of our parameter structs (errno_case.h) through this.
using ::nfsfuse::it::operator<<;

// Longer than a WRITE (1 MiB): the data is sent UNSTABLE and stays owed until a COMMIT.
constexpr size_t kWritten = 2 * kMiB;
constexpr auto kStepBound = 30s;

// Waits for the child at `name`; fails the test when it does not get there.
::testing::AssertionResult reached(Checkpoints& steps, ForkedChild& child,
                                   const std::string& name) {
    const std::optional<std::string> got = steps.wait_reached(kStepBound);
    if (got == name) return ::testing::AssertionSuccess();
    auto failure = ::testing::AssertionFailure() << "the child did not reach " << name << ": ";
    if (got) return failure << "it reached " << *got;
    const auto outcome = child.wait(1s);
    return failure << (outcome ? outcome->describe() : "it hangs");
}

// The child ended within the bound and reported no failure.
::testing::AssertionResult finished(ForkedChild& child) {
    const auto outcome = child.wait(60s);
    if (!outcome) return ::testing::AssertionFailure() << "the child hangs";
    if (!outcome->ok()) return ::testing::AssertionFailure() << outcome->describe();
    return ::testing::AssertionSuccess();
}

void close_or_fail(UniqueFd& fd, const std::string& what) {
    child_require(SYSCALL(fd.close()), "close() of " + what);
}

class WritePathTest : public OwnServerTest {
  protected:
    // hard: calls made while the server restarts wait for it instead of failing.
    std::vector<std::string> extra_mount_options() const override {
        return {"hard", "timeo=10", "retrans=1"};
    }

    // Runs `body` in a child. Where it calls crash(), the server crashes, losing `lost` of
    // srv(name) (see harness/server_crash.h), and restarts; then the body goes on.
    void run_with_crash(const std::string& name, const std::vector<ByteRange>& lost,
                        const std::function<void(const std::function<void()>& crash)>& body) {
        Checkpoints steps;
        ForkedChild child([&] { body([&] { steps.reach("crash"); }); });
        ASSERT_TRUE(reached(steps, child, "crash"));
        crash_and_restart(server(), srv(name), lost);
        steps.resume();
        ASSERT_TRUE(finished(child));
    }
};

// --- Scenario 0 (and 3): truncated data comes back after a server restart ------------------------
// SETATTR(size) and O_TRUNC send the gathered data but leave it owed (uncommitted); after the
// restart the close sees a new verifier and sends it all again, over the truncation.

TEST_F(WritePathTest, FtruncateToZeroStaysEmptyAcrossARestart) {
    const auto file = mnt("truncated.bin");
    ASSERT_NO_FATAL_FAILURE(run_with_crash("truncated.bin", {}, [&](const auto& crash) {
        UniqueFd fd = open_or_throw(file, O_WRONLY | O_CREAT | O_TRUNC);
        pwrite_all(fd.get(), pattern(kWritten, 1), 0);
        child_require(SYSCALL(::ftruncate(fd.get(), 0)), "ftruncate");
        crash();
        close_or_fail(fd, "the truncated file");
    }));
    EXPECT_EQ(lstat_or_throw(srv("truncated.bin")).st_size, 0)
        << "data written before ftruncate(0) came back after the server restarted";
}

TEST_F(WritePathTest, FtruncateToASmallerSizeKeepsOnlyTheBytesBelowIt) {
    constexpr size_t kNewSize = kMiB + 4321;
    const std::string data = pattern(kWritten, 2);
    const auto file = mnt("shortened.bin");
    ASSERT_NO_FATAL_FAILURE(run_with_crash("shortened.bin", {}, [&](const auto& crash) {
        UniqueFd fd = open_or_throw(file, O_WRONLY | O_CREAT | O_TRUNC);
        pwrite_all(fd.get(), data, 0);
        child_require(SYSCALL(::ftruncate(fd.get(), kNewSize)), "ftruncate");
        crash();
        close_or_fail(fd, "the shortened file");
    }));
    EXPECT_EQ(difference(read_file(srv("shortened.bin")), data.substr(0, kNewSize)), "")
        << "the server's file after ftruncate(" << kNewSize << "), a restart and close()";
}

// The data is another descriptor's, pending when open(O_TRUNC) empties the file.
TEST_F(WritePathTest, OpenWithOTruncStaysEmptyAcrossARestart) {
    const auto file = mnt("reopened.bin");
    ASSERT_NO_FATAL_FAILURE(run_with_crash("reopened.bin", {}, [&](const auto& crash) {
        UniqueFd writer = open_or_throw(file, O_WRONLY | O_CREAT | O_TRUNC);
        pwrite_all(writer.get(), pattern(kWritten, 3), 0);
        UniqueFd truncating = open_or_throw(file, O_WRONLY | O_TRUNC);
        crash();
        close_or_fail(truncating, "the descriptor opened with O_TRUNC");
        close_or_fail(writer, "the descriptor that wrote");
    }));
    EXPECT_EQ(lstat_or_throw(srv("reopened.bin")).st_size, 0)
        << "data written before open(O_TRUNC) came back after the server restarted";
}

// --- Scenario 1: a COMMIT clears what was written while it was on the wire ---------------------
// The close of one descriptor COMMITs; while the COMMIT is on the wire, another descriptor's
// WRITE is sent and answered. When the COMMIT's reply comes, today every uncommitted extent is
// dropped, that WRITE's too, though the COMMIT cannot have covered it; the other descriptor's
// close then has nothing to commit, and a crash loses the data.
//
// Made deterministic with a proxy (harness/rpc_proxy.h) that holds the COMMIT's reply back for
// 2 s: the second WRITE starts only after the server has answered the COMMIT, so the server
// executed it after the COMMIT and a real crash could lose it. The crash then overwrites just that
// WRITE's range; what the first close acknowledged stays.

TEST_F(WritePathTest, CommitKeepsWritesAnsweredWhileItWasOnTheWire) {
    const std::string first = pattern(kWritten, 6);
    const std::string second = pattern(kMiB, 7);  // one full WRITE: sent at once
    RpcProxy proxy(server().nfs_port());
    const auto through_proxy = mount_export({"hard", "port=" + std::to_string(proxy.port())});
    const auto file = through_proxy->path() / work_name() / "shared.bin";

    Checkpoints closer_steps;
    ForkedChild closer([&] {
        UniqueFd fd = open_or_throw(file, O_WRONLY | O_CREAT | O_TRUNC);
        pwrite_all(fd.get(), first, 0);
        closer_steps.reach("written");
        close_or_fail(fd, "the first descriptor");
    });
    ASSERT_TRUE(reached(closer_steps, closer, "written"));
    Checkpoints writer_steps;
    ForkedChild writer([&] {
        UniqueFd fd = open_or_throw(file, O_WRONLY);
        writer_steps.reach("opened");
        pwrite_all(fd.get(), second, static_cast<off_t>(first.size()));
        writer_steps.reach("written");
        close_or_fail(fd, "the second descriptor");
    });
    ASSERT_TRUE(reached(writer_steps, writer, "opened"));

    proxy.delay_commit_replies(2s);
    const size_t commits = proxy.commit_replies();
    closer_steps.resume();  // close(): FLUSH, COMMIT
    ASSERT_TRUE(proxy.wait_for_commit_reply(commits, 10s)) << "close() sent no COMMIT";
    writer_steps.resume();  // its WRITE is answered long before the held COMMIT reply
    ASSERT_TRUE(reached(writer_steps, writer, "written"));
    ASSERT_TRUE(finished(closer));
    proxy.delay_commit_replies(0s);

    crash_and_restart(server(), srv("shared.bin"), {{first.size(), second.size()}});
    writer_steps.resume();
    ASSERT_TRUE(finished(writer));
    EXPECT_EQ(difference(read_file(srv("shared.bin")), first + second), "")
        << "the second descriptor's close() succeeded, but its data is not on the server";
}

// --- Scenario 2: an interrupted resend forgets the rest ------------------------------------------
// After a crash the fsync sends every uncommitted extent again, one after the other. A signal
// stops it (EINTR, as FUSE interrupts allow); today the extents not yet resent are dropped without
// a failure, and the next fsync and close succeed. A correct client may return EINTR, but then
// the data stays owed: a later fsync or close writes it, or fails.
//
// The signal: a one-shot timer (SIGALRM, handler without SA_RESTART) armed before each fsync,
// firing 4 ms later at the first attempt, 8 ms at the second and so on, so that one attempt is
// interrupted while the 48 MiB are resent (which takes ~100 ms here); attempts interrupted earlier
// lose nothing and are simply repeated. Today the first or second attempt is cut short within the
// resend, the next fsync succeeds, and all but the first MiB or so still hold the crash marker.

constexpr size_t kResent = 48 * kMiB;  // below nfsfuse's 64 MiB commit threshold
constexpr int kFsyncAttempts = 200;

struct InterruptReport {
    int interrupted = 0;  // fsync calls that returned EINTR
    int fsync_error = 0;  // errno of the fsync that ended the loop; 0: it succeeded
    int close_error = 0;
};

void on_alarm(int) {}

void arm_alarm(std::chrono::microseconds delay) {
    itimerval timer{};
    timer.it_value.tv_sec = static_cast<time_t>(delay.count() / 1000000);
    timer.it_value.tv_usec = static_cast<suseconds_t>(delay.count() % 1000000);
    ::setitimer(ITIMER_REAL, &timer, nullptr);
}

TEST_F(WritePathTest, InterruptedResendLeavesTheRestOwed) {
    const std::string data = pattern(kResent, 4);
    SharedMemory<InterruptReport> report;
    const auto file = mnt("resent.bin");
    // Nothing of it was acknowledged: the crash may lose all of it.
    ASSERT_NO_FATAL_FAILURE(run_with_crash("resent.bin", {{0, kResent}}, [&](const auto& crash) {
        struct sigaction action {};
        action.sa_handler = on_alarm;  // no SA_RESTART: the fsync returns EINTR
        sigemptyset(&action.sa_mask);
        child_require(::sigaction(SIGALRM, &action, nullptr) == 0, "sigaction");
        UniqueFd fd = open_or_throw(file, O_WRONLY | O_CREAT | O_TRUNC);
        pwrite_all(fd.get(), data, 0);
        crash();
        for (int attempt = 1; attempt <= kFsyncAttempts; ++attempt) {
            arm_alarm(std::chrono::milliseconds(4) * attempt);
            const int result = ::fsync(fd.get());
            const int error = errno;
            arm_alarm({});
            if (result == 0) break;
            if (error != EINTR) {
                report->fsync_error = error;
                break;
            }
            ++report->interrupted;
        }
        if (fd.close() != 0) report->close_error = errno;
    }));
    std::cout << report->interrupted << " fsync calls interrupted; the last fsync "
              << errno_text(report->fsync_error) << ", close " << errno_text(report->close_error)
              << "\n";
    if (report->fsync_error != 0 || report->close_error != 0) return;  // reported: allowed
    EXPECT_EQ(difference(read_file(srv("resent.bin")), data), "")
        << "fsync and close succeeded after " << report->interrupted
        << " interrupted fsync calls, but the server's file is not what was written";
}

// --- Scenario 4: a signal ends nfsfuse with data gathered but not sent ---------------------------
// A program wrote a few KiB (less than one WRITE, so nfsfuse only gathered them) and has not closed
// the file when nfsfuse is told to stop. Like the kernel client at unmount, nfsfuse must write it
// back before it exits, and exit 0 when it could.

struct StopCase {
    std::string name;
    int signal;
};

class StopWithOpenFileTest : public MountedTest, public ::testing::WithParamInterface<StopCase> {};

TEST_P(StopWithOpenFileTest, GatheredDataOfAnOpenFileReachesTheServer) {
    const std::string data = pattern(5000, 5);
    Checkpoints steps;
    const auto file = mnt("open.bin");
    ForkedChild child([&] {
        UniqueFd fd = open_or_throw(file, O_WRONLY | O_CREAT | O_TRUNC);
        pwrite_all(fd.get(), data, 0);
        steps.reach("written");
        fd.close();  // the mount is gone by now: whatever it says
    });
    ASSERT_TRUE(reached(steps, child, "written"));
    mount().process().signal(GetParam().signal);
    const auto status = mount().process().wait(20s);
    steps.resume();
    ASSERT_TRUE(finished(child));
    ASSERT_TRUE(status.has_value()) << "nfsfuse still runs 20 s after " << GetParam().name;
    EXPECT_TRUE(status->exited_with(0)) << "nfsfuse " << status->describe();
    EXPECT_EQ(difference(read_file(srv("open.bin")), data), "")
        << "data written (not closed) before nfsfuse got " << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(Signals, StopWithOpenFileTest,
                         ::testing::Values(StopCase{"SIGTERM", SIGTERM},
                                           StopCase{"SIGINT", SIGINT}),
                         ParamName());

}  // namespace
}  // namespace nfsfuse::it
