#include "driver/mount_stack.h"

#include <spdlog/spdlog.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>

#include "driver/mount_table.h"
#include "util/error.h"

namespace nfsfuse::driver {
namespace {

// Bounds the loop that peels stacked mounts off a mountpoint (each revival adds one).
constexpr int kMaxStackedMounts = 64;

}  // namespace

void unmount_stack(const std::string& volume, const std::filesystem::path& target) {
    for (int layer = 0; layer < kMaxStackedMounts && mounted_filesystem_type(target); ++layer) {
        // For FUSE, the kernel ends the session; the nfsfuse daemon sees that and exits.
        if (umount2(target.c_str(), 0) == 0) continue;
        const int error = errno;
        if (error == EBUSY) {
            // Still in use (a process kept a file open): detach now, finish when the last user
            // goes.
            spdlog::warn("{}: {} is busy, detaching it lazily", volume, target.string());
            if (umount2(target.c_str(), MNT_DETACH) == 0) continue;
        }
        throw Error(error,
                    volume + ": cannot unmount " + target.string() + ": " + std::strerror(error));
    }
    if (mounted_filesystem_type(target))
        throw Error(EBUSY, volume + ": more than " + std::to_string(kMaxStackedMounts) +
                               " mounts stacked on " + target.string());
}

}  // namespace nfsfuse::driver
