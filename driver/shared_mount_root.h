// Makes the directory that holds the volumes' mountpoints a shared mount, so mounts made under it
// later propagate into dockerd's namespace and into running containers (which see it as a slave).
// Without it, a mount dockerd cannot see lets a container write silently into the empty directory
// underneath.
#pragma once

#include <filesystem>

namespace nfsfuse::driver {

// Creates `root` if needed, bind-mounts it onto itself unless it is a mountpoint already, and
// marks it shared. Throws Error naming the step.
void make_shared_mount_root(const std::filesystem::path& root);

}  // namespace nfsfuse::driver
