// Fuzzes the mount command's parsers: parse_target (SOURCE) and parse_mount_options (the -o
// lists), what a hostile fstab line or command line hands nfsfuse.
// Input: text; the first line is SOURCE, every further line one -o list. Anything but
// nfsfuse::Error(EINVAL) escaping is a finding (libFuzzer reports an uncaught exception).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "input_lines.h"
#include "options/mount_options.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace nfsfuse::options;
    std::vector<std::string> lines = nfsfuse::fuzz::input_lines(data, size);
    const std::string source = lines.front();
    lines.erase(lines.begin());
    try {
        parse_target(source);
    } catch (const nfsfuse::Error& error) {
        if (error.errnum() != EINVAL) __builtin_trap();
    }
    try {
        const MountOptions options = parse_mount_options(lines);
        (void)options.soft_deadline_ms();
    } catch (const nfsfuse::Error& error) {
        if (error.errnum() != EINVAL) __builtin_trap();
    }
    return 0;
}
