#include "driver/kernel_mounter.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>

#include <cstring>
#include <memory>

#include "driver/mount_table.h"
#include "util/error.h"

namespace nfsfuse::driver {

int LinuxMountSyscall::mount(const KernelMountArguments& a) {
    return ::mount(a.source.c_str(), a.target.c_str(), a.filesystem_type.c_str(), a.flags,
                   a.data.c_str()) == 0
               ? 0
               : errno;
}

int LinuxMountSyscall::unmount(const std::string& target) {
    return ::umount2(target.c_str(), 0) == 0 ? 0 : errno;
}

std::string resolve_server_address(const std::string& host) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int status = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (status != 0 || !found)
        throw Error(ENOENT, "cannot resolve the server '" + host + "': " + gai_strerror(status));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, &freeaddrinfo);
    char text[INET6_ADDRSTRLEN] = {};
    const void* address =
        found->ai_family == AF_INET6
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr);
    inet_ntop(found->ai_family, address, text, sizeof text);
    return text;
}

void KernelMounter::mount(const std::string& volume, const VolumeSpec& spec,
                          const std::filesystem::path& target) {
    try {
        const KernelMountArguments arguments =
            build_kernel_mount(spec, resolve_server_address(spec.server), target.string());
        spdlog::info("{}: mount -t {} {} {} -o {}", volume, arguments.filesystem_type,
                     arguments.source, arguments.target, arguments.data);
        if (const int errnum = syscall_.mount(arguments); errnum != 0)
            throw_kernel_mount_error(errnum, arguments);
    } catch (const Error& e) {
        throw Error(e.errnum(), volume + ": " + e.what());
    }
}

void KernelMounter::unmount(const std::string& volume, const std::filesystem::path& target) {
    if (const int errnum = syscall_.unmount(target.string()); errnum != 0 && errnum != EINVAL)
        throw Error(errnum,
                    volume + ": cannot unmount " + target.string() + ": " + std::strerror(errnum));
}

bool KernelMounter::is_mounted(const std::filesystem::path& target) const {
    return mounted_filesystem_type(target).has_value();
}

}  // namespace nfsfuse::driver
