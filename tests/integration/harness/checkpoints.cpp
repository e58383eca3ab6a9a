#include "harness/checkpoints.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "harness/forked_child.h"
#include "harness/harness_error.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {

Checkpoints::Checkpoints() {
    if (::pipe2(to_test_, O_CLOEXEC) != 0 || ::pipe2(to_child_, O_CLOEXEC) != 0)
        throw HarnessError("pipe2 failed: " + errno_text(errno));
}

Checkpoints::~Checkpoints() {
    for (const int fd : {to_test_[0], to_test_[1], to_child_[0], to_child_[1]})
        if (fd >= 0) ::close(fd);
}

void Checkpoints::reach(const std::string& name) {
    const std::string line = name + "\n";
    child_require(SYSCALL(::write(to_test_[1], line.data(), line.size())),
                  static_cast<long>(line.size()), "telling the test about checkpoint " + name);
    char go = 0;
    ssize_t got;
    while ((got = ::read(to_child_[0], &go, 1)) < 0 && errno == EINTR) {
    }
    child_require(got == 1, "waiting at checkpoint " + name + ": " + errno_text(errno));
}

std::optional<std::string> Checkpoints::wait_reached(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string name;
    for (;;) {
        // Once a name has begun, the rest of it is read whatever the time: the child writes it
        // in one go, and a name cut in two would be lost.
        const auto left = name.empty() ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                             deadline - std::chrono::steady_clock::now())
                                       : std::chrono::milliseconds(10000);
        if (left.count() <= 0) return std::nullopt;
        pollfd wait{.fd = to_test_[0], .events = POLLIN, .revents = 0};
        const int ready = ::poll(&wait, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return std::nullopt;
        char byte = 0;
        if (::read(to_test_[0], &byte, 1) != 1) return std::nullopt;
        if (byte == '\n') return name;
        name.push_back(byte);
    }
}

void Checkpoints::resume() {
    const char go = 'g';
    if (::write(to_child_[1], &go, 1) != 1)
        throw HarnessError("resuming the child: " + errno_text(errno));
}

}  // namespace nfsfuse::it
