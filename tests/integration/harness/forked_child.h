// Runs a function in a forked child process: concurrent clients, or file operations as another
// user. The child reports failure by throwing (see child_require); the text comes back to the
// parent through a pipe. gtest assertions do not work in the child; use child_require.
// Thread-safety: not thread-safe; one owner. The destructor SIGKILLs and reaps a running child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "harness/spawn.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {

// In a child body: fail with this message unless condition holds.
void child_require(bool condition, const std::string& message);
// In a child body: fail unless the call succeeded (result >= 0), naming the call and the errno
// SYSCALL read right after it. A message built with errno_text(errno) beside the call could
// show an earlier errno: the compiler may build it first.
//   child_require(SYSCALL(::fsync(fd)), "fsync through root's descriptor");
void child_require(const SysCall& call, const std::string& what);
// As above, and the call returned exactly `expected` (a whole read or write).
void child_require(const SysCall& call, long expected, const std::string& what);

struct ChildOutcome {
    ExitStatus status;
    std::string failure;  // what the child reported; empty on success
    bool ok() const { return status.exited_with(0) && failure.empty(); }
    std::string describe() const;
};

class ForkedChild {
  public:
    // credentials: switch to this user, with exactly its supplementary groups, before running
    // body.
    explicit ForkedChild(std::function<void()> body,
                         std::optional<Credentials> credentials = std::nullopt);
    ~ForkedChild();
    ForkedChild(const ForkedChild&) = delete;
    ForkedChild& operator=(const ForkedChild&) = delete;

    pid_t pid() const { return pid_; }
    bool running();
    void signal(int signal_number);
    // nullopt if it is still running after timeout.
    std::optional<ChildOutcome> wait(std::chrono::milliseconds timeout);

  private:
    pid_t pid_ = -1;
    int report_fd_ = -1;
    std::optional<ExitStatus> status_;
    std::optional<ChildOutcome> outcome_;  // once reaped and its report read
};

}  // namespace nfsfuse::it
