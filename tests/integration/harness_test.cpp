// Tests of the test harness itself, independent of nfsfuse: ganesha starts, serves its export over
// NFSv3, restarts on the same ports; commands are captured and timed out; mounting reports a
// missing or failing nfsfuse clearly.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>

#include "harness/command.h"
#include "harness/file_data.h"
#include "harness/forked_child.h"
#include "harness/ganesha_server.h"
#include "harness/harness_error.h"
#include "harness/mountinfo.h"
#include "harness/nfsfuse_mount.h"
#include "harness/process_resources.h"
#include "harness/syscall_check.h"
#include "harness/temp_dir.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;

// nfs-ls from libnfs-utils: an NFSv3 client independent of nfsfuse.
CommandResult list_with_libnfs(const GaneshaServer& server) {
    const std::string url = "nfs://127.0.0.1" + server.export_dir().string() +
                            "?nfsport=" + std::to_string(server.nfs_port()) +
                            "&mountport=" + std::to_string(server.mount_port()) + "&version=3";
    return run_command({"nfs-ls", url}, {.timeout = 20s});
}

TEST(HarnessCommand, CapturesOutputAndExitCode) {
    const auto result = run_command({"sh", "-c", "echo out; echo err >&2; exit 3", "ignored"});
    EXPECT_FALSE(result.timed_out);
    EXPECT_TRUE(result.status.exited_with(3)) << result.describe();
    EXPECT_EQ(result.out, "out\n");
    EXPECT_EQ(result.err, "err\n");
}

TEST(HarnessCommand, KillsACommandAtItsDeadline) {
    const auto result = run_command({"sleep", "30"}, {.timeout = 300ms});
    EXPECT_TRUE(result.timed_out);
    EXPECT_EQ(result.status.signal, SIGKILL) << result.describe();
    EXPECT_LT(result.elapsed, 5s);
}

TEST(HarnessCommand, ReportsACommandThatCannotBeExecuted) {
    try {
        run_command({"/nonexistent/nfsfuse-no-such-program"});
        FAIL() << "expected HarnessError";
    } catch (const HarnessError& error) {
        EXPECT_NE(std::string(error.what()).find("ENOENT"), std::string::npos) << error.what();
    }
}

TEST(HarnessMountinfo, ParsesEscapedMountPoints) {
    const auto entries = parse_mountinfo(
        "36 35 98:0 / /mnt/with\\040space rw,relatime shared:1 - fuse.nfsfuse "
        "127.0.0.1:/srv/x rw,user_id=0\n"
        "37 35 98:0 / /plain rw - ext4 /dev/vda rw\n");
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].mount_point, "/mnt/with space");
    EXPECT_EQ(entries[0].fs_type, "fuse.nfsfuse");
    EXPECT_EQ(entries[0].source, "127.0.0.1:/srv/x");
    EXPECT_EQ(entries[1].mount_point, "/plain");
    EXPECT_EQ(entries[1].fs_type, "ext4");
}

TEST(HarnessGanesha, ServesItsExportOverNfsV3) {
    GaneshaServer& server = shared_server();
    write_file(server.export_dir() / "harness-probe.txt", "probe");
    const auto listing = list_with_libnfs(server);
    ASSERT_TRUE(listing.succeeded()) << listing.describe() << "\n" << server.log_tail();
    EXPECT_NE(listing.out.find("harness-probe.txt"), std::string::npos) << listing.describe();
    std::filesystem::remove(server.export_dir() / "harness-probe.txt");
}

TEST(HarnessGanesha, RestartsOnTheSamePortsWithTheSameExport) {
    GaneshaServer server(scratch_root() / "restart-test");
    write_file(server.export_dir() / "kept.txt", "kept");
    const auto nfs_port = server.nfs_port();
    const auto mount_port = server.mount_port();

    server.stop();
    const auto while_down = list_with_libnfs(server);
    EXPECT_FALSE(while_down.succeeded()) << "the export answered while ganesha was stopped:\n"
                                         << while_down.describe();

    server.start();
    EXPECT_EQ(server.nfs_port(), nfs_port);
    EXPECT_EQ(server.mount_port(), mount_port);
    const auto after_restart = list_with_libnfs(server);
    ASSERT_TRUE(after_restart.succeeded()) << after_restart.describe() << "\n" << server.log_tail();
    EXPECT_NE(after_restart.out.find("kept.txt"), std::string::npos) << after_restart.describe();
}

TEST(HarnessGanesha, TwoServersRunSideBySide) {
    GaneshaServer first(scratch_root() / "side-by-side-1");
    GaneshaServer second(scratch_root() / "side-by-side-2");
    EXPECT_NE(first.nfs_port(), second.nfs_port());
    write_file(second.export_dir() / "only-on-second", "x");
    const auto listing = list_with_libnfs(second);
    ASSERT_TRUE(listing.succeeded()) << listing.describe();
    EXPECT_NE(listing.out.find("only-on-second"), std::string::npos);
    EXPECT_TRUE(list_with_libnfs(first).succeeded());
}

TEST(HarnessMount, MissingBinaryIsReportedClearly) {
    try {
        NfsfuseMount mount(scratch_root(), {.source = "127.0.0.1:/nowhere",
                                            .binary = "/nonexistent/build/fusefs/nfsfuse"});
        FAIL() << "expected HarnessError";
    } catch (const HarnessError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("nfsfuse binary not found at /nonexistent/build/fusefs/nfsfuse"),
                  std::string::npos)
            << message;
    }
}

TEST(HarnessMount, NfsfuseExitingEarlyIsReportedWithItsOutput) {
    TempDir tools("nfsfuse-it.fake");
    const auto fake = tools.path() / "nfsfuse";
    write_file(fake, "#!/bin/sh\necho 'fake nfsfuse: cannot reach server' >&2\nexit 4\n", 0755);
    try {
        NfsfuseMount mount(scratch_root(), {.source = "127.0.0.1:/nowhere", .binary = fake});
        FAIL() << "expected HarnessError";
    } catch (const HarnessError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("exit code 4 before mounting"), std::string::npos) << message;
        EXPECT_NE(message.find("fake nfsfuse: cannot reach server"), std::string::npos) << message;
    }
}

TEST(HarnessMount, NfsfuseThatNeverMountsTimesOut) {
    TempDir tools("nfsfuse-it.fake");
    const auto fake = tools.path() / "nfsfuse";
    write_file(fake, "#!/bin/sh\necho 'fake nfsfuse: hanging'\nexec sleep 60\n", 0755);
    const auto started = std::chrono::steady_clock::now();
    try {
        NfsfuseMount mount(scratch_root(),
                           {.source = "127.0.0.1:/nowhere", .binary = fake, .ready_timeout = 1s});
        FAIL() << "expected HarnessError";
    } catch (const HarnessError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("did not mount within 1000 ms"), std::string::npos) << message;
        EXPECT_NE(message.find("fake nfsfuse: hanging"), std::string::npos) << message;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, 15s);
}

// A child's failed call must name its own errno, not whatever errno held before it: the check's
// message may be built before the call (argument order is the compiler's choice).
TEST(HarnessForkedChild, AFailedCallNamesItsOwnErrno) {
    ForkedChild child([] {
        errno = 0;
        child_require(SYSCALL(::close(-1)), "closing no descriptor");
    });
    const auto outcome = child.wait(10s);
    ASSERT_TRUE(outcome.has_value()) << "the child did not finish";
    EXPECT_FALSE(outcome->ok());
    EXPECT_NE(outcome->failure.find("closing no descriptor"), std::string::npos)
        << outcome->failure;
    EXPECT_NE(outcome->failure.find("EBADF"), std::string::npos) << outcome->failure;
}

}  // namespace
}  // namespace nfsfuse::it
