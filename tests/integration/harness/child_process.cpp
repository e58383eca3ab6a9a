#include "harness/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "harness/emergency_cleanup.h"
#include "harness/harness_error.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {

ChildProcess::ChildProcess(SpawnSpec spec, std::filesystem::path log_file)
    : argv_(spec.argv), log_file_(std::move(log_file)) {
    const int log_fd =
        ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0)
        throw HarnessError("cannot create log file " + log_file_.string() + ": " +
                           errno_text(errno));
    spec.stdout_fd = log_fd;
    spec.stderr_fd = log_fd;
    try {
        pid_ = spawn_process(spec);
    } catch (...) {
        ::close(log_fd);
        throw;
    }
    ::close(log_fd);
    EmergencyCleanup::instance().add_process(pid_);
}

ChildProcess::~ChildProcess() {
    if (!status_) kill_and_reap();
    EmergencyCleanup::instance().remove_process(pid_);
}

bool ChildProcess::running() {
    if (!status_) status_ = wait_for_exit(pid_, std::chrono::milliseconds(0));
    return !status_;
}

std::optional<ExitStatus> ChildProcess::wait(std::chrono::milliseconds timeout) {
    if (!status_) status_ = wait_for_exit(pid_, timeout);
    return status_;
}

void ChildProcess::signal(int signal_number) {
    if (running()) ::kill(pid_, signal_number);
}

ExitStatus ChildProcess::kill_and_reap() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        // A process stuck in an uninterruptible wait cannot be reaped; do not hang on it.
        status_ = wait_for_exit(pid_, std::chrono::seconds(10));
        if (!status_) return ExitStatus{.code = -1, .signal = SIGKILL};
    }
    return *status_;
}

std::string ChildProcess::log() const {
    std::ifstream in(log_file_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace nfsfuse::it
