#include "harness/mountpoint.h"

#include <unistd.h>

#include <iostream>
#include <string>

#include "harness/emergency_cleanup.h"
#include "harness/harness_error.h"
#include "harness/mount_cleanup.h"
#include "harness/mountinfo.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {

Mountpoint::Mountpoint(const std::filesystem::path& parent, std::optional<Credentials> owner) {
    std::string pattern = (parent / "mnt.XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw HarnessError("mkdtemp " + pattern + " failed: " + errno_text(errno));
    path_ = pattern;
    if (::chmod(path_.c_str(), 0755) != 0)
        throw HarnessError("chmod " + path_.string() + ": " + errno_text(errno));
    if (owner && ::chown(path_.c_str(), owner->uid, owner->gid) != 0)
        throw HarnessError("chown " + path_.string() + ": " + errno_text(errno));
    EmergencyCleanup::instance().add_mountpoint(path_);
}

Mountpoint::~Mountpoint() {
    if (mounted() || !nfsfuse_processes_for(path_).empty()) {
        if (!force_unmount(path_))
            std::cerr << "cannot undo the mount at " << path_ << "; leaving it\n";
    }
    if (!mounted() && ::rmdir(path_.c_str()) != 0)
        std::cerr << "rmdir " << path_ << ": " << errno_text(errno) << "\n";
    EmergencyCleanup::instance().remove_mountpoint(path_);
}

bool Mountpoint::mounted() const {
    return find_mount(path_).has_value();
}

bool Mountpoint::nfsfuse_mounted() const {
    return is_nfsfuse_mounted(path_);
}

}  // namespace nfsfuse::it
