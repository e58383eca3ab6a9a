#include "driver/shared_mount_root.h"

#include <spdlog/spdlog.h>
#include <sys/mount.h>

#include <cstring>

#include "driver/mount_table.h"
#include "util/error.h"

namespace nfsfuse::driver {

void make_shared_mount_root(const std::filesystem::path& root) {
    std::filesystem::create_directories(root);
    if (!mounted_filesystem_type(root)) {
        if (::mount(root.c_str(), root.c_str(), nullptr, MS_BIND, nullptr) != 0)
            throw Error(errno, "cannot bind-mount " + root.string() +
                                   " onto itself: " + std::strerror(errno));
    }
    if (::mount(nullptr, root.c_str(), nullptr, MS_SHARED, nullptr) != 0)
        throw Error(errno,
                    "cannot make " + root.string() + " a shared mount: " + std::strerror(errno));
    spdlog::info("volume mountpoints live under {} (a shared mount)", root.string());
}

}  // namespace nfsfuse::driver
