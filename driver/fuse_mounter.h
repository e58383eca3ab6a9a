// Mounts a volume by running `nfsfuse` for it: one child per volume, so a crash in one volume's
// filesystem takes neither the driver nor other volumes down. nfsfuse daemonizes only once its
// mount is live, so its exit status and output say whether the mount worked. The daemon then
// lives in its own session and outlives driver restarts.
//
// Revival: when an nfsfuse process dies, its mount stays and every access fails (ENOTCONN).
// Docker makes each container's copy of a volume mount a slave of the mount it bound, so a new
// mount made ON TOP of the dead one propagates into running containers, while unmounting the dead
// one first would cut them off for good (both measured with dockerd 20.10). nfsfuse cannot mount
// over a dead FUSE mount itself (its mountpoint check fails with ENOTCONN), so revive() mounts it
// on a private staging directory and bind-mounts that onto the volume's mountpoint.
//
// Identity: nfsfuse runs with --print-pid, so the driver learns the pid of the daemon serving
// each mount from the child it started (see nfsfuse_processes.h); a process of another user
// with the same command line is never taken for it.
// Thread-safety: concurrent calls for different targets are fine (ServingProcesses locks).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "driver/mounter.h"
#include "driver/nfsfuse_processes.h"

namespace nfsfuse::driver {

class FuseMounter final : public Mounter {
  public:
    // work_root: private staging directories for revive(), never seen by Docker.
    FuseMounter(std::filesystem::path nfsfuse_binary, std::filesystem::path work_root,
                std::chrono::milliseconds mount_timeout);

    std::string name() const override { return "fuse"; }
    // Refuses what nfsfuse cannot speak (vers=4.0): see nfsfuse_command.h.
    void check_can_mount(const VolumeSpec& spec) const override;
    void mount(const std::string& volume, const VolumeSpec& spec,
               const std::filesystem::path& target) override;
    void unmount(const std::string& volume, const std::filesystem::path& target) override;
    bool is_mounted(const std::filesystem::path& target) const override;
    // The topmost mount is root's FUSE mount, and the nfsfuse process that mounted it (directly
    // or through revive(), in this run of the driver or `recorded` before it) is alive.
    bool is_served(const std::filesystem::path& target,
                   const std::optional<ServerProcess>& recorded) const override;
    std::optional<ServerProcess> server_of(const std::filesystem::path& target) const override;
    void revive(const std::string& volume, const VolumeSpec& spec,
                const std::filesystem::path& target) override;

  private:
    std::filesystem::path staging_for(const std::filesystem::path& target) const;

    std::filesystem::path nfsfuse_binary_;
    std::filesystem::path work_root_;
    std::chrono::milliseconds mount_timeout_;
    mutable ServingProcesses serving_;
};

}  // namespace nfsfuse::driver
