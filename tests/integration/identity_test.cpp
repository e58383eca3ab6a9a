// Identity as the kernel NFS client has it (issue 12): a mount made by root sends each request
// with its caller's own uid, gid and supplementary groups, so the server judges every caller by
// itself. No default_permissions here: every refusal below comes from the server. On the
// root_squash export, root is the anonymous user 65534 exactly as with the kernel client, and
// other users are themselves, for what they create and for the data they write (sent later, from
// nfsfuse's threads). uid=/gid= give one identity for everything.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "harness/file_data.h"
#include "harness/forked_child.h"
#include "harness/mounted_test.h"
#include "harness/process_resources.h"
#include "harness/syscall_check.h"
#include "harness/test_user.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;

constexpr uid_t kAnonymous = 65534;  // ganesha.sh's Anonymous_Uid and _Gid
constexpr gid_t kTeamGroup = 4242;   // a group only some callers have

::testing::AssertionResult owned_by(const std::filesystem::path& path, uid_t uid, gid_t gid) {
    const struct stat st = lstat_or_throw(path);
    if (st.st_uid == uid && st.st_gid == gid) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << path << " belongs to " << st.st_uid << ":" << st.st_gid
                                         << ", expected " << uid << ":" << gid;
}

// Runs `body` as `who` and fails the test with the child's report unless it succeeds.
::testing::AssertionResult as_user(const Credentials& who, std::function<void()> body) {
    ForkedChild child(std::move(body), who);
    const auto outcome = child.wait(60s);
    if (!outcome) return ::testing::AssertionFailure() << "the child hangs";
    if (!outcome->ok()) return ::testing::AssertionFailure() << outcome->describe();
    return ::testing::AssertionSuccess();
}

// errno of open(path, flags), 0 when it opened.
int open_errno(const std::filesystem::path& path, int flags) {
    const int fd = ::open(path.c_str(), flags);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
}

class IdentityTest : public MountedTest {
  protected:
    void SetUp() override {
        ASSERT_EQ(::geteuid(), 0u) << "acting as other users needs root";
        user_ = ensure_test_user();
        MountedTest::SetUp();
    }
    std::vector<std::string> extra_mount_options() const override { return {"allow_other"}; }

    // A setuid and setgid (with group execute) file of the test user, seen so through the mount.
    void make_setuid_file_of_user(const std::string& name) {
        write_file(srv(name), "#!/bin/sh\n", 0755);
        ASSERT_EQ(::chown(srv(name).c_str(), user_.uid, user_.gid), 0) << errno_text(errno);
        ASSERT_EQ(::chmod(srv(name).c_str(), 06775), 0) << errno_text(errno);  // after chown
        ASSERT_EQ(lstat_or_throw(mnt(name)).st_mode & 07777, 06775u);
    }

    Credentials user_{};
};

TEST_F(IdentityTest, TheServerJudgesEachCallerByItself) {
    write_file(srv("secret"), "root's own", 0600);
    write_file(srv("public"), "for everyone", 0644);
    const auto secret = mnt("secret");
    const auto public_file = mnt("public");
    EXPECT_TRUE(as_user(user_, [secret, public_file] {
        child_require(open_errno(secret, O_RDONLY) == EACCES,
                      "reading root's 0600 file: " + errno_text(open_errno(secret, O_RDONLY)));
        child_require(::access(secret.c_str(), R_OK) != 0 && errno == EACCES,
                      "access(R_OK) of root's 0600 file did not say EACCES");
        child_require(open_errno(public_file, O_WRONLY) == EACCES,
                      "writing root's 0644 file: " + errno_text(open_errno(public_file, O_WRONLY)));
        child_require(read_file(public_file) == "for everyone", "reading a 0644 file");
        child_require(::access(public_file.c_str(), R_OK) == 0, "access(R_OK) of a 0644 file");
    }));
    EXPECT_EQ(read_file(secret), "root's own") << "root still reads its own file";
}

// Reads and writes of an open file go as the user who opened it, whoever holds the descriptor
// now: the kernel NFS client sends them with the credentials of the open (nfs_open_context), as a
// local disk checks permissions at open(2) only. A daemon that opens as root and then drops to a
// user, or a descriptor passed over a unix socket, keeps working.
TEST_F(IdentityTest, ADescriptorReadsAndWritesAsTheUserWhoOpenedIt) {
    write_file(srv("roots"), "opened by root", 0600);
    const int fd = ::open(mnt("roots").c_str(), O_RDWR);
    ASSERT_GE(fd, 0) << errno_text(errno);
    EXPECT_TRUE(as_user(user_, [fd] {
        char head[6] = {};
        child_require(SYSCALL(::pread(fd, head, sizeof head, 0)), static_cast<long>(sizeof head),
                      "reading through root's descriptor");
        child_require(std::string(head, sizeof head) == "opened", "read the file's first bytes");
        const std::string upper = "OPENED";
        child_require(SYSCALL(::pwrite(fd, upper.data(), upper.size(), 0)),
                      static_cast<long>(upper.size()), "writing through root's descriptor");
        child_require(SYSCALL(::fsync(fd)), "fsync through root's descriptor");
    }));
    EXPECT_EQ(::close(fd), 0) << errno_text(errno);
    EXPECT_EQ(read_file(srv("roots")), "OPENED by root");
}

// ftruncate(2) through such a descriptor too: the kernel client sends a SETATTR made through an
// open file with the open's credentials (nfs3_proc_setattr, nfs4_proc_setattr with ATTR_FILE).
TEST_F(IdentityTest, AnFtruncateThroughADescriptorGoesAsItsOpener) {
    write_file(srv("roots"), "opened by root", 0644);
    const int fd = ::open(mnt("roots").c_str(), O_RDWR);
    ASSERT_GE(fd, 0) << errno_text(errno);
    EXPECT_TRUE(as_user(user_, [fd] {
        child_require(SYSCALL(::ftruncate(fd, 6)), "ftruncate through root's descriptor");
    }));
    EXPECT_EQ(::close(fd), 0) << errno_text(errno);
    EXPECT_EQ(read_file(srv("roots")), "opened");
}

// A write by a user without CAP_FSETID clears the file's setuid and setgid bits, as on a local
// disk (the server does it too, writing as the caller).
TEST_F(IdentityTest, AWriteByAnotherUserClearsSetuidAndSetgid) {
    const auto tool = mnt("tool");
    ASSERT_NO_FATAL_FAILURE(make_setuid_file_of_user("tool"));
    EXPECT_TRUE(as_user(user_, [tool] {
        const int fd = ::open(tool.c_str(), O_WRONLY | O_APPEND);
        child_require(fd >= 0, "opening the setuid file: " + errno_text(errno));
        const std::string more = "echo more\n";
        child_require(SYSCALL(::write(fd, more.data(), more.size())),
                      static_cast<long>(more.size()), "writing");
        child_require(SYSCALL(::close(fd)), "closing");
    }));
    EXPECT_EQ(read_file(srv("tool")), "#!/bin/sh\necho more\n");
    EXPECT_EQ(lstat_or_throw(srv("tool")).st_mode & 07777, 0775u) << "on the server";
}

// The same for ftruncate(2). The kernel hands that clearing to nfsfuse (FUSE_HANDLE_KILLPRIV_V2,
// flagged in the SETATTR), and ganesha keeps the bits on a SETATTR of the size, so nfsfuse clears
// them itself. An open(2) with O_TRUNC keeps them, as with the kernel NFS client on this server
// (docs/SEMANTICS.md).
TEST_F(IdentityTest, AnFtruncateByAnotherUserClearsSetuidAndSetgid) {
    const auto tool = mnt("tool");
    ASSERT_NO_FATAL_FAILURE(make_setuid_file_of_user("tool"));
    EXPECT_TRUE(as_user(user_, [tool] {
        const int fd = ::open(tool.c_str(), O_WRONLY);
        child_require(fd >= 0, "opening the setuid file: " + errno_text(errno));
        child_require(SYSCALL(::ftruncate(fd, 1)), "ftruncate");
        child_require(SYSCALL(::close(fd)), "closing");
    }));
    EXPECT_EQ(lstat_or_throw(srv("tool")).st_mode & 07777, 0775u) << "on the server";
}

// chown(2) of a file clears its setuid and setgid bits, even by root, as on a local disk.
TEST_F(IdentityTest, AChownClearsSetuidAndSetgid) {
    ASSERT_NO_FATAL_FAILURE(make_setuid_file_of_user("tool"));
    ASSERT_TRUE(succeeds(SYSCALL(::chown(mnt("tool").c_str(), 0, 0))));
    const struct stat on_server = lstat_or_throw(srv("tool"));
    EXPECT_EQ(on_server.st_uid, 0u);
    EXPECT_EQ(on_server.st_mode & 07777, 0775u) << "on the server";
    EXPECT_EQ(lstat_or_throw(mnt("tool")).st_mode & 07777, 0775u) << "through the mount";
}

TEST_F(IdentityTest, SupplementaryGroupsCount) {
    write_file(srv("team"), "for the team", 0640);
    ASSERT_EQ(::chown(srv("team").c_str(), 0, kTeamGroup), 0) << errno_text(errno);
    const auto team = mnt("team");
    Credentials member = user_;
    member.groups = {kTeamGroup};
    EXPECT_TRUE(as_user(member, [team] {
        child_require(read_file(team) == "for the team", "a member reads the group's file");
    }));
    EXPECT_TRUE(as_user(user_, [team] {
        child_require(
            open_errno(team, O_RDONLY) == EACCES,
            "a non-member opening the group's file: " + errno_text(open_errno(team, O_RDONLY)));
    }));
}

TEST_F(IdentityTest, UidAndGidOptionsSendOneIdentityForEveryone) {
    ASSERT_EQ(::chmod(srv().c_str(), 0777), 0);
    const auto mount = mount_export({"allow_other", "uid=4321", "gid=8765"});
    const auto work = mount->path() / work_name();
    write_file(work / "by-root", "x");
    EXPECT_TRUE(as_user(user_, [work] { write_file(work / "by-user", "y"); }));
    EXPECT_TRUE(owned_by(srv("by-root"), 4321, 8765));
    EXPECT_TRUE(owned_by(srv("by-user"), 4321, 8765));
}

// A mount of the root_squash export, with its own work directory that anyone may write.
class RootSquashTest : public IdentityTest {
  protected:
    void SetUp() override {
        IdentityTest::SetUp();
        squashed_work_ = server().squashed_dir() / work_name();
        std::filesystem::create_directories(squashed_work_);
        std::filesystem::permissions(squashed_work_, std::filesystem::perms::all);
        auto options = server().connection_options();
        options.push_back("allow_other");
        squashed_ = std::make_unique<NfsfuseMount>(
            scratch_root(), MountRequest{.source = server().squashed_source(), .options = options});
    }
    void TearDown() override {
        squashed_.reset();
        std::filesystem::remove_all(squashed_work_);
        IdentityTest::TearDown();
    }
    std::filesystem::path on_squashed(const std::string& name) const {
        return squashed_->path() / work_name() / name;
    }

    std::filesystem::path squashed_work_;
    std::unique_ptr<NfsfuseMount> squashed_;
};

TEST_F(RootSquashTest, RootIsTheAnonymousUserAndOthersAreThemselves) {
    write_file(on_squashed("by-root"), "squashed");
    const auto by_user = on_squashed("by-user");
    EXPECT_TRUE(as_user(user_, [by_user] { write_file(by_user, "mine"); }));
    EXPECT_TRUE(owned_by(squashed_work_ / "by-root", kAnonymous, kAnonymous));
    EXPECT_TRUE(owned_by(squashed_work_ / "by-user", user_.uid, user_.gid));
    EXPECT_EQ(read_file(squashed_work_ / "by-user"), "mine");
}

TEST_F(RootSquashTest, RootCannotOpenAUsersPrivateFile) {
    write_file(squashed_work_ / "private", "the user's", 0600);
    ASSERT_EQ(::chown((squashed_work_ / "private").c_str(), user_.uid, user_.gid), 0);
    EXPECT_EQ(open_errno(on_squashed("private"), O_RDONLY), EACCES);
    const auto private_file = on_squashed("private");
    EXPECT_TRUE(as_user(user_, [private_file] {
        child_require(read_file(private_file) == "the user's", "the owner reads its file");
    }));
}

// Written data goes to the server after write() returned, from nfsfuse's own threads: still as
// its writer, or root's squashed identity could not write the user's 0600 file.
TEST_F(RootSquashTest, DataWrittenLaterIsSentAsItsWriter) {
    const auto path = on_squashed("big");
    const std::string data = pattern(6 * 1024 * 1024 + 123, 12);
    EXPECT_TRUE(as_user(user_, [path, data] {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        child_require(fd >= 0, "create: " + errno_text(errno));
        pwrite_all(fd, data, 0);
        child_require(SYSCALL(::fsync(fd)), "fsync");
        child_require(SYSCALL(::close(fd)), "close");
    }));
    EXPECT_TRUE(owned_by(squashed_work_ / "big", user_.uid, user_.gid));
    EXPECT_EQ(read_file(squashed_work_ / "big"), data);
}

}  // namespace
}  // namespace nfsfuse::it
