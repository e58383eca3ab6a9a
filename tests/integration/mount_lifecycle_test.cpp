// How nfsfuse mounts and goes away: daemonizing by default, the nfs:// source form, mount(8) with
// -t fuse.nfsfuse and umount(8), SIGTERM/SIGINT and fusermount3 -u ending a foreground nfsfuse with
// exit code 0, read-only mounts, and a mount by an unprivileged user.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "harness/command.h"
#include "harness/errno_case.h"
#include "harness/file_data.h"
#include "harness/forked_child.h"
#include "harness/mount_cleanup.h"
#include "harness/mounted_test.h"
#include "harness/mountinfo.h"
#include "harness/mountpoint.h"
#include "harness/nfsfuse_mount.h"
#include "harness/paths.h"
#include "harness/process_resources.h"
#include "harness/syscall_check.h"
#include "harness/temp_dir.h"
#include "harness/test_user.h"

namespace nfsfuse::it {
namespace {

// gtest finds the printer of our parameter structs (errno_case.h) through this.
using ::nfsfuse::it::operator<<;

using namespace std::chrono_literals;

// Polls until every pid has exited.
bool all_exit_within(const std::vector<pid_t>& pids, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        bool all_gone = true;
        for (pid_t pid : pids) all_gone = all_gone && process_is_gone(pid);
        if (all_gone) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(50ms);
    }
}

class MountLifecycleTest : public ServerTest {
  protected:
    // Writes through a mount of the export and checks the server got it.
    void expect_mount_works(const std::filesystem::path& mount_root, const std::string& file) {
        const auto through_mount = mount_root / work_name() / file;
        write_file(through_mount, "written via " + file);
        EXPECT_EQ(read_file(through_mount), "written via " + file);
        EXPECT_EQ(read_file(srv(file)), "written via " + file) << "on the server";
    }
};

TEST_F(MountLifecycleTest, DaemonizesByDefaultAndExitsAfterUnmount) {
    require_executable(nfsfuse_binary());
    Mountpoint mountpoint(scratch_root());
    const auto started =
        run_command({nfsfuse_binary().string(), server().source(), mountpoint.path().string(), "-o",
                     join_options(server().connection_options())},
                    {.timeout = 30s});
    ASSERT_TRUE(started.succeeded()) << started.describe();
    ASSERT_TRUE(mountpoint.nfsfuse_mounted()) << "nfsfuse returned before the mount existed";
    const auto daemons = nfsfuse_processes_for(mountpoint.path());
    EXPECT_EQ(daemons.size(), 1u) << "expected one daemon serving the mount";
    expect_mount_works(mountpoint.path(), "daemonized.txt");

    const auto unmounted = run_command({"fusermount3", "-u", mountpoint.path().string()});
    ASSERT_TRUE(unmounted.succeeded()) << unmounted.describe();
    EXPECT_FALSE(mountpoint.mounted());
    EXPECT_TRUE(all_exit_within(daemons, 10s)) << "the daemon still runs after the unmount";
}

// One SOURCE, the export's real path, for both versions (the v4 pseudo path equals it, as on
// Linux knfsd): nfsfuse's default NFSv4.1 needs only the NFS port, NFSv3 also the MOUNT port.
TEST_F(MountLifecycleTest, TheSameSourceMountsOverNfs41ByDefaultAndOverNfs3) {
    const std::string port = "port=" + std::to_string(server().nfs_port());
    NfsfuseMount v41(scratch_root(), {.source = server().source(), .options = {port}});
    expect_mount_works(v41.path(), "over-default-version.txt");
    NfsfuseMount v3(
        scratch_root(),
        {.source = server().source(),
         .options = {"vers=3", port, "mountport=" + std::to_string(server().mount_port())}});
    expect_mount_works(v3.path(), "over-nfs3.txt");
    EXPECT_EQ(read_file(v3.path() / work_name() / "over-default-version.txt"),
              "written via over-default-version.txt")
        << "both mounts show the same directory";
}

// The NFS port comes from the URL alone: every connection option but port= is still given.
TEST_F(MountLifecycleTest, NfsUrlSourceMounts) {
    std::vector<std::string> options = server().connection_options();
    std::erase_if(options, [](const std::string& option) { return option.starts_with("port="); });
    NfsfuseMount mount(scratch_root(), {.source = server().url(), .options = options});
    expect_mount_works(mount.path(), "via-url.txt");
}

// mount(8) removes PATH from its helpers' environment (util-linux sanitize_env), so the /bin/sh
// that mount.fuse3 starts looks for "nfsfuse" in the shell's default PATH, which begins with
// /usr/local/sbin. This puts our binary there for one test and takes it away again.
class SystemSearchPathLink {
  public:
    explicit SystemSearchPathLink(const std::filesystem::path& target) {
        std::error_code error;
        // Left behind by an aborted run of this test: take it over.
        if (std::filesystem::is_symlink(link_) && std::filesystem::read_symlink(link_) == target)
            std::filesystem::remove(link_);
        std::filesystem::create_symlink(target, link_, error);
        if (error) {
            failure_ = "cannot create " + link_.string() + " (" + error.message() +
                       "): mount -t fuse.nfsfuse would not run the nfsfuse under test";
        }
    }
    ~SystemSearchPathLink() {
        if (failure_.empty()) std::filesystem::remove(link_);
    }
    SystemSearchPathLink(const SystemSearchPathLink&) = delete;
    SystemSearchPathLink& operator=(const SystemSearchPathLink&) = delete;
    // Empty when the link is in place.
    const std::string& failure() const { return failure_; }

  private:
    const std::filesystem::path link_ = "/usr/local/sbin/nfsfuse";
    std::string failure_;
};

// What mount(8) and umount(8) do with a `fuse.nfsfuse` filesystem, as an fstab entry would.
TEST_F(MountLifecycleTest, MountCommandMountsAndUmountUnmounts) {
    require_executable(nfsfuse_binary());
    const SystemSearchPathLink link(nfsfuse_binary());
    ASSERT_TRUE(link.failure().empty()) << link.failure();

    Mountpoint mountpoint(scratch_root());
    const auto mounted =
        run_command({"mount", "-t", "fuse.nfsfuse", server().source(), mountpoint.path().string(),
                     "-o", join_options(server().connection_options())},
                    {.timeout = 30s});
    ASSERT_TRUE(mounted.succeeded()) << mounted.describe();
    ASSERT_TRUE(mountpoint.nfsfuse_mounted()) << "mount(8) returned but no fuse.nfsfuse mount";
    const auto daemons = nfsfuse_processes_for(mountpoint.path());
    expect_mount_works(mountpoint.path(), "via-mount-command.txt");

    const auto unmounted = run_command({"umount", mountpoint.path().string()});
    ASSERT_TRUE(unmounted.succeeded()) << unmounted.describe();
    EXPECT_FALSE(mountpoint.mounted());
    EXPECT_TRUE(all_exit_within(daemons, 10s)) << "nfsfuse still runs after umount";
}

// An /etc/fstab line, with the options fstab lines carry (_netdev, nofail, noauto): mount(8) reads
// it from an alternative fstab (-T), so the machine's own /etc/fstab is never touched.
TEST_F(MountLifecycleTest, FstabLineMountsByMountpoint) {
    require_executable(nfsfuse_binary());
    const SystemSearchPathLink link(nfsfuse_binary());
    ASSERT_TRUE(link.failure().empty()) << link.failure();

    Mountpoint mountpoint(scratch_root());
    TempDir etc("nfsfuse-it.fstab");
    const std::filesystem::path fstab = etc.path() / "fstab";
    write_file(fstab, server().source() + " " + mountpoint.path().string() + " fuse.nfsfuse " +
                          join_options(server().connection_options()) +
                          ",_netdev,nofail,noauto,x-systemd.automount 0 0\n");
    const auto mounted =
        run_command({"mount", "-T", fstab.string(), mountpoint.path().string()}, {.timeout = 30s});
    ASSERT_TRUE(mounted.succeeded()) << mounted.describe();
    ASSERT_TRUE(mountpoint.nfsfuse_mounted()) << "mount(8) returned but no fuse.nfsfuse mount";
    const auto daemons = nfsfuse_processes_for(mountpoint.path());
    expect_mount_works(mountpoint.path(), "via-fstab.txt");

    const auto unmounted = run_command({"umount", mountpoint.path().string()});
    ASSERT_TRUE(unmounted.succeeded()) << unmounted.describe();
    EXPECT_TRUE(all_exit_within(daemons, 10s)) << "nfsfuse still runs after umount";
}

// mount.fuse3 itself, run directly, finds nfsfuse through the PATH it is given.
TEST_F(MountLifecycleTest, MountFuseHelperFindsNfsfuseInPath) {
    require_executable(nfsfuse_binary());
    TempDir bin("nfsfuse-it.bin");
    std::filesystem::create_symlink(nfsfuse_binary(), bin.path() / "nfsfuse");
    const char* path = std::getenv("PATH");
    const std::string search_path =
        "PATH=" + bin.path().string() + ":" + (path ? path : "/usr/bin:/bin");

    Mountpoint mountpoint(scratch_root());
    const auto mounted =
        run_command({"mount.fuse3", server().source(), mountpoint.path().string(), "-t",
                     "fuse.nfsfuse", "-o", join_options(server().connection_options())},
                    {.timeout = 30s, .env_overrides = {search_path}});
    ASSERT_TRUE(mounted.succeeded()) << mounted.describe();
    ASSERT_TRUE(mountpoint.nfsfuse_mounted()) << "mount.fuse3 returned but no fuse.nfsfuse mount";
    const auto daemons = nfsfuse_processes_for(mountpoint.path());
    expect_mount_works(mountpoint.path(), "via-mount-fuse3.txt");

    const auto unmounted = run_command({"umount", mountpoint.path().string()});
    ASSERT_TRUE(unmounted.succeeded()) << unmounted.describe();
    EXPECT_TRUE(all_exit_within(daemons, 10s)) << "nfsfuse still runs after umount";
}

struct SignalCase {
    std::string name;
    int signal_number;
};

class StopSignalTest : public MountLifecycleTest,
                       public ::testing::WithParamInterface<SignalCase> {};

TEST_P(StopSignalTest, ForegroundNfsfuseUnmountsAndExitsZero) {
    auto mount = mount_export({});
    expect_mount_works(mount->path(), "before-signal.txt");
    mount->process().signal(GetParam().signal_number);
    const auto status = mount->process().wait(10s);
    ASSERT_TRUE(status.has_value()) << GetParam().name << " did not stop nfsfuse within 10 s";
    EXPECT_TRUE(status->exited_with(0)) << status->describe();
    EXPECT_FALSE(mount->mounted()) << "the mount outlived nfsfuse";
}

INSTANTIATE_TEST_SUITE_P(Signals, StopSignalTest,
                         ::testing::Values(SignalCase{"SIGTERM", SIGTERM},
                                           SignalCase{"SIGINT", SIGINT},
                                           SignalCase{"SIGHUP", SIGHUP}),
                         ParamName());

TEST_F(MountLifecycleTest, FusermountUnmountEndsForegroundNfsfuseWithExitZero) {
    auto mount = mount_export({});
    expect_mount_works(mount->path(), "before-fusermount.txt");
    const ExitStatus status = mount->unmount();
    EXPECT_TRUE(status.exited_with(0)) << status.describe();
    EXPECT_FALSE(mount->mounted());
}

TEST_F(MountLifecycleTest, ExplicitRwAndFusePassThroughOptionsAreAccepted) {
    auto mount = mount_export({"rw", "nosuid", "nodev", "fsname=nfsfuse-test-volume"});
    expect_mount_works(mount->path(), "rw.txt");
    const auto entry = find_mount(mount->path());
    ASSERT_TRUE(entry.has_value());
    EXPECT_EQ(entry->source, "nfsfuse-test-volume") << "fsname= did not reach the kernel";
    EXPECT_NE(entry->mount_options.find("nosuid"), std::string::npos) << entry->mount_options;
    EXPECT_NE(entry->mount_options.find("nodev"), std::string::npos) << entry->mount_options;
}

// --- read-only mounts --------------------------------------------------------------------------

// The server side holds a file "existing" and a directory "dir"; every change must fail with
// EROFS, and reading must work.
class ReadOnlyMountTest : public MountedTest {
  protected:
    std::vector<std::string> extra_mount_options() const override { return {"ro"}; }
    void SetUp() override {
        MountedTest::SetUp();
        write_file(srv("existing"), "read-only content");
        std::filesystem::create_directory(srv("dir"));
    }
};

TEST_F(ReadOnlyMountTest, ReadingWorks) {
    EXPECT_EQ(read_file(mnt("existing")), "read-only content");
    EXPECT_TRUE(succeeds(SYSCALL(::access(mnt("existing").c_str(), R_OK))));
}

class ReadOnlyRefusalTest : public ReadOnlyMountTest,
                            public ::testing::WithParamInterface<ErrnoCase> {};

TEST_P(ReadOnlyRefusalTest, ChangeFailsWithErofs) {
    EXPECT_TRUE(fails_with(GetParam().call(mnt()), EROFS));
    EXPECT_EQ(read_file(srv("existing")), "read-only content") << "the server's copy changed";
}

INSTANTIATE_TEST_SUITE_P(
    Changes, ReadOnlyRefusalTest,
    ::testing::Values(
        ErrnoCase{"open_existing_for_writing",
                  [](const auto& dir) { return open_and_close(dir / "existing", O_WRONLY); },
                  EROFS},
        ErrnoCase{"open_create",
                  [](const auto& dir) { return open_and_close(dir / "new", O_WRONLY | O_CREAT); },
                  EROFS},
        ErrnoCase{"mkdir",
                  [](const auto& dir) { return SYSCALL(::mkdir((dir / "newdir").c_str(), 0755)); },
                  EROFS},
        ErrnoCase{"unlink",
                  [](const auto& dir) { return SYSCALL(::unlink((dir / "existing").c_str())); },
                  EROFS},
        ErrnoCase{"rmdir", [](const auto& dir) { return SYSCALL(::rmdir((dir / "dir").c_str())); },
                  EROFS},
        ErrnoCase{"rename",
                  [](const auto& dir) {
                      return SYSCALL(::rename((dir / "existing").c_str(), (dir / "moved").c_str()));
                  },
                  EROFS},
        ErrnoCase{
            "chmod",
            [](const auto& dir) { return SYSCALL(::chmod((dir / "existing").c_str(), 0600)); },
            EROFS},
        ErrnoCase{
            "truncate",
            [](const auto& dir) { return SYSCALL(::truncate((dir / "existing").c_str(), 0)); },
            EROFS},
        ErrnoCase{
            "symlink",
            [](const auto& dir) { return SYSCALL(::symlink("existing", (dir / "link").c_str())); },
            EROFS},
        ErrnoCase{"utimensat",
                  [](const auto& dir) {
                      return SYSCALL(::utimensat(AT_FDCWD, (dir / "existing").c_str(), nullptr, 0));
                  },
                  EROFS},
        ErrnoCase{
            "access_for_writing",
            [](const auto& dir) { return SYSCALL(::access((dir / "existing").c_str(), W_OK)); },
            EROFS}),
    ParamName());

// --- an unprivileged user ----------------------------------------------------------------------

TEST_F(MountLifecycleTest, UnprivilegedUserMountsAndWrites) {
    // libfuse opens /dev/fuse itself before it falls back to fusermount3; Debian's udev rule makes
    // it 0666. Without that no unprivileged FUSE mount can work at all.
    struct stat device {};
    ASSERT_TRUE(succeeds(SYSCALL(::stat("/dev/fuse", &device))));
    ASSERT_EQ(device.st_mode & 0666, 0666u)
        << "/dev/fuse is mode " << std::oct << (device.st_mode & 0777)
        << ": unprivileged mounts need 0666, as Debian's udev rule sets it (chmod 0666 /dev/fuse)";
    const Credentials user = ensure_test_user();
    // The user's own directory on the server; the rest of the work directory belongs to root.
    std::filesystem::create_directory(srv("home"));
    ASSERT_TRUE(succeeds(SYSCALL(::chown(srv("home").c_str(), user.uid, user.gid))));

    auto mount = mount_export({}, user);
    const auto home = mount->path() / work_name() / "home";
    const auto root_owned = mount->path() / work_name();
    // Only the mounting user may use a FUSE mount without allow_other: check as that user.
    ForkedChild as_user(
        [home, root_owned] {
            write_file(home / "by-user.txt", "written by an unprivileged user");
            child_require(read_file(home / "by-user.txt") == "written by an unprivileged user",
                          "read back differs");
            child_require(SYSCALL(::mkdir((home / "subdir").c_str(), 0755)), "mkdir");
            const int fd = ::open((root_owned / "not-mine.txt").c_str(), O_WRONLY | O_CREAT, 0644);
            const int error = errno;
            if (fd >= 0) ::close(fd);
            child_require(fd < 0 && error == EACCES,
                          "creating in a root-owned 0755 directory: expected EACCES, got " +
                              (fd >= 0 ? std::string("success") : errno_text(error)));
        },
        user);
    const auto outcome = as_user.wait(60s);
    ASSERT_TRUE(outcome.has_value()) << "the user's file operations hang";
    EXPECT_TRUE(outcome->ok()) << outcome->describe();

    const struct stat on_server = lstat_or_throw(srv("home/by-user.txt"));
    EXPECT_EQ(on_server.st_uid, user.uid) << "the server's file belongs to someone else";
    EXPECT_EQ(read_file(srv("home/by-user.txt")), "written by an unprivileged user");
    EXPECT_TRUE(std::filesystem::is_directory(srv("home/subdir")));
    EXPECT_FALSE(std::filesystem::exists(srv("not-mine.txt")));
}

}  // namespace
}  // namespace nfsfuse::it
