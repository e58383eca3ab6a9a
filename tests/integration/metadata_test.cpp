// Attributes and special files through the mount: chmod, chown, utimensat, hard links, symlinks,
// FIFOs, devices and unix sockets, statfs, access(2), and inode numbers that are stable and equal
// to the server's fileid.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "harness/errno_case.h"
#include "harness/file_data.h"
#include "harness/mounted_test.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

// gtest finds the printer of our parameter structs (errno_case.h) through this.
using ::nfsfuse::it::operator<<;

class MetadataTest : public MountedTest {
  protected:
    void SetUp() override {
        MountedTest::SetUp();
        write_file(mnt("file"), "some content");
    }
};

// --- chmod -------------------------------------------------------------------------------------

struct ModeCase {
    std::string name;
    mode_t mode;
};

class ChmodTest : public MetadataTest, public ::testing::WithParamInterface<ModeCase> {};

TEST_P(ChmodTest, ModeIsVisibleThroughTheMountAndOnTheServer) {
    ASSERT_TRUE(succeeds(SYSCALL(::chmod(mnt("file").c_str(), GetParam().mode))));
    EXPECT_EQ(lstat_or_throw(mnt("file")).st_mode & 07777, GetParam().mode);
    EXPECT_EQ(lstat_or_throw(srv("file")).st_mode & 07777, GetParam().mode) << "on the server";
    EXPECT_TRUE(S_ISREG(lstat_or_throw(mnt("file")).st_mode)) << "chmod changed the file type";
}

INSTANTIATE_TEST_SUITE_P(Modes, ChmodTest,
                         ::testing::Values(ModeCase{"rw_owner", 0600}, ModeCase{"rw_r_r", 0644},
                                           ModeCase{"rwx_rx_rx", 0755}, ModeCase{"read_only", 0444},
                                           ModeCase{"none", 0000}, ModeCase{"setgid", 02750},
                                           ModeCase{"sticky", 01777}),
                         ParamName());

// --- chown -------------------------------------------------------------------------------------

TEST_F(MetadataTest, ChownAsRootChangesOwnerAndGroup) {
    ASSERT_EQ(::geteuid(), 0u) << "chown to other users needs root";
    ASSERT_TRUE(succeeds(SYSCALL(::chown(mnt("file").c_str(), 12345, 54321))));
    EXPECT_EQ(lstat_or_throw(mnt("file")).st_uid, 12345u);
    EXPECT_EQ(lstat_or_throw(mnt("file")).st_gid, 54321u);
    EXPECT_EQ(lstat_or_throw(srv("file")).st_uid, 12345u) << "on the server";
    EXPECT_EQ(lstat_or_throw(srv("file")).st_gid, 54321u) << "on the server";

    // -1 leaves that id alone.
    ASSERT_TRUE(succeeds(SYSCALL(::chown(mnt("file").c_str(), static_cast<uid_t>(-1), 777))));
    EXPECT_EQ(lstat_or_throw(mnt("file")).st_uid, 12345u);
    EXPECT_EQ(lstat_or_throw(mnt("file")).st_gid, 777u);
}

// --- timestamps --------------------------------------------------------------------------------

TEST_F(MetadataTest, UtimensatSetsExplicitTimes) {
    const timespec times[2] = {{1'000'000'000, 123'456'789}, {1'500'000'000, 987'654'321}};
    ASSERT_TRUE(succeeds(SYSCALL(::utimensat(AT_FDCWD, mnt("file").c_str(), times, 0))));
    for (const auto& path : {mnt("file"), srv("file")}) {
        const struct stat st = lstat_or_throw(path);
        EXPECT_EQ(st.st_atim.tv_sec, times[0].tv_sec) << path;
        EXPECT_EQ(st.st_atim.tv_nsec, times[0].tv_nsec) << path;
        EXPECT_EQ(st.st_mtim.tv_sec, times[1].tv_sec) << path;
        EXPECT_EQ(st.st_mtim.tv_nsec, times[1].tv_nsec) << path;
    }
}

TEST_F(MetadataTest, UtimensatNowSetsTheCurrentTime) {
    const timespec old_times[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
    ASSERT_TRUE(succeeds(SYSCALL(::utimensat(AT_FDCWD, mnt("file").c_str(), old_times, 0))));
    const time_t before = ::time(nullptr);
    const timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    ASSERT_TRUE(succeeds(SYSCALL(::utimensat(AT_FDCWD, mnt("file").c_str(), now, 0))));
    const time_t after = ::time(nullptr);
    // Server and client share this machine's clock; allow for a little rounding.
    const struct stat st = lstat_or_throw(mnt("file"));
    EXPECT_GE(st.st_mtim.tv_sec, before - 2);
    EXPECT_LE(st.st_mtim.tv_sec, after + 2);
    EXPECT_GE(st.st_atim.tv_sec, before - 2);
    EXPECT_LE(st.st_atim.tv_sec, after + 2);
    EXPECT_EQ(lstat_or_throw(srv("file")).st_mtim.tv_sec, st.st_mtim.tv_sec) << "on the server";
}

TEST_F(MetadataTest, UtimeOmitLeavesThatTimeAlone) {
    const timespec initial[2] = {{1'100'000'000, 0}, {1'200'000'000, 0}};
    ASSERT_TRUE(succeeds(SYSCALL(::utimensat(AT_FDCWD, mnt("file").c_str(), initial, 0))));
    const timespec only_mtime[2] = {{0, UTIME_OMIT}, {1'300'000'000, 0}};
    ASSERT_TRUE(succeeds(SYSCALL(::utimensat(AT_FDCWD, mnt("file").c_str(), only_mtime, 0))));
    const struct stat st = lstat_or_throw(mnt("file"));
    EXPECT_EQ(st.st_atim.tv_sec, 1'100'000'000);
    EXPECT_EQ(st.st_mtim.tv_sec, 1'300'000'000);
}

TEST_F(MetadataTest, WritingUpdatesMtimeAndSize) {
    const timespec old_times[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
    ASSERT_TRUE(succeeds(SYSCALL(::utimensat(AT_FDCWD, mnt("file").c_str(), old_times, 0))));
    write_file(mnt("file"), "new and longer content");
    const struct stat st = lstat_or_throw(mnt("file"));
    EXPECT_GT(st.st_mtim.tv_sec, 1'000'000'000);
    EXPECT_EQ(st.st_size, 22);
}

// --- links and special files -------------------------------------------------------------------

TEST_F(MetadataTest, HardLinkSharesTheInode) {
    ASSERT_TRUE(succeeds(SYSCALL(::link(mnt("file").c_str(), mnt("hardlink").c_str()))));
    const struct stat original = lstat_or_throw(mnt("file"));
    const struct stat linked = lstat_or_throw(mnt("hardlink"));
    EXPECT_EQ(original.st_nlink, 2u);
    EXPECT_EQ(linked.st_nlink, 2u);
    EXPECT_EQ(original.st_ino, linked.st_ino);
    EXPECT_EQ(lstat_or_throw(srv("file")).st_ino, lstat_or_throw(srv("hardlink")).st_ino)
        << "not one inode on the server";
    EXPECT_EQ(read_file(mnt("hardlink")), "some content");

    ASSERT_TRUE(succeeds(SYSCALL(::unlink(mnt("file").c_str()))));
    EXPECT_EQ(lstat_or_throw(mnt("hardlink")).st_nlink, 1u);
    EXPECT_EQ(read_file(mnt("hardlink")), "some content");
}

TEST_F(MetadataTest, SymlinkAndReadlink) {
    const std::string target = "sub dir/../file";  // relative, with a space and a ".."
    ASSERT_TRUE(succeeds(SYSCALL(::symlink(target.c_str(), mnt("symlink").c_str()))));
    const struct stat st = lstat_or_throw(mnt("symlink"));
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    EXPECT_EQ(st.st_size, static_cast<off_t>(target.size()));

    EXPECT_EQ(std::filesystem::read_symlink(mnt("symlink")).string(), target);
    EXPECT_EQ(std::filesystem::read_symlink(srv("symlink")).string(), target) << "on the server";

    ASSERT_TRUE(succeeds(SYSCALL(::symlink("file", mnt("direct").c_str()))));
    EXPECT_EQ(read_file(mnt("direct")), "some content") << "following the link";
    char buffer[64];
    EXPECT_TRUE(fails_with(SYSCALL(::readlink(mnt("file").c_str(), buffer, sizeof buffer)), EINVAL))
        << "readlink of a regular file";
}

TEST_F(MetadataTest, DanglingSymlinkFailsToOpenWithEnoent) {
    ASSERT_TRUE(succeeds(SYSCALL(::symlink("nowhere", mnt("dangling").c_str()))));
    EXPECT_TRUE(S_ISLNK(lstat_or_throw(mnt("dangling")).st_mode));
    EXPECT_TRUE(fails_with(open_and_close(mnt("dangling"), O_RDONLY), ENOENT));
}

TEST_F(MetadataTest, MknodMakesAFifo) {
    ASSERT_TRUE(succeeds(SYSCALL(::mknod(mnt("fifo").c_str(), S_IFIFO | 0640, 0))));
    const struct stat st = lstat_or_throw(mnt("fifo"));
    EXPECT_TRUE(S_ISFIFO(st.st_mode)) << std::oct << st.st_mode;
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    EXPECT_TRUE(S_ISFIFO(lstat_or_throw(srv("fifo")).st_mode)) << "on the server";
}

// As the kernel client (NFSv3 MKNOD, NFSv4 CREATE of NF4CHR/NF4BLK): the device numbers are kept.
// Whether such a node may be opened is the mount's nodev policy.
TEST_F(MetadataTest, MknodMakesCharacterAndBlockDevicesWithTheirNumbers) {
    ASSERT_TRUE(succeeds(SYSCALL(::mknod(mnt("null").c_str(), S_IFCHR | 0640, makedev(1, 3)))));
    ASSERT_TRUE(
        succeeds(SYSCALL(::mknod(mnt("disk").c_str(), S_IFBLK | 0600, makedev(259, 70000)))));
    const struct stat chr = lstat_or_throw(mnt("null"));
    EXPECT_TRUE(S_ISCHR(chr.st_mode)) << std::oct << chr.st_mode;
    EXPECT_EQ(chr.st_mode & 07777, 0640u);
    EXPECT_EQ(major(chr.st_rdev), 1u);
    EXPECT_EQ(minor(chr.st_rdev), 3u);
    const struct stat blk = lstat_or_throw(mnt("disk"));
    EXPECT_TRUE(S_ISBLK(blk.st_mode)) << std::oct << blk.st_mode;
    EXPECT_EQ(major(blk.st_rdev), 259u);
    EXPECT_EQ(minor(blk.st_rdev), 70000u);
    const struct stat on_server = lstat_or_throw(srv("disk"));
    EXPECT_TRUE(S_ISBLK(on_server.st_mode)) << "on the server";
    EXPECT_EQ(on_server.st_rdev, makedev(259, 70000)) << "on the server";
}

// Containers put unix sockets on shared volumes: bind() creates the socket file through mknod.
TEST_F(MetadataTest, AUnixSocketCanBeBoundOnTheMount) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    UniqueFd socket_fd(fd);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = mnt("app.sock");
    ASSERT_LT(path.size(), sizeof address.sun_path) << "the test's path is too long for a socket";
    path.copy(address.sun_path, path.size());
    ASSERT_TRUE(succeeds(SYSCALL(
        ::bind(socket_fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address))));
    EXPECT_TRUE(S_ISSOCK(lstat_or_throw(mnt("app.sock")).st_mode));
    EXPECT_TRUE(S_ISSOCK(lstat_or_throw(srv("app.sock")).st_mode)) << "on the server";
}

// Each special file keeps its type and device numbers through rename and hard links, and goes
// with its last name, on the mount and on the server.
TEST_F(MetadataTest, EverySpecialFileIsRenamedHardLinkedAndRemoved) {
    struct Kind {
        const char* name;
        mode_t type;
        dev_t device;
    };
    for (const Kind kind :
         {Kind{"fifo", S_IFIFO, 0}, Kind{"sock", S_IFSOCK, 0}, Kind{"chr", S_IFCHR, makedev(4, 64)},
          Kind{"blk", S_IFBLK, makedev(8, 17)}}) {
        SCOPED_TRACE(kind.name);
        const std::string made = std::string(kind.name) + ".made";
        const std::string moved = std::string(kind.name) + ".moved";
        const std::string linked = std::string(kind.name) + ".linked";
        ASSERT_TRUE(succeeds(SYSCALL(::mknod(mnt(made).c_str(), kind.type | 0640, kind.device))));
        ASSERT_TRUE(succeeds(SYSCALL(::rename(mnt(made).c_str(), mnt(moved).c_str()))));
        ASSERT_TRUE(succeeds(SYSCALL(::link(mnt(moved).c_str(), mnt(linked).c_str()))));
        for (const auto& path : {mnt(moved), mnt(linked), srv(moved), srv(linked)}) {
            const struct stat st = lstat_or_throw(path);
            EXPECT_EQ(st.st_mode & S_IFMT, kind.type) << path;
            EXPECT_EQ(st.st_rdev, kind.device) << path;
            EXPECT_EQ(st.st_nlink, 2u) << path;
        }
        EXPECT_EQ(lstat_or_throw(mnt(moved)).st_ino, lstat_or_throw(mnt(linked)).st_ino);
        ASSERT_TRUE(succeeds(SYSCALL(::unlink(mnt(moved).c_str()))));
        EXPECT_EQ(lstat_or_throw(srv(linked)).st_nlink, 1u);
        ASSERT_TRUE(succeeds(SYSCALL(::unlink(mnt(linked).c_str()))));
        EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(srv(linked))));
        EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(mnt(made))));
    }
}

TEST_F(MetadataTest, StatfsReportsCapacity) {
    struct statvfs fs {};
    ASSERT_TRUE(succeeds(SYSCALL(::statvfs(mnt().c_str(), &fs))));
    EXPECT_GT(fs.f_blocks, 0u);
    EXPECT_GT(fs.f_bsize, 0u);
    EXPECT_LE(fs.f_bfree, fs.f_blocks);
    EXPECT_LE(fs.f_bavail, fs.f_bfree);
    EXPECT_GT(fs.f_namemax, 0u);
}

TEST_F(MetadataTest, InodeNumbersAreStableAndMatchTheServer) {
    ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt("dir").c_str(), 0755))));
    for (const char* name : {"file", "dir"}) {
        const ino_t first = lstat_or_throw(mnt(name)).st_ino;
        EXPECT_EQ(lstat_or_throw(mnt(name)).st_ino, first) << name << ": changed between stats";
        // The NFS fileid is the inode number on the server's disk (ganesha's VFS backend).
        EXPECT_EQ(first, lstat_or_throw(srv(name)).st_ino) << name << ": not the server's fileid";
    }
    const ino_t file_before = lstat_or_throw(mnt("file")).st_ino;
    remount();
    EXPECT_EQ(lstat_or_throw(mnt("file")).st_ino, file_before) << "changed across a remount";
}

// --- access(2), as root ------------------------------------------------------------------------

struct AccessCase {
    std::string name;
    mode_t mode;
    int access_mode;
    int expected_errno;  // 0: allowed
};

class AccessTest : public MetadataTest, public ::testing::WithParamInterface<AccessCase> {};

TEST_P(AccessTest, AnswersLikeALocalFilesystem) {
    ASSERT_TRUE(succeeds(SYSCALL(::chmod(mnt("file").c_str(), GetParam().mode))));
    const SysCall call = SYSCALL(::access(mnt("file").c_str(), GetParam().access_mode));
    if (GetParam().expected_errno == 0)
        EXPECT_TRUE(succeeds(call));
    else
        EXPECT_TRUE(fails_with(call, GetParam().expected_errno));
}

// Root may read and write anything, but execute only what has an execute bit.
INSTANTIATE_TEST_SUITE_P(
    AsRoot, AccessTest,
    ::testing::Values(AccessCase{"exists", 0644, F_OK, 0}, AccessCase{"read", 0644, R_OK, 0},
                      AccessCase{"write", 0644, W_OK, 0},
                      AccessCase{"execute_without_x_bit", 0644, X_OK, EACCES},
                      AccessCase{"execute_with_x_bit", 0755, X_OK, 0},
                      AccessCase{"execute_with_only_owner_x", 0100, X_OK, 0},
                      AccessCase{"read_write_mode_0000", 0000, R_OK | W_OK, 0},
                      AccessCase{"all_on_0000", 0000, R_OK | W_OK | X_OK, EACCES}),
    ParamName());

TEST_F(MetadataTest, AccessOfMissingFileIsEnoent) {
    EXPECT_TRUE(fails_with(SYSCALL(::access(mnt("missing").c_str(), F_OK)), ENOENT));
}

}  // namespace
}  // namespace nfsfuse::it
