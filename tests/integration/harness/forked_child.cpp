#include "harness/forked_child.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <exception>

#include "harness/harness_error.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

class ChildFailure : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

void write_all(int fd, const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t written = ::write(fd, text.data() + done, text.size() - done);
        if (written <= 0 && errno != EINTR) return;
        if (written > 0) done += static_cast<size_t>(written);
    }
}

}  // namespace

void child_require(bool condition, const std::string& message) {
    if (!condition) throw ChildFailure(message);
}

void child_require(const SysCall& call, const std::string& what) {
    // The same words as the tests' own checks: "CALL failed: ERRNO".
    if (const ::testing::AssertionResult result = succeeds(call); !result)
        throw ChildFailure(what + ": " + result.message());
}

void child_require(const SysCall& call, long expected, const std::string& what) {
    child_require(call, what);
    if (call.result != expected) {
        throw ChildFailure(what + ": " + call.text + " returned " + std::to_string(call.result) +
                           ", expected " + std::to_string(expected));
    }
}

std::string ChildOutcome::describe() const {
    return "child " + status.describe() + (failure.empty() ? "" : ": " + failure);
}

ForkedChild::ForkedChild(std::function<void()> body, std::optional<Credentials> credentials) {
    int report_pipe[2];
    if (::pipe2(report_pipe, O_CLOEXEC) != 0)
        throw HarnessError("pipe2 failed: " + errno_text(errno));
    pid_ = ::fork();
    if (pid_ < 0) {
        const int fork_error = errno;
        ::close(report_pipe[0]);
        ::close(report_pipe[1]);
        throw HarnessError("fork failed: " + errno_text(fork_error));
    }
    if (pid_ == 0) {
        ::close(report_pipe[0]);
        int code = 0;
        try {
            if (credentials) {
                if (::setgroups(credentials->groups.size(), credentials->groups.data()) != 0 ||
                    ::setresgid(credentials->gid, credentials->gid, credentials->gid) != 0 ||
                    ::setresuid(credentials->uid, credentials->uid, credentials->uid) != 0)
                    throw ChildFailure("cannot switch to uid " + std::to_string(credentials->uid) +
                                       ": " + errno_text(errno));
            }
            body();
        } catch (const std::exception& error) {
            write_all(report_pipe[1], error.what());
            code = 1;
        } catch (...) {
            write_all(report_pipe[1], "unknown exception");
            code = 1;
        }
        // _exit: no atexit handlers, no gtest teardown, no flushing of the parent's buffers.
        ::_exit(code);
    }
    ::close(report_pipe[1]);
    report_fd_ = report_pipe[0];
}

ForkedChild::~ForkedChild() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        wait_for_exit(pid_, std::chrono::seconds(10));
    }
    if (report_fd_ >= 0) ::close(report_fd_);
}

bool ForkedChild::running() {
    if (!status_) status_ = wait_for_exit(pid_, std::chrono::milliseconds(0));
    return !status_;
}

void ForkedChild::signal(int signal_number) {
    if (running()) ::kill(pid_, signal_number);
}

std::optional<ChildOutcome> ForkedChild::wait(std::chrono::milliseconds timeout) {
    if (!status_) status_ = wait_for_exit(pid_, timeout);
    if (!status_) return std::nullopt;
    if (!outcome_) {
        outcome_ = ChildOutcome{.status = *status_, .failure = {}};
        char buffer[4096];
        ssize_t got;
        while ((got = ::read(report_fd_, buffer, sizeof buffer)) > 0)
            outcome_->failure.append(buffer, static_cast<size_t>(got));
    }
    return outcome_;
}

}  // namespace nfsfuse::it
