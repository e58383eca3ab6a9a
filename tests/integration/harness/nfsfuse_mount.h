// Runs `nfsfuse SOURCE MOUNTPOINT -o OPTIONS -f` as a child and waits until the kernel shows the
// mount (fuse.nfsfuse at that path in /proc/self/mountinfo). The destructor unmounts with
// fusermount3 -u, waits for nfsfuse to exit, and falls back to killing it and a lazy unmount.
// Thread-safety: not thread-safe; one owner.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/child_process.h"
#include "harness/mountpoint.h"
#include "harness/spawn.h"

namespace nfsfuse::it {

struct MountRequest {
    std::string source;                   // "127.0.0.1:/…/export" or an nfs:// URL
    std::vector<std::string> options;     // joined into one -o list; none: no -o
    std::vector<std::string> extra_args;  // after -f, e.g. "-d"
    std::optional<Credentials> run_as;    // also owns the mountpoint
    std::filesystem::path binary;         // empty: nfsfuse_binary()
    std::chrono::milliseconds ready_timeout{std::chrono::seconds(20)};
};

class NfsfuseMount {
  public:
    // Mountpoint and log file are created in scratch_dir. Throws HarnessError, with nfsfuse's
    // output, when the binary is missing or nfsfuse exits or does not mount in time.
    NfsfuseMount(const std::filesystem::path& scratch_dir, MountRequest request);
    ~NfsfuseMount();
    NfsfuseMount(const NfsfuseMount&) = delete;
    NfsfuseMount& operator=(const NfsfuseMount&) = delete;

    const std::filesystem::path& path() const { return mountpoint_->path(); }
    ChildProcess& process() { return *process_; }
    bool mounted() const { return mountpoint_->nfsfuse_mounted(); }
    std::string log() const { return process_->log(); }
    // fusermount3 -u and wait for nfsfuse to exit. Returns its exit status; throws HarnessError
    // when fusermount3 fails or nfsfuse does not exit within 10 s.
    ExitStatus unmount();

  private:
    std::unique_ptr<Mountpoint> mountpoint_;
    std::unique_ptr<ChildProcess> process_;
    std::filesystem::path log_file_;
};

// Throws HarnessError with a hint when binary does not exist or is not executable.
void require_executable(const std::filesystem::path& binary);

// "a,b,c"
std::string join_options(const std::vector<std::string>& options);

}  // namespace nfsfuse::it
