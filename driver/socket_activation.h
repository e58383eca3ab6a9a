// systemd socket activation (the protocol of sd_listen_fds(3), without linking libsystemd): the
// plugin socket that nfsfuse-driver.socket made and passed in LISTEN_PID and LISTEN_FDS. dockerd's
// first connection then starts the driver, and the socket outlives driver restarts, so dockerd
// never finds it missing or refused; connections made while the driver starts wait in its backlog.
// Thread-safety: take_inherited_socket() reads and clears the environment: call it once, at
// start, before any other thread runs. The rest is pure.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>

#include "driver/file_descriptor.h"

namespace nfsfuse::driver {

// The first descriptor systemd passes (SD_LISTEN_FDS_START).
inline constexpr int kFirstInheritedFd = 3;

// How many descriptors LISTEN_PID and LISTEN_FDS pass to the process `pid`: 0 when either is
// unset or LISTEN_PID names another process (a parent's variables leaked into our environment).
// Throws Error(EINVAL) for a value that is not a number.
int passed_descriptor_count(const char* listen_pid, const char* listen_fds, pid_t pid);

// The path a listening AF_UNIX stream socket is bound to. Throws Error(EINVAL) for any other
// descriptor (a file, a datagram or TCP socket, a socket that is not listening).
std::filesystem::path listening_unix_socket_path(int fd);

struct InheritedSocket {
    FileDescriptor fd;
    std::filesystem::path path;  // where it is bound, as systemd's ListenStream= gave it
};

// The listening socket systemd passed, or nullopt when it passed none. Unsets LISTEN_PID,
// LISTEN_FDS and LISTEN_FDNAMES, so the nfsfuse children never take them for theirs, and makes the
// socket close-on-exec (they must not hold the plugin socket) and blocking (httplib's accept loop
// expects a blocking socket). Throws Error(EINVAL) when systemd passed more than one descriptor or
// one that is not a listening unix stream socket: the socket unit and this driver disagree.
std::optional<InheritedSocket> take_inherited_socket();

}  // namespace nfsfuse::driver
