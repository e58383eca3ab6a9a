// Whom a mount's calls are made for: root's mount speaks for each caller, uid=/gid= for nobody
// but that one identity (no groups, like all_squash), an unprivileged user's mount for itself.
#include "options/mount_identity.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace nfsfuse::options {
namespace {

const nfs::Credentials kRoot{0, 0, {1, 2}};
const nfs::Credentials kUser{1000, 100, {27, 44}};

TEST(MountIdentityTest, RootsMountSpeaksForEachCaller) {
    const MountIdentity identity = mount_identity(MountOptions{}, kRoot);
    EXPECT_TRUE(identity.per_caller);
    EXPECT_EQ(identity.own, kRoot);
}

TEST(MountIdentityTest, AnUnprivilegedMountOnlyEverSendsItsOwnUser) {
    const MountIdentity identity = mount_identity(MountOptions{}, kUser);
    EXPECT_FALSE(identity.per_caller);
    EXPECT_EQ(identity.own, kUser);
}

TEST(MountIdentityTest, UidAndGidGiveOneIdentityWithoutGroups) {
    MountOptions options;
    options.uid = 4321;
    options.gid = 8765;
    const MountIdentity identity = mount_identity(options, kRoot);
    EXPECT_FALSE(identity.per_caller);
    EXPECT_EQ(identity.own, (nfs::Credentials{4321, 8765, {}}));
}

TEST(MountIdentityTest, UidAloneKeepsTheProcesssGid) {
    MountOptions options;
    options.uid = 4321;
    EXPECT_EQ(mount_identity(options, kRoot).own, (nfs::Credentials{4321, 0, {}}));
}

TEST(MountIdentityTest, ProcessCredentialsAreThisProcesssIds) {
    const nfs::Credentials own = process_credentials();
    EXPECT_EQ(own.uid, ::getuid());
    EXPECT_EQ(own.gid, ::getgid());
    EXPECT_LE(own.groups.size(), nfs::kAuthSysMaxGroups);
}

}  // namespace
}  // namespace nfsfuse::options
