#include "driver/overlay_options.h"

namespace nfsfuse::driver {

std::string escape_overlay_path(const std::string& path) {
    std::string escaped;
    escaped.reserve(path.size());
    for (const char c : path) {
        if (c == '\\' || c == ',' || c == ':') escaped += '\\';
        escaped += c;
    }
    return escaped;
}

std::string overlay_mount_options(const std::filesystem::path& lower,
                                  const std::filesystem::path& upper,
                                  const std::filesystem::path& work) {
    // index=off: the upper layer outlives the lower mount it was made on (a revived nfsfuse, a
    // remount after a restart), whose file handles the index would refuse; it also lets the
    // overlay rebuilt by a revival share the upper layer with the dead one under it.
    // nfs_export=off: needs the index. metacopy=off: a copied-up file holds all of its data, so it
    // never reads the share again. redirect_dir=on: a directory of the share can be renamed
    // (otherwise rename(2) fails with EXDEV); the redirect is a path, valid on any later lower.
    return "lowerdir=" + escape_overlay_path(lower.string()) +
           ",upperdir=" + escape_overlay_path(upper.string()) +
           ",workdir=" + escape_overlay_path(work.string()) +
           ",index=off,nfs_export=off,metacopy=off,redirect_dir=on";
}

}  // namespace nfsfuse::driver
