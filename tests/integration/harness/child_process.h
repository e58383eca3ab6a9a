// A long-running child (e.g. a foreground nfsfuse) whose stdout and stderr go to a log file.
// Owns the process: the destructor kills it with SIGKILL and reaps it if it still runs.
// Thread-safety: not thread-safe; one owner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "harness/spawn.h"

namespace nfsfuse::it {

class ChildProcess {
  public:
    // spec's stdout_fd/stderr_fd are ignored: both go to log_file (created or truncated).
    ChildProcess(SpawnSpec spec, std::filesystem::path log_file);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    const std::vector<std::string>& argv() const { return argv_; }
    // The exit status once reaped; nullopt while it runs.
    const std::optional<ExitStatus>& exit_status() const { return status_; }
    bool running();  // reaps the child if it has exited
    std::optional<ExitStatus> wait(std::chrono::milliseconds timeout);
    void signal(int signal_number);
    // SIGKILL and reap; the status it ended with.
    ExitStatus kill_and_reap();
    std::string log() const;  // everything it printed so far

  private:
    std::vector<std::string> argv_;
    std::filesystem::path log_file_;
    pid_t pid_ = -1;
    std::optional<ExitStatus> status_;
};

}  // namespace nfsfuse::it
