#include "util/mountinfo.h"

#include <fstream>
#include <sstream>

namespace nfsfuse::mountinfo {
namespace {

bool is_octal(char c) {
    return c >= '0' && c <= '7';
}

}  // namespace

std::string unescape_field(const std::string& field) {
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

std::optional<Mount> mount_at(const std::filesystem::path& path) {
    std::ifstream file("/proc/self/mountinfo");
    return mount_at(path, file);
}

std::optional<Mount> mount_at(const std::filesystem::path& path, std::istream& file) {
    std::optional<Mount> found;
    std::string line;
    // Fields: id parent major:minor root mountpoint options [optional...] - fstype source superopts
    while (std::getline(file, line)) {
        std::istringstream fields(line);
        std::string id, parent, device, root, mount_point;
        fields >> id >> parent >> device >> root >> mount_point;
        if (unescape_field(mount_point) != path.string()) continue;
        std::string field;
        while (fields >> field && field != "-") {
        }
        std::string type, source, super_options;
        if (!(fields >> type)) continue;
        fields >> source >> super_options;
        found = Mount{device, type, unescape_field(super_options)};  // later lines are on top
    }
    return found;
}

}  // namespace nfsfuse::mountinfo
