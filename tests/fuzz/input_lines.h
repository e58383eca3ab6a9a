// Splits a fuzz input into lines, for the targets whose input is text with several parts (a
// mount's SOURCE and its -o lists, a volume's options, a sequence of plugin requests).
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nfsfuse::fuzz {

inline std::vector<std::string> input_lines(const uint8_t* data, size_t size) {
    std::vector<std::string> lines(1);
    for (size_t i = 0; i < size; ++i) {
        if (data[i] == '\n')
            lines.emplace_back();
        else
            lines.back().push_back(static_cast<char>(data[i]));
    }
    return lines;
}

}  // namespace nfsfuse::fuzz
