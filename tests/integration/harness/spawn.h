// fork/exec of a command given as an argv vector (never a shell string), optionally as another
// user, with its standard streams on descriptors the caller chose; and waiting with a deadline.
// Thread-safety: free functions; safe to call from several threads. The caller owns the child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace nfsfuse::it {

// Who a child runs as. Supplementary groups are cleared.
struct Credentials {
    uid_t uid;
    gid_t gid;
    std::vector<gid_t> groups = {};  // supplementary groups
};

struct SpawnSpec {
    std::vector<std::string> argv;           // argv[0] is searched in PATH when it has no '/'
    std::vector<std::string> env_overrides;  // "NAME=value", set on top of our environment
    std::optional<Credentials> credentials;
    int stdout_fd = -1;  // -1: /dev/null
    int stderr_fd = -1;  // -1: /dev/null
    // Own process group, so a timeout can kill the child and everything it started.
    bool new_process_group = true;
};

struct ExitStatus {
    int code = -1;   // exit code when the child exited normally, else -1
    int signal = 0;  // terminating signal, else 0
    bool exited_with(int expected_code) const { return signal == 0 && code == expected_code; }
    std::string describe() const;  // "exit code 2" / "killed by signal 9 (Killed)"
};

// Starts the child; stdin is /dev/null. Throws HarnessError when the command cannot be executed
// (not found, not executable, bad credentials), naming the command and the errno.
pid_t spawn_process(const SpawnSpec& spec);

// Reaps pid if it exits within timeout; nullopt while it still runs.
std::optional<ExitStatus> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout);

// Joins argv for messages, quoting arguments with spaces. Never executed.
std::string describe_argv(const std::vector<std::string>& argv);

}  // namespace nfsfuse::it
