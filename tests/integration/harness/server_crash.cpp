#include "harness/server_crash.h"

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "harness/file_data.h"

namespace nfsfuse::it {

void crash_and_restart(GaneshaServer& server, const std::filesystem::path& file,
                       const std::vector<ByteRange>& lost) {
    server.stop();
    if (!lost.empty()) {
        UniqueFd fd = open_or_throw(file, O_WRONLY);
        for (const ByteRange& range : lost) {
            pwrite_all(fd.get(), std::string(range.length, kCrashMarker),
                       static_cast<off_t>(range.offset));
        }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    server.start();
}

void restart_with_new_verifier(GaneshaServer& server) {
    crash_and_restart(server, {}, {});
}

std::string difference(const std::string& actual, const std::string& expected) {
    if (actual == expected) return {};
    const size_t common = std::min(actual.size(), expected.size());
    size_t first = common;
    size_t differing = 0;
    size_t markers = 0;
    for (size_t i = 0; i < common; ++i) {
        if (actual[i] == expected[i]) continue;
        first = std::min(first, i);
        ++differing;
        if (actual[i] == kCrashMarker) ++markers;
    }
    std::string text =
        std::to_string(actual.size()) + " bytes, expected " + std::to_string(expected.size());
    if (differing > 0) {
        text += "; " + std::to_string(differing) + " of the first " + std::to_string(common) +
                " differ, from offset " + std::to_string(first) + "; " + std::to_string(markers) +
                " of them hold the crash marker (lost, never resent)";
    }
    return text;
}

}  // namespace nfsfuse::it
