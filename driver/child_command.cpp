#include "driver/child_command.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.h"

namespace nfsfuse::driver {
namespace {

// In the forked child only async-signal-safe calls are allowed: dup2, syscalls, exec.
[[noreturn]] void exec_child(int output_fd, const std::vector<char*>& argv) {
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    dup2(output_fd, STDOUT_FILENO);
    dup2(output_fd, STDERR_FILENO);
    syscall(SYS_close_range, 3u, ~0u, 0u);
    execv(argv[0], argv.data());
    _exit(127);
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& args,
                          std::chrono::milliseconds deadline) {
    if (args.empty()) throw Error(EINVAL, "run_command: empty argv");
    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw Error(errno, "pipe failed");
    const pid_t pid = fork();
    if (pid < 0) {
        const int saved = errno;
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        throw Error(saved, "fork failed");
    }
    if (pid == 0) exec_child(pipe_fds[1], argv);
    close(pipe_fds[1]);

    CommandResult result;
    const auto end = std::chrono::steady_clock::now() + deadline;
    char buffer[4096];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        pollfd pfd{pipe_fds[0], POLLIN, 0};
        const int ready = poll(&pfd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;
        const ssize_t got = read(pipe_fds[0], buffer, sizeof buffer);
        if (got <= 0) break;  // EOF: the child (and anything it forked) let go of the pipe
        result.output.append(buffer, static_cast<size_t>(got));
    }
    close(pipe_fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exited = WIFEXITED(status);
    if (result.exited) result.exit_code = WEXITSTATUS(status);
    if (!result.output.empty() && result.output.back() == '\n') result.output.pop_back();
    return result;
}

}  // namespace nfsfuse::driver
