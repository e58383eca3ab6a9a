// Mounts a volume by running `nfsfuse` for it: one child per volume, so a crash in one volume's
// filesystem takes neither the driver nor other volumes down. nfsfuse daemonizes only once its
// mount is live, so its exit status and output say whether the mount worked. The daemon then
// lives in its own session and outlives driver restarts.
// Thread-safety: no shared mutable state; concurrent calls for different targets are fine.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "driver/mounter.h"

namespace nfsfuse::driver {

class FuseMounter final : public Mounter {
  public:
    FuseMounter(std::filesystem::path nfsfuse_binary, std::chrono::milliseconds mount_timeout);

    void mount(const std::string& volume, const VolumeSpec& spec,
               const std::filesystem::path& target) override;
    void unmount(const std::string& volume, const std::filesystem::path& target) override;
    bool is_mounted(const std::filesystem::path& target) const override;

    // The nfsfuse command line for a volume (exposed for tests).
    std::vector<std::string> command_for(const VolumeSpec& spec,
                                         const std::filesystem::path& target) const;

  private:
    std::filesystem::path nfsfuse_binary_;
    std::chrono::milliseconds mount_timeout_;
};

}  // namespace nfsfuse::driver
