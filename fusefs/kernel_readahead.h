// How far the kernel reads ahead on the mount. Its default for a FUSE mount is 128 KiB, so a
// sequential read waits for one small READ after another; NFS needs several large ones in flight
// (the kernel's own NFS client reads ahead 15 x rsize). The window lives in the mount's backing
// device, /sys/class/bdi/MAJOR:MINOR/read_ahead_kb, which only root may change.
// Thread-safety: free function.
#pragma once

#include <cstdint>
#include <filesystem>

namespace nfsfuse::fusefs {

// Sets the readahead window of the FUSE mount on `mountpoint` to `kib`. Logs the outcome; a
// failure (not root, sysfs read-only) leaves the kernel's default and says so, once.
void set_kernel_readahead(const std::filesystem::path& mountpoint, uint32_t kib);

}  // namespace nfsfuse::fusefs
