#include "driver/socket_activation.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "util/error.h"
#include "util/text.h"

namespace nfsfuse::driver {
namespace {

uint64_t parse_variable(const char* name, const char* value) {
    const auto number = text::parse_decimal(value);
    if (!number) throw Error(EINVAL, std::string(name) + "='" + value + "' is not a number");
    return *number;
}

int socket_option(int fd, int option) {
    int value = 0;
    socklen_t length = sizeof value;
    if (getsockopt(fd, SOL_SOCKET, option, &value, &length) != 0)
        throw Error(EINVAL, "descriptor " + std::to_string(fd) +
                                " is not a socket: " + std::strerror(errno));
    return value;
}

}  // namespace

int passed_descriptor_count(const char* listen_pid, const char* listen_fds, pid_t pid) {
    if (listen_pid == nullptr || listen_fds == nullptr) return 0;
    if (parse_variable("LISTEN_PID", listen_pid) != static_cast<uint64_t>(pid)) return 0;
    const uint64_t count = parse_variable("LISTEN_FDS", listen_fds);
    if (count > 1024) throw Error(EINVAL, "LISTEN_FDS=" + std::to_string(count) + " is too many");
    return static_cast<int>(count);
}

std::filesystem::path listening_unix_socket_path(int fd) {
    const std::string what = "descriptor " + std::to_string(fd);
    if (socket_option(fd, SO_DOMAIN) != AF_UNIX || socket_option(fd, SO_TYPE) != SOCK_STREAM)
        throw Error(EINVAL, what + " is not a unix stream socket");
    if (socket_option(fd, SO_ACCEPTCONN) == 0)
        throw Error(EINVAL, what + " is a socket that does not listen");
    sockaddr_un address{};
    socklen_t length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        throw Error(EINVAL, what + ": getsockname failed: " + std::strerror(errno));
    const size_t path_bytes =
        length > offsetof(sockaddr_un, sun_path) ? length - offsetof(sockaddr_un, sun_path) : 0;
    return std::string(address.sun_path, strnlen(address.sun_path, path_bytes));
}

std::optional<InheritedSocket> take_inherited_socket() {
    const int count =
        passed_descriptor_count(std::getenv("LISTEN_PID"), std::getenv("LISTEN_FDS"), getpid());
    for (const char* name : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}) unsetenv(name);
    if (count == 0) return std::nullopt;
    if (count != 1)
        throw Error(EINVAL, "systemd passed " + std::to_string(count) +
                                " descriptors; the driver serves exactly one socket");
    InheritedSocket inherited{FileDescriptor(kFirstInheritedFd), {}};
    inherited.path = listening_unix_socket_path(inherited.fd.get());
    const int status_flags = fcntl(inherited.fd.get(), F_GETFL);
    if (fcntl(inherited.fd.get(), F_SETFD, FD_CLOEXEC) != 0 || status_flags < 0 ||
        fcntl(inherited.fd.get(), F_SETFL, status_flags & ~O_NONBLOCK) != 0) {
        const int errnum = errno;
        throw Error(errnum, "cannot prepare the socket systemd passed: " +
                                std::string(std::strerror(errnum)));
    }
    return inherited;
}

}  // namespace nfsfuse::driver
