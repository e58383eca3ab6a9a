// Owners through a mount made by root that other users may use (allow_other): what root and an
// unprivileged user create belongs to them, through the mount and on the server's disk; chown of
// a directory and a symlink lands there too; and an owner changed on the server's disk shows once
// the attribute cache (1 s here) has run out. Chown of a regular file through the mount:
// MetadataTest.ChownAsRootChangesOwnerAndGroup; a mount made by the unprivileged user itself:
// MountLifecycleTest.UnprivilegedUserMountsAndWrites.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "harness/file_data.h"
#include "harness/forked_child.h"
#include "harness/mounted_test.h"
#include "harness/syscall_check.h"
#include "harness/test_user.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

::testing::AssertionResult owned_by(const std::filesystem::path& path, uid_t uid, gid_t gid) {
    const struct stat st = lstat_or_throw(path);
    if (st.st_uid == uid && st.st_gid == gid) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << path << " belongs to " << st.st_uid << ":" << st.st_gid
                                         << ", expected " << uid << ":" << gid;
}

class OwnersTest : public MountedTest {
  protected:
    void SetUp() override {
        ASSERT_EQ(::geteuid(), 0u) << "creating as another user and chown need root";
        MountedTest::SetUp();
    }
    std::vector<std::string> extra_mount_options() const override {
        return {"allow_other", "actimeo=1"};
    }
};

TEST_F(OwnersTest, WhatRootCreatesBelongsToRoot) {
    write_file(mnt("file"), "by root");
    ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt("dir").c_str(), 0755))));
    ASSERT_TRUE(succeeds(SYSCALL(::symlink("file", mnt("link").c_str()))));
    for (const char* name : {"file", "dir", "link"}) {
        EXPECT_TRUE(owned_by(mnt(name), 0, 0));
        EXPECT_TRUE(owned_by(srv(name), 0, 0)) << "on the server";
    }
}

TEST_F(OwnersTest, WhatAnotherUserCreatesBelongsToThatUser) {
    const Credentials user = ensure_test_user();
    ASSERT_TRUE(succeeds(SYSCALL(::chmod(srv().c_str(), 0777)))) << "writable for the user";
    const auto work = mnt();
    ForkedChild as_user(
        [work] {
            write_file(work / "file", "by the test user");
            child_require(SYSCALL(::mkdir((work / "dir").c_str(), 0755)), "mkdir");
            child_require(SYSCALL(::symlink("file", (work / "link").c_str())), "symlink");
        },
        user);
    const auto outcome = as_user.wait(60s);
    ASSERT_TRUE(outcome.has_value()) << "the user's file operations hang";
    ASSERT_TRUE(outcome->ok()) << outcome->describe();

    for (const char* name : {"file", "dir", "link"}) {
        EXPECT_TRUE(owned_by(mnt(name), user.uid, user.gid));
        EXPECT_TRUE(owned_by(srv(name), user.uid, user.gid)) << "on the server";
    }
    EXPECT_EQ(read_file(srv("file")), "by the test user");
}

TEST_F(OwnersTest, ChownOfADirectoryAndOfASymlinkLandsOnTheServer) {
    ASSERT_TRUE(succeeds(SYSCALL(::mkdir(mnt("dir").c_str(), 0755))));
    ASSERT_TRUE(succeeds(SYSCALL(::symlink("dir", mnt("link").c_str()))));
    ASSERT_TRUE(succeeds(SYSCALL(::chown(mnt("dir").c_str(), 23456, 65432))));
    // lchown: the link itself, not the directory it points to.
    ASSERT_TRUE(succeeds(SYSCALL(::lchown(mnt("link").c_str(), 34567, 76543))));
    EXPECT_TRUE(owned_by(mnt("dir"), 23456, 65432));
    EXPECT_TRUE(owned_by(srv("dir"), 23456, 65432)) << "on the server";
    EXPECT_TRUE(owned_by(mnt("link"), 34567, 76543));
    EXPECT_TRUE(owned_by(srv("link"), 34567, 76543)) << "on the server";
}

TEST_F(OwnersTest, AnOwnerChangedOnTheServerShowsOnceTheAttributeCacheRanOut) {
    write_file(mnt("file"), "x");
    ASSERT_TRUE(owned_by(mnt("file"), 0, 0));  // now in the attribute caches
    ASSERT_TRUE(succeeds(SYSCALL(::chown(srv("file").c_str(), 4242, 4343))));
    // actimeo=1: nfsfuse and the kernel trust the old owner for at most a second; allow for a
    // slow machine, but not for the default (60 s).
    const auto changed = Clock::now();
    bool seen = false;
    while (!seen && Clock::now() - changed < 10s) {
        std::this_thread::sleep_for(100ms);
        seen = owned_by(mnt("file"), 4242, 4343);
    }
    EXPECT_TRUE(seen) << "the owner changed on the server is still not shown after 10 s";
    std::cout
        << "the new owner showed after "
        << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - changed).count()
        << " ms\n";
    EXPECT_TRUE(owned_by(mnt("file"), 4242, 4343));
}

}  // namespace
}  // namespace nfsfuse::it
