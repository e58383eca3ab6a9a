// A Mounter for unit tests: counts calls, records targets, tracks what is "mounted", can be told
// to fail, and can hold one volume's mount on a latch until the test releases it.
// Thread-safety: all methods are safe to call concurrently (one mutex, not held while blocked).
#pragma once

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "driver/mounter.h"
#include "util/error.h"

namespace nfsfuse::driver::testing {

class FakeMounter : public Mounter {
  public:
    explicit FakeMounter(std::string mounter_name = "fake") : name_(std::move(mounter_name)) {}

    std::string name() const override { return name_; }

    void check_can_mount(const VolumeSpec& spec) const override {
        std::lock_guard lock(mutex_);
        if (refused_version_ && spec.version == *refused_version_)
            throw Error(EINVAL, refusal_message_);
    }

    void mount(const std::string& volume, const VolumeSpec& spec,
               const std::filesystem::path& target) override {
        std::latch* entered = nullptr;
        std::latch* release = nullptr;
        {
            std::lock_guard lock(mutex_);
            ++mount_calls_;
            mount_targets_.push_back(target);
            mount_volumes_.push_back(volume);
            last_spec_ = spec;
            if (!std::filesystem::is_directory(target)) ++mounts_without_directory_;
            if (volume == blocked_volume_) {
                entered = entered_.get();
                release = release_.get();
            }
        }
        if (entered != nullptr) {
            entered->count_down();
            release->wait();
        }
        std::lock_guard lock(mutex_);
        if (fail_mount_) throw Error(fail_errno_, fail_message_);
        mounted_.insert(target);
        servers_[target] = ServerProcess{next_pid_++, 1000};
    }

    void unmount(const std::string& volume, const std::filesystem::path& target) override {
        std::lock_guard lock(mutex_);
        ++unmount_calls_;
        unmount_volumes_.push_back(volume);
        if (fail_unmount_) throw Error(EBUSY, "target is busy");
        mounted_.erase(target);
        dead_.erase(target);
        servers_.erase(target);
    }

    // Like FuseMounter: served while mounted and alive, and after a restart only by the process
    // the state file recorded.
    bool is_served(const std::filesystem::path& target,
                   const std::optional<ServerProcess>& recorded) const override {
        std::lock_guard lock(mutex_);
        recorded_servers_.push_back(recorded);
        if (!mounted_.contains(target) || dead_.contains(target)) return false;
        const auto server = servers_.find(target);
        return !recorded || (server != servers_.end() && server->second == *recorded);
    }

    std::optional<ServerProcess> server_of(const std::filesystem::path& target) const override {
        std::lock_guard lock(mutex_);
        const auto server = servers_.find(target);
        if (server == servers_.end()) return std::nullopt;
        return server->second;
    }

    void revive(const std::string& volume, const VolumeSpec& spec,
                const std::filesystem::path& target) override {
        std::lock_guard lock(mutex_);
        ++revive_calls_;
        revive_volumes_.push_back(volume);
        last_spec_ = spec;
        if (fail_mount_) throw Error(fail_errno_, fail_message_);
        dead_.erase(target);
        mounted_.insert(target);
        servers_[target] = ServerProcess{next_pid_++, 1000};
    }

    bool is_mounted(const std::filesystem::path& target) const override {
        std::lock_guard lock(mutex_);
        ++is_mounted_calls_;
        return mounted_.contains(target);
    }

    std::optional<LocalLayer> local_layer(const std::string& volume) const override {
        std::lock_guard lock(mutex_);
        if (fail_local_data_) throw Error(EIO, "cannot measure " + volume);
        const auto found = local_layers_.find(volume);
        if (found == local_layers_.end()) return std::nullopt;
        return found->second;
    }

    void remove_local_data(const std::string& volume) override {
        std::lock_guard lock(mutex_);
        if (fail_local_data_) throw Error(EBUSY, "the share is still mounted");
        removed_local_data_.push_back(volume);
        local_layers_.erase(volume);
    }

    // --- test controls ---
    // `volume` keeps `layer` on local disk (as a cow volume's upper layer).
    void set_local_layer(const std::string& volume, LocalLayer layer) {
        std::lock_guard lock(mutex_);
        local_layers_[volume] = std::move(layer);
    }
    // local_layer and remove_local_data throw.
    void fail_local_data(bool fail) {
        std::lock_guard lock(mutex_);
        fail_local_data_ = fail;
    }
    std::vector<std::string> removed_local_data() const {
        std::lock_guard lock(mutex_);
        return removed_local_data_;
    }
    // check_can_mount refuses volumes of `version` with `message`, as FuseMounter does vers=4.0.
    void refuse_version(NfsVersion version, std::string message) {
        std::lock_guard lock(mutex_);
        refused_version_ = version;
        refusal_message_ = std::move(message);
    }
    void fail_mounts(bool fail, int errnum = EIO, std::string message = "server unreachable") {
        std::lock_guard lock(mutex_);
        fail_mount_ = fail;
        fail_errno_ = errnum;
        fail_message_ = std::move(message);
    }
    void fail_unmounts(bool fail) {
        std::lock_guard lock(mutex_);
        fail_unmount_ = fail;
    }
    // The next mounts of `volume` wait (after counting) until release_blocked().
    void block_mounts_of(const std::string& volume) {
        std::lock_guard lock(mutex_);
        blocked_volume_ = volume;
        entered_ = std::make_unique<std::latch>(1);
        release_ = std::make_unique<std::latch>(1);
    }
    void wait_until_blocked() {
        std::latch* entered = nullptr;
        {
            std::lock_guard lock(mutex_);
            entered = entered_.get();
        }
        entered->wait();
    }
    void release_blocked() {
        std::lock_guard lock(mutex_);
        release_->count_down();
    }
    // Pretends something is (or is no longer) mounted, e.g. a mount that outlived the driver.
    void set_mounted(const std::filesystem::path& target, bool mounted) {
        std::lock_guard lock(mutex_);
        if (mounted) {
            mounted_.insert(target);
        } else {
            mounted_.erase(target);
        }
    }

    // Another process now claims to serve `target` (a decoy, or a reused pid): the recorded one is
    // gone.
    void replace_server_of(const std::filesystem::path& target) {
        std::lock_guard lock(mutex_);
        servers_[target] = ServerProcess{next_pid_++, 2000};
    }
    // What is_served was told the state file recorded, call by call.
    std::vector<std::optional<ServerProcess>> recorded_servers() const {
        std::lock_guard lock(mutex_);
        return recorded_servers_;
    }

    // What a FUSE mount looks like after its nfsfuse process died: mounted, not served.
    void kill_server_of(const std::filesystem::path& target) {
        std::lock_guard lock(mutex_);
        dead_.insert(target);
    }
    int revive_calls() const {
        std::lock_guard lock(mutex_);
        return revive_calls_;
    }
    int mount_calls() const {
        std::lock_guard lock(mutex_);
        return mount_calls_;
    }
    int unmount_calls() const {
        std::lock_guard lock(mutex_);
        return unmount_calls_;
    }
    int is_mounted_calls() const {
        std::lock_guard lock(mutex_);
        return is_mounted_calls_;
    }
    int mounts_without_directory() const {
        std::lock_guard lock(mutex_);
        return mounts_without_directory_;
    }
    std::vector<std::filesystem::path> mount_targets() const {
        std::lock_guard lock(mutex_);
        return mount_targets_;
    }
    std::vector<std::string> mount_volumes() const {
        std::lock_guard lock(mutex_);
        return mount_volumes_;
    }
    VolumeSpec last_spec() const {
        std::lock_guard lock(mutex_);
        return last_spec_;
    }
    bool mounted(const std::filesystem::path& target) const {
        std::lock_guard lock(mutex_);
        return mounted_.contains(target);
    }

  private:
    const std::string name_;
    mutable std::mutex mutex_;
    int mount_calls_ = 0;                               // guarded by mutex_
    int unmount_calls_ = 0;                             // guarded by mutex_
    mutable int is_mounted_calls_ = 0;                  // guarded by mutex_
    int mounts_without_directory_ = 0;                  // guarded by mutex_
    std::vector<std::filesystem::path> mount_targets_;  // guarded by mutex_
    std::vector<std::string> mount_volumes_;            // guarded by mutex_
    std::vector<std::string> unmount_volumes_;          // guarded by mutex_
    VolumeSpec last_spec_;                              // guarded by mutex_
    std::set<std::filesystem::path> mounted_;           // guarded by mutex_
    std::set<std::filesystem::path> dead_;              // guarded by mutex_: mounted, not served
    std::map<std::filesystem::path, ServerProcess> servers_;              // guarded by mutex_
    pid_t next_pid_ = 100;                                                // guarded by mutex_
    mutable std::vector<std::optional<ServerProcess>> recorded_servers_;  // guarded by mutex_
    int revive_calls_ = 0;                                                // guarded by mutex_
    std::vector<std::string> revive_volumes_;                             // guarded by mutex_
    bool fail_mount_ = false;                                             // guarded by mutex_
    int fail_errno_ = EIO;                                                // guarded by mutex_
    std::string fail_message_;                                            // guarded by mutex_
    bool fail_unmount_ = false;                                           // guarded by mutex_
    std::optional<NfsVersion> refused_version_;                           // guarded by mutex_
    std::string refusal_message_;                                         // guarded by mutex_
    std::string blocked_volume_;                                          // guarded by mutex_
    std::map<std::string, LocalLayer> local_layers_;                      // guarded by mutex_
    std::vector<std::string> removed_local_data_;                         // guarded by mutex_
    bool fail_local_data_ = false;                                        // guarded by mutex_
    std::unique_ptr<std::latch> entered_;  // guarded by mutex_ (the pointer)
    std::unique_ptr<std::latch> release_;  // guarded by mutex_ (the pointer)
};

// A fresh directory under the test temp dir, removed with its contents on destruction.
class TempDir {
  public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "nfsfuse-drv-XXXXXX");
        if (::mkdtemp(pattern.data()) == nullptr) throw Error(errno, "mkdtemp failed");
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ignored);
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace nfsfuse::driver::testing
