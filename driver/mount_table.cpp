#include "driver/mount_table.h"

#include <fstream>
#include <sstream>

namespace nfsfuse::driver {
namespace {

bool is_octal(char c) {
    return c >= '0' && c <= '7';
}

}  // namespace

std::string unescape_mountinfo_field(const std::string& field) {
    std::string out;
    for (size_t i = 0; i < field.size(); ++i) {
        const bool octal = field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) &&
                           is_octal(field[i + 2]) && is_octal(field[i + 3]);
        if (octal) {
            out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                            (field[i + 3] - '0')));
            i += 3;
        } else {
            out.push_back(field[i]);
        }
    }
    return out;
}

std::optional<std::string> mounted_filesystem_type(const std::filesystem::path& path) {
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::optional<std::string> type;
    std::string line;
    // Fields: id parent major:minor root mountpoint options [optional...] - fstype source superopts
    while (std::getline(mountinfo, line)) {
        std::istringstream fields(line);
        std::string id, parent, device, root, mountpoint;
        fields >> id >> parent >> device >> root >> mountpoint;
        if (unescape_mountinfo_field(mountpoint) != path.string()) continue;
        std::string field;
        while (fields >> field && field != "-") {
        }
        std::string fstype;
        if (fields >> fstype) type = fstype;  // later lines are mounted on top of earlier ones
    }
    return type;
}

}  // namespace nfsfuse::driver
