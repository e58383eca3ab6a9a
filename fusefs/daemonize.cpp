#include "fusefs/daemonize.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "util/error.h"

namespace nfsfuse::fusefs {
namespace {

void print_pid_line(pid_t pid) {
    std::cout << pid << "\n" << std::flush;
}

// In the child: detach from the caller's session and terminal, keep nothing of its streams.
void become_daemon() {
    if (::setsid() < 0) throw Error(errno, std::string("setsid: ") + std::strerror(errno));
    if (::chdir("/") != 0) throw Error(errno, std::string("chdir /: ") + std::strerror(errno));
    const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) throw Error(errno, std::string("open /dev/null: ") + std::strerror(errno));
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
    ::close(null_fd);
}

}  // namespace

void daemonize(bool foreground, bool print_pid) {
    if (foreground) {
        if (::chdir("/") != 0) throw Error(errno, std::string("chdir /: ") + std::strerror(errno));
        if (print_pid) print_pid_line(::getpid());
        return;
    }
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0)
        throw Error(errno, std::string("pipe: ") + std::strerror(errno));
    std::cout.flush();
    const pid_t child = ::fork();
    if (child < 0) throw Error(errno, std::string("fork: ") + std::strerror(errno));
    if (child > 0) {
        ::close(ready[1]);
        char done = 0;
        ssize_t got = 0;
        do {
            got = ::read(ready[0], &done, 1);
        } while (got < 0 && errno == EINTR);
        // No byte: the child died before it was ready; the mount has no server.
        if (got != 1) ::_exit(1);
        if (print_pid) print_pid_line(child);
        ::_exit(0);
    }
    ::close(ready[0]);
    become_daemon();
    const char done = 1;
    if (::write(ready[1], &done, 1) != 1) throw Error(errno, "cannot tell the parent it is ready");
    ::close(ready[1]);
}

}  // namespace nfsfuse::fusefs
