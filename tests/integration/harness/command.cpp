#include "harness/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "harness/harness_error.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

class Pipe {
  public:
    Pipe() {
        if (::pipe2(fds_.data(), O_CLOEXEC) != 0)
            throw HarnessError("pipe2 failed: " + errno_text(errno));
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    int read_end() const { return fds_[0]; }
    int write_end() const { return fds_[1]; }
    void close_read() { close_fd(fds_[0]); }
    void close_write() { close_fd(fds_[1]); }

  private:
    static void close_fd(int& fd) {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
    std::array<int, 2> fds_{-1, -1};
};

// Appends what is readable now. Returns false at end of file.
bool read_available(int fd, std::string& sink) {
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got > 0) {
            sink.append(buffer, static_cast<size_t>(got));
            continue;
        }
        if (got == 0) return false;
        if (errno == EINTR) continue;
        return errno == EAGAIN;  // nothing more for now; other errors end the stream
    }
}

}  // namespace

std::string CommandResult::describe() const {
    std::string text = "`" + describe_argv(argv) + "` ";
    text += timed_out ? "timed out after " + std::to_string(elapsed.count()) + " ms"
                      : status.describe() + " after " + std::to_string(elapsed.count()) + " ms";
    text += "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err + "\n---";
    return text;
}

CommandResult run_command(std::vector<std::string> argv, const CommandOptions& options) {
    Pipe out_pipe;
    Pipe err_pipe;
    for (int fd : {out_pipe.read_end(), err_pipe.read_end()})
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

    CommandResult result;
    result.argv = std::move(argv);
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + options.timeout;
    const pid_t pid = spawn_process({.argv = result.argv,
                                     .env_overrides = options.env_overrides,
                                     .credentials = options.credentials,
                                     .stdout_fd = out_pipe.write_end(),
                                     .stderr_fd = err_pipe.write_end()});
    out_pipe.close_write();
    err_pipe.close_write();

    bool out_open = true;
    bool err_open = true;
    for (;;) {
        if (auto status = wait_for_exit(pid, std::chrono::milliseconds(0))) {
            // Collect what the child left in the pipes; a daemon it forked may keep them open.
            if (out_open) read_available(out_pipe.read_end(), result.out);
            if (err_open) read_available(err_pipe.read_end(), result.err);
            result.status = *status;
            break;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            result.timed_out = true;
            ::kill(-pid, SIGKILL);  // the process group: the command and what it started
            ::kill(pid, SIGKILL);
            if (auto status = wait_for_exit(pid, std::chrono::seconds(10))) result.status = *status;
            if (out_open) read_available(out_pipe.read_end(), result.out);
            if (err_open) read_available(err_pipe.read_end(), result.err);
            break;
        }
        std::array<pollfd, 2> polled{};
        nfds_t count = 0;
        if (out_open) polled[count++] = {out_pipe.read_end(), POLLIN, 0};
        if (err_open) polled[count++] = {err_pipe.read_end(), POLLIN, 0};
        // Short polls: the child's exit is noticed by waitpid, not by end of file.
        const int wait_ms = count == 0 ? 5 : 20;
        if (count == 0) {
            ::usleep(static_cast<useconds_t>(wait_ms) * 1000u);
            continue;
        }
        if (::poll(polled.data(), count, wait_ms) <= 0) continue;
        for (nfds_t i = 0; i < count; ++i) {
            if (polled[i].revents == 0) continue;
            if (polled[i].fd == out_pipe.read_end())
                out_open = read_available(out_pipe.read_end(), result.out);
            else
                err_open = read_available(err_pipe.read_end(), result.err);
        }
    }
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return result;
}

}  // namespace nfsfuse::it
