#include "harness/tmpfs_mount.h"

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <iostream>
#include <string>

#include "harness/emergency_cleanup.h"
#include "harness/harness_error.h"
#include "harness/mount_cleanup.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {

TmpfsMount::TmpfsMount(std::filesystem::path path, size_t size_bytes) {
    std::filesystem::create_directories(path);
    path_ = std::filesystem::canonical(path);  // ganesha exports the real path: unmount that one
    const std::string options = "size=" + std::to_string(size_bytes) + ",mode=0755";
    // Registered before mounting: if we are killed in between, a cleanup of nothing is harmless.
    EmergencyCleanup::instance().add_mountpoint(path_);
    if (::mount("nfsfuse-it", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
        const int error = errno;
        EmergencyCleanup::instance().remove_mountpoint(path_);
        throw HarnessError("mount -t tmpfs -o " + options + " on " + path_.string() + ": " +
                           errno_text(error));
    }
}

TmpfsMount::~TmpfsMount() {
    // A plain unmount fails with EBUSY while anything (a ganesha that did not stop) holds it open;
    // then detach it lazily, so nothing stays visible under the scratch directory.
    if (::umount2(path_.c_str(), 0) != 0) {
        std::cerr << "umount " << path_ << ": " << errno_text(errno) << "; detaching it lazily\n";
        if (!force_unmount(path_)) std::cerr << "cannot undo the tmpfs mount at " << path_ << "\n";
    }
    EmergencyCleanup::instance().remove_mountpoint(path_);
}

size_t TmpfsMount::available_bytes() const {
    struct statvfs fs {};
    if (::statvfs(path_.c_str(), &fs) != 0)
        throw HarnessError("statvfs " + path_.string() + ": " + errno_text(errno));
    return static_cast<size_t>(fs.f_bavail) * fs.f_frsize;
}

}  // namespace nfsfuse::it
