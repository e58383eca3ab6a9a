// Runs a program (argv, never a shell) and collects its exit status and output, with a deadline.
// Thread-safety: free function; safe to call from several threads at once.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace nfsfuse::driver {

struct CommandResult {
    bool exited = false;  // false: killed (deadline) or died by a signal
    int exit_code = -1;
    std::string output;  // stdout and stderr together
    bool timed_out = false;
};

// The child gets /dev/null as stdin and no descriptor of ours but its stdout/stderr pipe, so
// daemons it leaves behind hold nothing of the caller's (sockets, state files).
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds deadline);

}  // namespace nfsfuse::driver
