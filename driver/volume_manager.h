// The volumes of the driver and their lifecycle: Create validates and records, Mount mounts once
// per volume however many containers use it (the set of Mount request IDs is the reference count),
// the last Unmount unmounts, Remove refuses a volume still in use. State is saved before a call
// returns, so a restarted driver knows every volume and who uses it.
// Thread-safety: all methods are safe to call concurrently. One mutex guards the volume table; a
// per-volume mutex serialises Mount/Unmount/Remove of one volume, and no lock of the table is held
// while mounting, so requests for different volumes never wait on each other's mounts.
// Ownership: owns nothing it is given; the StateStore and Mounter outlive it.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "driver/fault_point.h"
#include "driver/mounter.h"
#include "driver/state_store.h"
#include "driver/volume_spec.h"

namespace nfsfuse::driver {

struct VolumeInfo {
    std::string name;
    std::filesystem::path mountpoint;
    std::string created_at;
    // Status shown by `docker volume inspect`.
    std::string mode;            // the mode in use: kernel | fuse
    std::string requested_mode;  // as created: kernel | fuse | auto
    std::string server;
    std::string share;  // server:/export[/subdir]
    bool mounted = false;
    size_t mount_count = 0;
    std::string last_error;  // "" when the last mount attempt worked
    // Times the share was mounted again because the mount stopped working (its nfsfuse died)
    // while containers used it, since the driver started; and the latest such event.
    size_t revivals = 0;
    std::string last_event;  // "<RFC 3339 time>: <what happened>", "" when nothing has
    // Get only (List does not measure it): a cow volume's upper layer, or why it could not be
    // measured.
    std::optional<LocalLayer> local_layer;
    std::string local_layer_error;
};

class VolumeManager {
  public:
    // Picks the Mounter for a volume: kernel, fuse, or for auto the one that works on this host.
    using MounterFor = std::function<Mounter&(const VolumeSpec&)>;

    // work_root holds short-lived private mounts (the export root while a subdir is checked and
    // created); it must not be under volume_root, which Docker sees. fault_point: called at each
    // step of each transition (test builds only; see fault_point.h).
    VolumeManager(StateStore& store, std::filesystem::path volume_root,
                  std::filesystem::path work_root, MountMode default_mode, MounterFor mounter_for,
                  FaultPoint fault_point = {});

    // Loads the saved volumes, so Get and List answer, and finishes Removes a crash interrupted.
    // Throws for an unreadable state file.
    void load();
    // The fast part of recovery: volumes in use whose mount is live and served are marked
    // mounted (reads /proc only). The daemon runs it before serving, so Get shows them mounted.
    void adopt_live_mounts();
    // Restart recovery, after load() and while requests are served: ends transitions a crash
    // interrupted (an unanswered Mount is rolled back, an Unmount finished), adopts live mounts
    // of volumes in use, mounts again those that are gone or dead, unmounts and cleans the rest.
    // A volume that fails keeps its IDs and shows the error in Status.
    void recover();
    void restore() {
        load();
        recover();
    }
    // One supervision pass: every volume in use whose mount no longer works (its nfsfuse process
    // died, or it was unmounted behind the driver's back) is mounted again in place, and the
    // event is logged and shown in Status. Volumes busy in a Mount/Unmount are left for the next
    // pass. Returns how many volumes it found broken.
    size_t supervise();

    // Every error below is Error(errno, "<volume>: <cause>").

    // Idempotent for identical options; other options for an existing name fail with EEXIST.
    void create(const std::string& name, const std::map<std::string, std::string>& options);
    void remove(const std::string& name);  // EBUSY while mounted
    std::filesystem::path mount(const std::string& name, const std::string& id);
    void unmount(const std::string& name, const std::string& id);
    std::filesystem::path path(const std::string& name) const;
    VolumeInfo get(const std::string& name) const;
    std::vector<VolumeInfo> list() const;

  private:
    // Lock order: Volume::mutex before table_mutex_; never a Volume::mutex while holding
    // table_mutex_. The mounter is called with only Volume::mutex held.
    struct Volume;
    std::shared_ptr<Volume> find(const std::string& name) const;  // ENOENT if unknown
    // The volumes at this moment, for passes that lock each one in turn.
    std::vector<std::shared_ptr<Volume>> all_volumes() const;
    void save_locked();  // table_mutex_ held
    // Clears a transition that failed before its side effect was done and saves that, logging a
    // failure to save (recovery ends the transition then). table_mutex_ held.
    void abandon_pending_locked(Volume& volume);
    // Restart: rolls back an interrupted Mount (Docker got no answer, so it never unmounts that
    // ID) or finishes an interrupted Unmount (its ID is already gone), as far as the state file
    // goes; recover_locked then brings the mount in line. table_mutex_ held.
    void end_pending_locked(Volume& volume);
    void reached(std::string_view step) const {
        if (fault_point_) fault_point_(step);
    }
    std::filesystem::path mountpoint_of(const std::string& name) const;
    VolumeInfo info_locked(const Volume& volume) const;  // table_mutex_ held
    // Restart: adopts or remounts a volume that had mount IDs; cleans a stale mountpoint of one
    // that had none. Volume::mutex held.
    void recover_locked(Volume& volume);
    // The fast half of recovery: marks a volume in use whose mount is live and served as mounted.
    // Volume::mutex held.
    void adopt_locked(Volume& volume);
    // Mounts the export root on a private directory and checks that spec.subdir names real
    // directories in it, never following a symbolic link of the share; creates the missing ones
    // unless the volume is read-only or cow (whose share is never written). Volume::mutex held.
    void prepare_subdir(const std::string& name, const VolumeSpec& spec);
    // Records a supervision or recovery event for Status. table_mutex_ held.
    static void record_event_locked(Volume& volume, const std::string& what);
    // Saves which process serves the volume's mount now (after a recovery or revival started a
    // new one), so a restarted driver recognises it. Volume::mutex and table_mutex_ held.
    void record_server_locked(Volume& volume, const VolumeSpec& spec);

    StateStore& store_;
    std::filesystem::path volume_root_;
    std::filesystem::path work_root_;
    MountMode default_mode_;
    MounterFor mounter_for_;
    FaultPoint fault_point_;
    mutable std::mutex table_mutex_;
    std::map<std::string, std::shared_ptr<Volume>> volumes_;  // guarded by table_mutex_
};

}  // namespace nfsfuse::driver
