#include "driver/server_process.h"

#include <algorithm>
#include <charconv>

namespace nfsfuse::driver {

std::optional<ProcessStat> parse_process_stat(std::string_view text) {
    const size_t name_end = text.rfind(')');
    if (name_end == std::string_view::npos) return std::nullopt;
    // After ") ": field 3 (state) is the first; the start time is field 22, the 20th.
    std::string_view rest = text.substr(name_end + 1);
    constexpr int kStartTimeField = 20;
    ProcessStat stat;
    for (int field = 1; field <= kStartTimeField; ++field) {
        const size_t begin = rest.find_first_not_of(' ');
        if (begin == std::string_view::npos) return std::nullopt;
        rest.remove_prefix(begin);
        const size_t end = std::min(rest.find(' '), rest.size());
        const std::string_view value = rest.substr(0, end);
        if (field == 1) {
            if (value.size() != 1) return std::nullopt;
            stat.state = value[0];
        } else if (field == kStartTimeField) {
            const auto [last, error] =
                std::from_chars(value.data(), value.data() + value.size(), stat.start_time);
            if (error != std::errc() || last != value.data() + value.size()) return std::nullopt;
        }
        rest.remove_prefix(end);
    }
    return stat;
}

}  // namespace nfsfuse::driver
