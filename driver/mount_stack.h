// Removes every mount stacked on a path: a revived volume has its live mount on top of dead ones.
// Thread-safety: none needed (system calls only); callers serialise calls for one path.
#pragma once

#include <filesystem>
#include <string>

namespace nfsfuse::driver {

// Unmounts the mounts on `target` from the top down; a busy one (a process keeps a file open) is
// detached lazily, finished when its last user goes. Throws Error naming `volume` and the cause.
void unmount_stack(const std::string& volume, const std::filesystem::path& target);

}  // namespace nfsfuse::driver
