#include "harness/mountinfo.h"

#include <fstream>
#include <sstream>

#include "harness/harness_error.h"

namespace nfsfuse::it {
namespace {

std::string unescape(const std::string& field) {
    std::string text;
    for (size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            const std::string digits = field.substr(i + 1, 3);
            if (digits.find_first_not_of("01234567") == std::string::npos) {
                text += static_cast<char>(std::stoi(digits, nullptr, 8));
                i += 3;
                continue;
            }
        }
        text += field[i];
    }
    return text;
}

}  // namespace

std::vector<MountEntry> parse_mountinfo(const std::string& text) {
    std::vector<MountEntry> entries;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        // id parent major:minor root mount_point options [optional fields...] - type source super
        std::istringstream fields(line);
        std::vector<std::string> before_separator;
        std::string field;
        while (fields >> field && field != "-") before_separator.push_back(field);
        if (before_separator.size() < 6) continue;
        MountEntry entry;
        entry.mount_point = unescape(before_separator[4]);
        entry.mount_options = before_separator[5];
        std::string source;
        fields >> entry.fs_type >> source;
        entry.source = unescape(source);
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::vector<MountEntry> read_mountinfo() {
    std::ifstream in("/proc/self/mountinfo");
    if (!in) throw HarnessError("cannot read /proc/self/mountinfo");
    std::stringstream text;
    text << in.rdbuf();
    return parse_mountinfo(text.str());
}

std::optional<MountEntry> find_mount(const std::filesystem::path& mount_point) {
    std::optional<MountEntry> found;
    for (auto& entry : read_mountinfo())
        if (entry.mount_point == mount_point) found = std::move(entry);
    return found;
}

bool is_nfsfuse_mounted(const std::filesystem::path& mount_point) {
    const auto entry = find_mount(mount_point);
    return entry && entry->fs_type == kNfsfuseFsType;
}

}  // namespace nfsfuse::it
