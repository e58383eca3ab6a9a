#include "fusefs/kernel_readahead.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "util/mountinfo.h"

namespace nfsfuse::fusefs {

void set_kernel_readahead(const std::filesystem::path& mountpoint, uint32_t kib) {
    // From mountinfo, not stat(2): a stat of the mountpoint would be a request to ourselves,
    // and nothing serves requests yet.
    const std::optional<mountinfo::Mount> mount = mountinfo::mount_at(mountpoint);
    if (!mount) {
        spdlog::warn("readahead stays at the kernel's default: {} is not in mountinfo",
                     mountpoint.string());
        return;
    }
    const std::string knob = "/sys/class/bdi/" + mount->device + "/read_ahead_kb";
    std::ofstream file(knob);
    if (file) file << kib << '\n';
    file.flush();
    if (!file) {
        spdlog::info("readahead stays at the kernel's default (128 KiB): cannot write {}: {}", knob,
                     std::strerror(errno));
        return;
    }
    spdlog::debug("readahead window {} KiB ({})", kib, knob);
}

}  // namespace nfsfuse::fusefs
