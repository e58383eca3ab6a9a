#include "driver/mount_table.h"

#include "util/mountinfo.h"

namespace nfsfuse::driver {

std::optional<std::string> mounted_filesystem_type(const std::filesystem::path& path) {
    const std::optional<mountinfo::Mount> mount = mountinfo::mount_at(path);
    if (!mount) return std::nullopt;
    return mount->filesystem_type;
}

}  // namespace nfsfuse::driver
