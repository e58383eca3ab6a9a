// systemd socket activation without systemd: LISTEN_PID and LISTEN_FDS are honoured only for this
// process, malformed values are refused, and the descriptor must be a listening unix stream
// socket. take_inherited_socket() is run end to end on a real listening socket placed at fd 3, as
// systemd places it: it returns the socket's path, clears the variables, and leaves the socket
// close-on-exec and blocking.
#include "driver/socket_activation.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "fake_mounter.h"
#include "util/error.h"

namespace nfsfuse::driver {
namespace {

using testing::TempDir;

// A unix stream socket bound to `path`, listening if asked.
FileDescriptor unix_socket(const std::filesystem::path& path, bool listening) {
    FileDescriptor fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    if (listening) {
        EXPECT_EQ(::listen(fd.get(), 8), 0);
    }
    return fd;
}

int errno_of_path_check(int fd) {
    try {
        listening_unix_socket_path(fd);
    } catch (const Error& error) {
        return error.errnum();
    }
    return 0;
}

TEST(SocketActivationTest, CountsDescriptorsPassedToThisProcessOnly) {
    EXPECT_EQ(passed_descriptor_count("42", "1", 42), 1);
    EXPECT_EQ(passed_descriptor_count("42", "2", 42), 2);
    EXPECT_EQ(passed_descriptor_count("42", "0", 42), 0);
    // A parent's variables that leaked into our environment are not ours.
    EXPECT_EQ(passed_descriptor_count("41", "1", 42), 0);
    EXPECT_EQ(passed_descriptor_count(nullptr, "1", 42), 0);
    EXPECT_EQ(passed_descriptor_count("42", nullptr, 42), 0);
}

TEST(SocketActivationTest, RefusesMalformedValues) {
    EXPECT_THROW(passed_descriptor_count("x", "1", 42), Error);
    EXPECT_THROW(passed_descriptor_count("42", "one", 42), Error);
    EXPECT_THROW(passed_descriptor_count("42", "-1", 42), Error);
    EXPECT_THROW(passed_descriptor_count("42", "100000", 42), Error);
}

TEST(SocketActivationTest, NamesThePathOfAListeningUnixSocket) {
    TempDir dir;
    const auto path = dir.path() / "plugin.sock";
    const FileDescriptor fd = unix_socket(path, true);
    EXPECT_EQ(listening_unix_socket_path(fd.get()), path);
}

TEST(SocketActivationTest, RefusesWhatIsNotAListeningUnixStreamSocket) {
    TempDir dir;
    const FileDescriptor not_listening = unix_socket(dir.path() / "idle.sock", false);
    EXPECT_EQ(errno_of_path_check(not_listening.get()), EINVAL);
    const FileDescriptor datagram(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(errno_of_path_check(datagram.get()), EINVAL);
    const FileDescriptor tcp(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(::listen(tcp.get(), 1), 0);  // listening on an ephemeral port, but not unix
    EXPECT_EQ(errno_of_path_check(tcp.get()), EINVAL);
    const FileDescriptor file(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    EXPECT_EQ(errno_of_path_check(file.get()), EINVAL);
}

TEST(SocketActivationTest, NothingPassedIsNoSocket) {
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    EXPECT_FALSE(take_inherited_socket().has_value());
}

// Whatever the test runner left at fd 3 is moved aside for the test and put back after it.
class Fd3Borrowed {
  public:
    Fd3Borrowed() : saved_(::fcntl(kFirstInheritedFd, F_DUPFD_CLOEXEC, 100)) {}
    Fd3Borrowed(const Fd3Borrowed&) = delete;
    Fd3Borrowed& operator=(const Fd3Borrowed&) = delete;
    ~Fd3Borrowed() {
        if (saved_ >= 0) {
            ::dup2(saved_, kFirstInheritedFd);
            ::close(saved_);
        }
    }

  private:
    int saved_;  // -1 if fd 3 was free
};

TEST(SocketActivationTest, TakesTheSocketSystemdPassedAtFd3) {
    const Fd3Borrowed borrowed;
    TempDir dir;
    const auto path = dir.path() / "plugin.sock";
    // As systemd leaves it: at fd 3, inheritable, and (NonBlocking=yes) non-blocking.
    const int listening = unix_socket(path, true).release();
    if (listening != kFirstInheritedFd) {
        ASSERT_EQ(::dup2(listening, kFirstInheritedFd), kFirstInheritedFd);
        ::close(listening);
    }
    ASSERT_EQ(::fcntl(kFirstInheritedFd, F_SETFD, 0), 0);
    ASSERT_EQ(::fcntl(kFirstInheritedFd, F_SETFL, O_NONBLOCK), 0);
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    ::setenv("LISTEN_FDS", "1", 1);
    ::setenv("LISTEN_FDNAMES", "nfsfuse-driver.socket", 1);

    auto inherited = take_inherited_socket();
    ASSERT_TRUE(inherited.has_value());
    EXPECT_EQ(inherited->fd.get(), kFirstInheritedFd);
    EXPECT_EQ(inherited->path, path);
    EXPECT_EQ(::getenv("LISTEN_PID"), nullptr);
    EXPECT_EQ(::getenv("LISTEN_FDS"), nullptr);
    EXPECT_EQ(::getenv("LISTEN_FDNAMES"), nullptr);
    EXPECT_EQ(::fcntl(kFirstInheritedFd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    EXPECT_EQ(::fcntl(kFirstInheritedFd, F_GETFL) & O_NONBLOCK, 0);
    // Taken once: the variables are gone, so a second call finds nothing.
    EXPECT_FALSE(take_inherited_socket().has_value());
}

TEST(SocketActivationTest, RefusesMoreThanOneSocket) {
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    ::setenv("LISTEN_FDS", "2", 1);
    EXPECT_THROW(take_inherited_socket(), Error);
    EXPECT_EQ(::getenv("LISTEN_FDS"), nullptr);
}

}  // namespace
}  // namespace nfsfuse::driver
