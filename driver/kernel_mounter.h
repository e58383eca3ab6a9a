// Mounts a volume with the kernel's NFS client (mount(2)), like any NFS client would.
// Thread-safety: no shared mutable state beyond the MountSyscall, which must be thread-safe.
#pragma once

#include "driver/kernel_mount.h"
#include "driver/mounter.h"

namespace nfsfuse::driver {

// The real mount(2) / umount2(2).
class LinuxMountSyscall final : public MountSyscall {
  public:
    int mount(const KernelMountArguments& arguments) override;
    int unmount(const std::string& target) override;
};

class KernelMounter final : public Mounter {
  public:
    explicit KernelMounter(MountSyscall& syscall) : syscall_(syscall) {}

    std::string name() const override { return "kernel"; }
    void mount(const std::string& volume, const VolumeSpec& spec,
               const std::filesystem::path& target) override;
    void unmount(const std::string& volume, const std::filesystem::path& target) override;
    bool is_mounted(const std::filesystem::path& target) const override;

  private:
    MountSyscall& syscall_;
};

// The first address `host` resolves to, as an IP literal. Throws Error(ENOENT) naming the host.
std::string resolve_server_address(const std::string& host);

}  // namespace nfsfuse::driver
