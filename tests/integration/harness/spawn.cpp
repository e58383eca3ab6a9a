#include "harness/spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "harness/harness_error.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

// Everything the child touches is prepared before fork: after fork only async-signal-safe calls.
struct PreparedExec {
    std::vector<std::string> env_storage;
    std::vector<char*> argv;
    std::vector<char*> envp;
};

PreparedExec prepare(const SpawnSpec& spec) {
    PreparedExec prepared;
    for (char** entry = environ; *entry; ++entry) {
        const std::string variable = *entry;
        const std::string name = variable.substr(0, variable.find('='));
        bool overridden = false;
        for (const auto& override_entry : spec.env_overrides)
            overridden = overridden || override_entry.substr(0, override_entry.find('=')) == name;
        if (!overridden) prepared.env_storage.push_back(variable);
    }
    for (const auto& override_entry : spec.env_overrides)
        prepared.env_storage.push_back(override_entry);
    for (const auto& arg : spec.argv) prepared.argv.push_back(const_cast<char*>(arg.c_str()));
    prepared.argv.push_back(nullptr);
    for (auto& variable : prepared.env_storage) prepared.envp.push_back(variable.data());
    prepared.envp.push_back(nullptr);
    return prepared;
}

// In the child: report errno through the close-on-exec pipe and leave without running atexit.
[[noreturn]] void child_fail(int report_fd, int stage) {
    const int report[2] = {stage, errno};
    [[maybe_unused]] const ssize_t written = ::write(report_fd, report, sizeof report);
    ::_exit(127);
}

enum ChildStage : int { kRedirect = 1, kCredentials = 2, kExec = 3 };

const char* stage_text(int stage) {
    switch (stage) {
        case kRedirect:
            return "redirect its standard streams";
        case kCredentials:
            return "switch user";
        default:
            return "execute";
    }
}

}  // namespace

std::string ExitStatus::describe() const {
    if (signal != 0)
        return "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
    return "exit code " + std::to_string(code);
}

std::string describe_argv(const std::vector<std::string>& argv) {
    std::string text;
    for (const auto& arg : argv) {
        if (!text.empty()) text += ' ';
        text += arg.find_first_of(" \t'\"") == std::string::npos ? arg : "'" + arg + "'";
    }
    return text;
}

pid_t spawn_process(const SpawnSpec& spec) {
    if (spec.argv.empty()) throw HarnessError("spawn_process: empty argv");
    PreparedExec prepared = prepare(spec);
    int report_pipe[2];
    if (::pipe2(report_pipe, O_CLOEXEC) != 0)
        throw HarnessError("pipe2 failed: " + errno_text(errno));
    const int dev_null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (dev_null < 0) throw HarnessError("cannot open /dev/null: " + errno_text(errno));

    const pid_t pid = ::fork();
    if (pid < 0) {
        const int fork_error = errno;
        ::close(report_pipe[0]);
        ::close(report_pipe[1]);
        ::close(dev_null);
        throw HarnessError("fork failed: " + errno_text(fork_error));
    }
    if (pid == 0) {
        if (spec.new_process_group) ::setpgid(0, 0);
        // Default signal dispositions and an empty mask: gtest or a test may have changed them.
        sigset_t all;
        ::sigemptyset(&all);
        ::sigprocmask(SIG_SETMASK, &all, nullptr);
        for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGCHLD}) ::signal(sig, SIG_DFL);
        const int out = spec.stdout_fd >= 0 ? spec.stdout_fd : dev_null;
        const int err = spec.stderr_fd >= 0 ? spec.stderr_fd : dev_null;
        if (::dup2(dev_null, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
            ::dup2(err, STDERR_FILENO) < 0)
            child_fail(report_pipe[1], kRedirect);
        if (spec.credentials) {
            if (::setgroups(spec.credentials->groups.size(), spec.credentials->groups.data()) !=
                    0 ||
                ::setresgid(spec.credentials->gid, spec.credentials->gid, spec.credentials->gid) !=
                    0 ||
                ::setresuid(spec.credentials->uid, spec.credentials->uid, spec.credentials->uid) !=
                    0)
                child_fail(report_pipe[1], kCredentials);
        }
        ::execvpe(prepared.argv[0], prepared.argv.data(), prepared.envp.data());
        child_fail(report_pipe[1], kExec);
    }

    ::close(report_pipe[1]);
    ::close(dev_null);
    int report[2] = {0, 0};
    ssize_t got;
    do {
        got = ::read(report_pipe[0], report, sizeof report);
    } while (got < 0 && errno == EINTR);
    ::close(report_pipe[0]);
    if (got > 0) {  // exec did not happen: reap the child and explain
        ::waitpid(pid, nullptr, 0);
        throw HarnessError(std::string("cannot ") + stage_text(report[0]) + " `" +
                           describe_argv(spec.argv) + "`: " + errno_text(report[1]));
    }
    return pid;
}

std::optional<ExitStatus> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        int status = 0;
        const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
        if (reaped == pid) {
            ExitStatus result;
            if (WIFEXITED(status)) result.code = WEXITSTATUS(status);
            if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
            return result;
        }
        if (reaped < 0 && errno != EINTR)
            throw HarnessError("waitpid(" + std::to_string(pid) + ") failed: " + errno_text(errno));
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
}

}  // namespace nfsfuse::it
