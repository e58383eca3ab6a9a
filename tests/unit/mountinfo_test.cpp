// Reading /proc/self/mountinfo lines: the topmost of stacked mounts, escaped paths, the device and
// the filesystem's own options.
#include "util/mountinfo.h"

#include <gtest/gtest.h>

#include <sstream>

namespace nfsfuse::mountinfo {
namespace {

const char* const kMountinfo =
    "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "41 22 0:38 / /mnt/a rw,nosuid,nodev shared:2 - fuse.nfsfuse 10.0.0.5:/x rw,user_id=0\n"
    "42 41 0:39 / /mnt/a rw,nosuid,nodev shared:3 - fuse.nfsfuse 10.0.0.5:/x rw,user_id=1000\n"
    "43 22 0:40 / /mnt/with\\040space\\134x rw - tmpfs tmpfs rw\n"
    "44 22 0:41 / /mnt/tagless rw - nfs4 h:/e rw,vers=4.1\n";

std::optional<Mount> find(const char* path) {
    std::istringstream text(kMountinfo);
    return mount_at(path, text);
}

TEST(Mountinfo, TheTopmostOfStackedMountsWins) {
    const auto mount = find("/mnt/a");
    ASSERT_TRUE(mount.has_value());
    EXPECT_EQ(mount->device, "0:39");
    EXPECT_EQ(mount->filesystem_type, "fuse.nfsfuse");
    EXPECT_EQ(mount->super_options, "rw,user_id=1000");
}

TEST(Mountinfo, EscapedPathsAreUnescaped) {
    const auto mount = find("/mnt/with space\\x");
    ASSERT_TRUE(mount.has_value());
    EXPECT_EQ(mount->filesystem_type, "tmpfs");
}

TEST(Mountinfo, ExactPathsOnly) {
    EXPECT_FALSE(find("/mnt").has_value());
    EXPECT_FALSE(find("/mnt/a/b").has_value());
    EXPECT_EQ(find("/mnt/tagless")->filesystem_type, "nfs4");
}

TEST(Mountinfo, Unescape) {
    EXPECT_EQ(unescape_field("a\\011b\\012c\\134d"), "a\tb\nc\\d");
    EXPECT_EQ(unescape_field("\\04"), "\\04") << "incomplete escapes stay";
}

}  // namespace
}  // namespace nfsfuse::mountinfo
