// Builds the mount(2) arguments for the kernel's NFS client from a validated VolumeSpec, and turns
// a failed mount(2) into a message a Docker user can act on. Nothing here calls mount(2).
#include "driver/kernel_mount.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "util/error.h"
#include "util/text.h"

namespace nfsfuse::driver {
namespace {

struct ServerAddress {
    std::string text;  // as the kernel wants it in addr=: IPv6 without brackets
    bool ipv6 = false;
};

// `address` must be an IP literal: the kernel does no DNS. IPv6 may carry brackets (dropped) and a
// "%zone" (kept: link-local addresses need it, and the kernel parses it).
ServerAddress parse_server_address(const std::string& address) {
    const auto refuse = [&] {
        throw invalid_argument(
            "the server address for the kernel mount must be an IP address, "
            "not '" +
            address + "'");
    };
    std::string text = address;
    const bool bracketed = text.size() >= 2 && text.front() == '[' && text.back() == ']';
    if (bracketed) text = text.substr(1, text.size() - 2);
    in_addr v4{};
    if (text.find(':') == std::string::npos) {
        if (bracketed) refuse();  // brackets are for IPv6 only
        if (inet_pton(AF_INET, text.c_str(), &v4) != 1) refuse();
        return {text, false};
    }
    if (!text::is_ipv6_literal(text)) refuse();
    return {text, true};
}

std::string version_option(NfsVersion version) {
    return "vers=" + to_string(version);
}

}  // namespace

KernelMountArguments build_kernel_mount(const VolumeSpec& spec, const std::string& server_address,
                                        const std::string& target) {
    const ServerAddress address = parse_server_address(server_address);
    if (target.empty() || target.front() != '/') {
        throw invalid_argument("the mountpoint must be an absolute path, not '" + target + "'");
    }

    KernelMountArguments arguments;
    arguments.source = share_of(spec);
    arguments.target = target;
    arguments.filesystem_type = spec.version == NfsVersion::v3 ? "nfs" : "nfs4";
    // Like FUSE mounts (libfuse's default): whoever writes the share cannot bring set-user-ID
    // programs or device nodes onto the host.
    arguments.flags = MS_NOSUID | MS_NODEV;
    if (spec.read_only) arguments.flags |= MS_RDONLY;

    // The kernel checks that proto= matches the address family of addr= (and mountproto= that of
    // the MOUNT server, which is the same host here): IPv6 needs tcp6.
    const std::string tcp = address.ipv6 ? "tcp6" : "tcp";
    std::vector<std::string> data = {"addr=" + address.text, version_option(spec.version),
                                     "proto=" + tcp};
    if (spec.port) data.push_back("port=" + std::to_string(*spec.port));
    data.emplace_back(spec.hard ? "hard" : "soft");
    if (spec.timeo) data.push_back("timeo=" + std::to_string(*spec.timeo));
    if (spec.retrans) data.push_back("retrans=" + std::to_string(*spec.retrans));
    if (spec.version == NfsVersion::v3) {
        // Hosts that use this driver run no rpc.statd/lockd: locks stay local to the host.
        data.emplace_back("nolock");
        data.push_back("mountproto=" + tcp);
        if (spec.mount_port) data.push_back("mountport=" + std::to_string(*spec.mount_port));
    }
    if (spec.version == NfsVersion::v4_0) {
        // NFSv4.0 callbacks need an address; the wildcard lets the kernel pick the outgoing one.
        // NFSv4.1 runs callbacks over the client's own connection and needs none.
        data.emplace_back(address.ipv6 ? "clientaddr=::" : "clientaddr=0.0.0.0");
    }
    for (const std::string& option : spec.kernel_options) data.push_back(option);

    for (const std::string& option : data) {
        if (!arguments.data.empty()) arguments.data += ',';
        arguments.data += option;
    }
    return arguments;
}

bool kernel_has_nfs_client(MountSyscall& syscall, const std::string& proc_filesystems,
                           const std::string& probe_dir) {
    // Lines are "nodev\tnfs4" or "\text4".
    std::istringstream lines(proc_filesystems);
    for (std::string line; std::getline(lines, line);) {
        if (line.size() >= 4 && line.compare(line.size() - 4, 4, "nfs4") == 0) return true;
    }
    KernelMountArguments probe;
    probe.source = "nfsfuse-probe:/";
    probe.target = probe_dir;
    probe.filesystem_type = "nfs4";
    const int result = syscall.mount(probe);
    if (result == 0) {
        syscall.unmount(probe_dir);  // cannot happen without addr=, but leave nothing behind
        return true;
    }
    // EINVAL (no options) means the filesystem type exists. ENODEV: no NFS client. EPERM and the
    // rest: this process cannot mount NFS either way.
    return result == EINVAL;
}

void throw_kernel_mount_error(int errnum, const KernelMountArguments& arguments) {
    if (errnum <= 0) errnum = EIO;  // Error's errno is always > 0
    const std::string reason = std::generic_category().message(errnum);
    std::string cause;
    switch (errnum) {
        case ENODEV:
            cause = "the kernel cannot mount " + arguments.filesystem_type +
                    ": this host has no NFS client (the nfs/nfsv4 modules are missing); use "
                    "mode=fuse or mode=auto";
            break;
        case EACCES:
        case EPERM:
            cause =
                "the server refused the mount, or permission was denied (check that the "
                "export allows this host and that the driver runs as root): " +
                reason;
            break;
        case ETIMEDOUT:
        case ECONNREFUSED:
        case EHOSTUNREACH:
        case ENETUNREACH:
            cause =
                "the NFS server is unreachable (check the server address, port and "
                "firewall): " +
                reason;
            break;
        case ENOENT:
            cause =
                "the export path (or subdir) does not exist on the server, or the mountpoint "
                "is missing: " +
                reason;
            break;
        default:
            cause = reason;
            break;
    }
    throw Error(errnum, "kernel mount of " + arguments.source + " on " + arguments.target + " (" +
                            arguments.filesystem_type + ") failed: " + cause);
}

}  // namespace nfsfuse::driver
