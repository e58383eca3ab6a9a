// The overlay mount's option string: every separator overlayfs knows is escaped in a layer path,
// so a state directory with ',', ':' or '\' can neither add an option nor a lower layer.
#include "driver/overlay_options.h"

#include <gtest/gtest.h>

#include <string>

namespace nfsfuse::driver {
namespace {

TEST(OverlayOptions, PlainPathsAreKeptAsTheyAre) {
    EXPECT_EQ(overlay_mount_options("/var/lib/nfsfuse/cow/v/lower", "/var/lib/nfsfuse/cow/v/upper",
                                    "/var/lib/nfsfuse/cow/v/work/1"),
              "lowerdir=/var/lib/nfsfuse/cow/v/lower,upperdir=/var/lib/nfsfuse/cow/v/upper,"
              "workdir=/var/lib/nfsfuse/cow/v/work/1,index=off,nfs_export=off,metacopy=off,"
              "redirect_dir=on");
}

TEST(OverlayOptions, SeparatorsInPathsAreEscaped) {
    EXPECT_EQ(escape_overlay_path("/a,b:c\\d"), "/a\\,b\\:c\\\\d");
    EXPECT_EQ(escape_overlay_path(",,"), "\\,\\,");
    EXPECT_EQ(escape_overlay_path("/s p=a\tc"), "/s p=a\tc") << "only , : and \\ separate";
}

TEST(OverlayOptions, AStateDirectoryCannotInjectAnOptionOrALayer) {
    const std::string options = overlay_mount_options(
        "/st,upperdir=/etc:/x/lower", "/st,upperdir=/etc:/x/upper", "/st\\,workdir=/tmp/w");
    EXPECT_EQ(options,
              "lowerdir=/st\\,upperdir=/etc\\:/x/lower,upperdir=/st\\,upperdir=/etc\\:/x/upper,"
              "workdir=/st\\\\\\,workdir=/tmp/w,index=off,nfs_export=off,metacopy=off,"
              "redirect_dir=on");
    // Split as overlayfs does (at each ',' no backslash escapes): exactly the seven options.
    int separators = 0;
    for (size_t i = 0; i < options.size(); ++i) {
        if (options[i] == '\\') {
            ++i;  // the escaped character
        } else if (options[i] == ',') {
            ++separators;
        }
    }
    EXPECT_EQ(separators, 6);
}

}  // namespace
}  // namespace nfsfuse::driver
