#include "driver/mount_table.h"

#include "util/mountinfo.h"

namespace nfsfuse::driver {

std::optional<std::string> mounted_filesystem_type(const std::filesystem::path& path) {
    const std::optional<mountinfo::Mount> mount = mountinfo::mount_at(path);
    if (!mount) return std::nullopt;
    return mount->filesystem_type;
}

bool is_root_fuse_mount(const std::filesystem::path& path) {
    const std::optional<mountinfo::Mount> mount = mountinfo::mount_at(path);
    if (!mount) return false;
    const std::string& type = mount->filesystem_type;
    if (type != "fuse" && type.rfind("fuse.", 0) != 0) return false;
    const std::string options = "," + mount->super_options + ",";
    return options.find(",user_id=0,") != std::string::npos;
}

}  // namespace nfsfuse::driver
