// Runs a command to completion with a deadline and captures stdout, stderr and how it ended.
// Thread-safety: free function; safe from several threads.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "harness/spawn.h"

namespace nfsfuse::it {

struct CommandOptions {
    std::chrono::milliseconds timeout{std::chrono::seconds(30)};
    std::vector<std::string> env_overrides;  // "NAME=value"
    std::optional<Credentials> credentials;
};

struct CommandResult {
    std::vector<std::string> argv;
    ExitStatus status;
    bool timed_out = false;  // the deadline passed: the process group was killed with SIGKILL
    std::string out;
    std::string err;
    std::chrono::milliseconds elapsed{0};

    bool succeeded() const { return !timed_out && status.exited_with(0); }
    // The command, how it ended and what it printed: for failure messages.
    std::string describe() const;
};

// Throws HarnessError only when the command cannot be started; a failing command is a result.
// A daemonizing command returns when the process we started exits: output its daemon writes
// afterwards is not collected and its open pipes do not hold us up.
CommandResult run_command(std::vector<std::string> argv, const CommandOptions& options = {});

}  // namespace nfsfuse::it
