// The arguments of the mount(2) call that mounts a volume with the kernel's NFS client, and the
// seam through which the driver makes that call (tests check the arguments; this host has no NFS
// client, so the real call fails with ENODEV).
// Thread-safety: pure functions; a MountSyscall implementation must be thread-safe.
#pragma once

#include <string>

#include "driver/volume_spec.h"

namespace nfsfuse::driver {

struct KernelMountArguments {
    std::string source;           // "server:/export[/subdir]" ("[v6]:/export" for IPv6)
    std::string target;           // the mountpoint
    std::string filesystem_type;  // "nfs4" or "nfs"
    unsigned long flags = 0;      // MS_NOSUID | MS_NODEV always, MS_RDONLY for ro
    std::string data;             // the option string: "addr=IP,vers=4.1,proto=tcp,hard,timeo=...,"
};

// `server_address` is the server's resolved IP address (the kernel wants addr= and does no DNS).
KernelMountArguments build_kernel_mount(const VolumeSpec& spec, const std::string& server_address,
                                        const std::string& target);

class MountSyscall {
  public:
    virtual ~MountSyscall() = default;
    // Returns 0 or an errno.
    virtual int mount(const KernelMountArguments& arguments) = 0;
    virtual int unmount(const std::string& target) = 0;
};

// Whether this kernel can mount NFS, decided once at start for mode=auto. True when
// /proc/filesystems (its text is `proc_filesystems`) lists nfs4. Otherwise a probe: mount(2) of
// type nfs4 on `probe_dir` with no options, which makes the kernel load an installed but unloaded
// nfs module and fails at once, with ENODEV only when there is no NFS client at all (without
// options the kernel never contacts a server).
bool kernel_has_nfs_client(MountSyscall& syscall, const std::string& proc_filesystems,
                           const std::string& probe_dir);

// Throws Error with a message for users: ENODEV becomes "this host has no kernel NFS client
// (use mode=fuse)".
void throw_kernel_mount_error(int errnum, const KernelMountArguments& arguments);

}  // namespace nfsfuse::driver
