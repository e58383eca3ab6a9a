// Which process serves a FUSE volume, in a form that survives driver restarts and cannot be
// mistaken for a later process given the same pid: the pid the driver learned when it started
// nfsfuse, and the start time the kernel gave that process.
// Thread-safety: plain values and pure functions.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace nfsfuse::driver {

struct ServerProcess {
    pid_t pid = 0;
    // Clock ticks after boot (field 22 of /proc/PID/stat): pid and start time together name one
    // process of this boot.
    uint64_t start_time = 0;

    bool operator==(const ServerProcess&) const = default;
};

struct ProcessStat {
    char state = '?';  // 'R', 'S', 'Z' (exited, not yet reaped), ...
    uint64_t start_time = 0;
};

// Parses the text of /proc/PID/stat. The command name (field 2) is in parentheses and may hold
// spaces and ')' itself, so fields are counted after its last ')'. nullopt for anything
// malformed.
std::optional<ProcessStat> parse_process_stat(std::string_view text);

}  // namespace nfsfuse::driver
