// The volume table and each volume's mount lifecycle (see volume_manager.h).
// Lock order: Volume::mutex, then VolumeManager::table_mutex_. Volume::mutex is held across the
// mounter's calls for that volume; table_mutex_ is held only for table/record changes and the
// state file write, never while mounting.
#include "driver/volume_manager.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>
#include <utility>

#include "driver/beneath_path.h"
#include "driver/file_descriptor.h"
#include "util/error.h"

namespace nfsfuse::driver {

struct VolumeManager::Volume {
    explicit Volume(std::string volume_name) : name(std::move(volume_name)) {}

    const std::string name;
    // Serialises Mount/Unmount/Remove (and restart recovery) of this volume; held while the
    // mounter works on it.
    std::mutex mutex;

    // Guarded by table_mutex_; changed only with `mutex` held as well.
    VolumeRecord record;
    std::optional<VolumeSpec> spec;  // nullopt when the saved options no longer parse
    std::string spec_error;          // why they do not parse
    bool mounted = false;            // the share is on the mountpoint (mounted or adopted)
    std::string last_error;          // "" when the last mount/unmount worked
    bool removed = false;            // erased from the table; the shared_ptr may still be held
    size_t revivals = 0;             // mounted again after the mount stopped working
    std::string last_event;          // for Status
    // The subdir was checked to be real directories of the export (and made if missing) at a
    // Mount since start.
    // Guarded by `mutex` alone.
    bool subdir_ready = false;
};

namespace {

std::shared_ptr<spdlog::logger> logger() {
    auto existing = spdlog::get("driver");
    return existing ? existing : spdlog::default_logger();
}

int errnum_of(const std::exception& error) {
    const auto* ours = dynamic_cast<const Error*>(&error);
    return ours != nullptr ? ours->errnum() : EIO;
}

// Error(errno, "<volume>: <cause>").
Error with_volume(const std::string& name, const std::exception& error) {
    const std::string what = error.what();
    // Mounters already name the volume first (their messages are also logged on their own).
    if (what.rfind(name + ": ", 0) == 0) return Error(errnum_of(error), what);
    return Error(errnum_of(error), name + ": " + what);
}

std::string now_rfc3339() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    const size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return std::string(text, length);
}

// validate_volume_name's message already quotes the name (and "" has nothing to prefix), so
// its error passes through unprefixed.
void validate_name(const std::string& name) {
    validate_volume_name(name);
}

// A saved volume's options with the NFS version it was created with, when they name none. State
// files from before the version was recorded: fuse mode then always meant NFSv3 (nfsfuse had no
// other backend); kernel and auto volumes were checked as NFSv4.1 ones, the default still.
std::map<std::string, std::string> options_as_created(const VolumeRecord& record, MountMode mode) {
    std::map<std::string, std::string> options = record.options;
    if (options.contains("vers")) return options;
    if (!record.nfs_version.empty()) {
        options["vers"] = record.nfs_version;
    } else if (mode == MountMode::fuse) {
        options["vers"] = "3";
    }
    return options;
}

// Creates the volume root (if missing) and the mountpoint directory, mode 0755.
void make_mountpoint(const std::string& name, const std::filesystem::path& mountpoint) {
    std::error_code error;
    std::filesystem::create_directories(mountpoint.parent_path(), error);
    if (error) {
        throw Error(error.value(), name + ": create " + mountpoint.parent_path().string() + ": " +
                                       error.message());
    }
    if (::mkdir(mountpoint.c_str(), 0755) != 0 && errno != EEXIST) {
        throw Error(errno, name + ": create mountpoint " + mountpoint.string() + ": " +
                               std::strerror(errno));
    }
}

// rmdir only (never recursive): a directory that is not empty stays, with a warning.
void remove_mountpoint(const std::string& name, const std::filesystem::path& mountpoint) {
    if (::rmdir(mountpoint.c_str()) != 0 && errno != ENOENT) {
        logger()->warn("{}: cannot remove mountpoint {}: {}", name, mountpoint.string(),
                       std::strerror(errno));
    }
}

// Opens `subdir` beneath the export root mounted on `staging` without following a symbolic link
// of the share: std::filesystem would follow them into the host, as root (see beneath_path.h).
void open_subdir_beneath(const std::filesystem::path& staging, const std::string& subdir,
                         MissingDirectories missing) {
    const FileDescriptor export_root(::open(staging.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (export_root.get() < 0) {
        throw Error(errno, "open " + staging.string() + ": " + std::strerror(errno));
    }
    open_directory_beneath(export_root.get(), subdir, missing);
}

// Error(errno, "<volume>: subdir <subdir> in <share>: <cause>[; <what to do>]").
Error subdir_error(const std::string& name, const VolumeSpec& spec, const std::string& share,
                   const std::exception& cause) {
    const int errnum = errnum_of(cause);
    std::string advice;
    if (errnum == ELOOP || errnum == ENOTDIR || errnum == EXDEV) {
        advice = "; subdir must name real directories of the export";
    } else if (errnum == ENOENT && spec.cow) {
        advice = "; a cow volume never writes its share, so it never creates its subdir";
    } else if (errnum == ENOENT && spec.read_only) {
        advice = "; a read-only volume never creates its subdir";
    }
    return Error(errnum,
                 name + ": subdir " + spec.subdir + " in " + share + ": " + cause.what() + advice);
}

}  // namespace

VolumeManager::VolumeManager(StateStore& store, std::filesystem::path volume_root,
                             std::filesystem::path work_root, MountMode default_mode,
                             MounterFor mounter_for, FaultPoint fault_point)
    : store_(store),
      volume_root_(std::move(volume_root)),
      work_root_(std::move(work_root)),
      default_mode_(default_mode),
      mounter_for_(std::move(mounter_for)),
      fault_point_(std::move(fault_point)) {}

std::filesystem::path VolumeManager::mountpoint_of(const std::string& name) const {
    return volume_root_ / name;
}

void VolumeManager::save_locked() {
    VolumeRecords records;
    for (const auto& [name, volume] : volumes_) records.emplace(name, volume->record);
    store_.save(records);
}

void VolumeManager::abandon_pending_locked(Volume& volume) {
    volume.record.pending = PendingTransition::none;
    volume.record.pending_id.clear();
    try {
        save_locked();
    } catch (const std::exception& error) {
        logger()->error("{}: {} (a restart ends the transition)", volume.name, error.what());
    }
}

void VolumeManager::end_pending_locked(Volume& volume) {
    const PendingTransition pending = volume.record.pending;
    if (pending != PendingTransition::mounting && pending != PendingTransition::unmounting) return;
    logger()->warn("{}: the driver stopped during the {} of mount ID {}; {}", volume.name,
                   pending == PendingTransition::mounting ? "Mount" : "Unmount",
                   volume.record.pending_id,
                   pending == PendingTransition::mounting
                       ? "rolling it back (Docker got no answer and will not unmount it)"
                       : "finishing it (the ID was already released)");
    abandon_pending_locked(volume);
}

std::shared_ptr<VolumeManager::Volume> VolumeManager::find(const std::string& name) const {
    validate_name(name);
    std::lock_guard table_lock(table_mutex_);
    const auto found = volumes_.find(name);
    if (found == volumes_.end()) throw Error(ENOENT, name + ": no such volume");
    return found->second;
}

VolumeInfo VolumeManager::info_locked(const Volume& volume) const {
    VolumeInfo info;
    info.name = volume.name;
    info.mountpoint = volume.mounted ? mountpoint_of(volume.name) : std::filesystem::path();
    info.created_at = volume.record.created_at;
    if (volume.spec) {
        info.requested_mode = to_string(volume.spec->mode);
        info.mode = mounter_for_(*volume.spec).name();
        info.server = volume.spec->server;
        info.share = share_of(*volume.spec);
    }
    info.mounted = volume.mounted;
    info.mount_count = volume.record.mount_ids.size();
    info.last_error = volume.last_error;
    info.revivals = volume.revivals;
    info.last_event = volume.last_event;
    return info;
}

void VolumeManager::record_event_locked(Volume& volume, const std::string& what) {
    volume.last_event = now_rfc3339() + ": " + what;
}

void VolumeManager::record_server_locked(Volume& volume, const VolumeSpec& spec) {
    std::optional<ServerProcess> server;
    if (volume.mounted) server = mounter_for_(spec).server_of(mountpoint_of(volume.name));
    if (server == volume.record.server) return;
    volume.record.server = server;
    try {
        save_locked();
    } catch (const std::exception& error) {
        // The next save writes it; until then a restart would not recognise the new process
        // and would mount the share once more on top.
        logger()->error("{}: cannot record the process now serving it: {}", volume.name,
                        error.what());
    }
}

void VolumeManager::load() {
    const VolumeRecords records = store_.load();
    std::vector<std::shared_ptr<Volume>> loaded;
    size_t removals_finished = 0;
    for (const auto& [name, record] : records) {
        try {
            validate_volume_name(name);
        } catch (const std::exception& error) {
            // Cannot come from Create; no path is built from it and Docker cannot name it.
            logger()->error("{}: state file entry ignored: {}", name, error.what());
            continue;
        }
        if (record.pending == PendingTransition::removing) {
            // Its Remove had begun (it had no Mount IDs left): finish it.
            logger()->warn("{}: the driver stopped during its Remove; finishing it", name);
            remove_mountpoint(name, mountpoint_of(name));
            ++removals_finished;
            continue;
        }
        auto volume = std::make_shared<Volume>(name);
        volume->record = record;
        try {
            // The mode chosen at Create; older state files did not record it.
            const MountMode mode =
                record.mode.empty() ? default_mode_ : parse_mount_mode(record.mode);
            volume->spec = parse_volume_options(options_as_created(record, mode), mode);
        } catch (const std::exception& error) {
            // Kept (Docker still knows it and must be able to Unmount and Remove it).
            volume->spec_error = error.what();
            volume->last_error = error.what();
            logger()->error("{}: saved options no longer valid: {}", name, error.what());
        }
        loaded.push_back(std::move(volume));
    }
    std::lock_guard table_lock(table_mutex_);
    volumes_.clear();
    for (const auto& volume : loaded) volumes_.emplace(volume->name, volume);
    logger()->info("loaded {} volume(s) from {}", loaded.size(), store_.file().string());
    if (removals_finished > 0) save_locked();
}

std::vector<std::shared_ptr<VolumeManager::Volume>> VolumeManager::all_volumes() const {
    std::lock_guard table_lock(table_mutex_);
    std::vector<std::shared_ptr<Volume>> volumes;
    volumes.reserve(volumes_.size());
    for (const auto& [name, volume] : volumes_) volumes.push_back(volume);
    return volumes;
}

void VolumeManager::adopt_live_mounts() {
    const std::vector<std::shared_ptr<Volume>> snapshot = all_volumes();
    for (const auto& volume : snapshot) {
        std::lock_guard volume_lock(volume->mutex);
        adopt_locked(*volume);
    }
}

void VolumeManager::recover() {
    // Adopting a live mount only reads /proc; mounting takes a process start or a server round
    // trip. Adopt everything first, so Get reports live mounts as mounted as early as possible.
    adopt_live_mounts();
    const std::vector<std::shared_ptr<Volume>> snapshot = all_volumes();
    for (const auto& volume : snapshot) {
        std::lock_guard volume_lock(volume->mutex);
        recover_locked(*volume);
    }
    logger()->info("recovery of {} volume(s) done", snapshot.size());
}

void VolumeManager::adopt_locked(Volume& volume) {
    std::optional<VolumeSpec> spec;
    std::optional<ServerProcess> server;
    {
        std::lock_guard table_lock(table_mutex_);
        if (volume.removed || volume.mounted || volume.record.mount_ids.empty()) return;
        spec = volume.spec;
        server = volume.record.server;
    }
    if (!spec) return;
    const std::filesystem::path mountpoint = mountpoint_of(volume.name);
    try {
        Mounter& mounter = mounter_for_(*spec);
        if (!mounter.is_mounted(mountpoint) || !mounter.is_served(mountpoint, server)) return;
    } catch (const std::exception&) {
        return;  // recover_locked tries again and reports it
    }
    logger()->info("{}: adopted the live mount on {}", volume.name, mountpoint.string());
    std::lock_guard table_lock(table_mutex_);
    volume.mounted = true;
    volume.last_error.clear();
}

void VolumeManager::recover_locked(Volume& volume) {
    bool in_use = false;
    std::optional<VolumeSpec> spec;
    std::optional<ServerProcess> server;
    {
        std::lock_guard table_lock(table_mutex_);
        if (volume.removed) return;
        end_pending_locked(volume);
        if (volume.mounted) return;
        in_use = !volume.record.mount_ids.empty();
        spec = volume.spec;
        server = volume.record.server;
    }
    const std::filesystem::path mountpoint = mountpoint_of(volume.name);
    if (!spec) {
        // Nothing can be mounted; Docker's Unmounts still balance the kept IDs.
        if (!in_use) remove_mountpoint(volume.name, mountpoint);
        return;
    }
    std::string error_text;
    std::string event;
    bool mounted = false;
    try {
        Mounter& mounter = mounter_for_(*spec);
        const bool live = mounter.is_mounted(mountpoint);
        if (in_use && live && mounter.is_served(mountpoint, server)) {
            logger()->info("{}: adopted the live mount on {}", volume.name, mountpoint.string());
            mounted = true;
        } else if (in_use && live) {
            // Its nfsfuse died while the driver was down; containers still hold the mount.
            logger()->warn("{}: the mount on {} is no longer served, mounting the share again",
                           volume.name, mountpoint.string());
            event = "found the mount dead at driver start";
            mounted = true;  // the dead mount stays until the volume is unmounted
            mounter.revive(volume.name, *spec, mountpoint);
            event += "; mounted the share again";
        } else if (in_use) {
            logger()->info("{}: mount on {} is gone, mounting again", volume.name,
                           mountpoint.string());
            make_mountpoint(volume.name, mountpoint);
            mounter.mount(volume.name, *spec, mountpoint);
            mounted = true;
        } else {
            if (live) {
                // Mounted but unused: a crash between mounting and saving the ID, or a dead
                // mount of a volume nobody uses any more.
                logger()->warn("{}: unmounting a stale mount on {}", volume.name,
                               mountpoint.string());
                mounter.unmount(volume.name, mountpoint);
            }
            remove_mountpoint(volume.name, mountpoint);
        }
    } catch (const std::exception& error) {
        error_text = error.what();
        logger()->error("{}: recovery failed: {}", volume.name, error_text);
        if (!event.empty()) event += "; mounting the share again failed";
    }
    std::lock_guard table_lock(table_mutex_);
    volume.mounted = mounted;
    volume.last_error = error_text;
    if (!event.empty()) {
        record_event_locked(volume, event);
        if (error_text.empty()) ++volume.revivals;
    }
    record_server_locked(volume, *spec);
}

size_t VolumeManager::supervise() {
    const std::vector<std::shared_ptr<Volume>> snapshot = all_volumes();
    size_t broken = 0;
    for (const auto& volume : snapshot) {
        std::unique_lock volume_lock(volume->mutex, std::try_to_lock);
        if (!volume_lock.owns_lock()) continue;  // a Mount/Unmount works on it: next pass
        std::optional<VolumeSpec> spec;
        std::optional<ServerProcess> server;
        {
            std::lock_guard table_lock(table_mutex_);
            const bool in_use = !volume->removed && volume->mounted &&
                                !volume->record.mount_ids.empty() && volume->spec.has_value();
            if (!in_use) continue;
            spec = volume->spec;
            server = volume->record.server;
        }
        const std::filesystem::path mountpoint = mountpoint_of(volume->name);
        std::string event;
        std::string error_text;
        try {
            Mounter& mounter = mounter_for_(*spec);
            if (mounter.is_served(mountpoint, server)) continue;
            ++broken;
            event = mounter.is_mounted(mountpoint)
                        ? "the mount stopped working (its nfsfuse process is gone)"
                        : "the mount disappeared (unmounted behind the driver's back)";
            logger()->warn("{}: {} while in use; mounting the share again on {}", volume->name,
                           event, mountpoint.string());
            mounter.revive(volume->name, *spec, mountpoint);
            event += "; mounted the share again";
            logger()->info("{}: the share is back on {}", volume->name, mountpoint.string());
        } catch (const std::exception& error) {
            error_text = error.what();
            event += "; mounting the share again failed (retried every few seconds)";
            logger()->error("{}: mounting the share again failed: {}", volume->name, error_text);
        }
        std::lock_guard table_lock(table_mutex_);
        record_event_locked(*volume, event);
        volume->last_error = error_text;
        if (error_text.empty()) ++volume->revivals;
        record_server_locked(*volume, *spec);
    }
    return broken;
}

void VolumeManager::prepare_subdir(const std::string& name, const VolumeSpec& spec) {
    // Read-only volumes mount it read-only, and so do cow volumes (the share, not an overlay).
    VolumeSpec export_root = spec.cow ? lower_layer_of(spec) : spec;
    export_root.subdir.clear();
    Mounter& mounter = mounter_for_(export_root);
    const std::filesystem::path staging = work_root_ / ("subdir-" + name);
    std::error_code error;
    std::filesystem::create_directories(work_root_, error);
    if (error) {
        throw Error(error.value(),
                    name + ": create " + work_root_.string() + ": " + error.message());
    }
    if (::mkdir(staging.c_str(), 0700) != 0 && errno != EEXIST) {
        throw Error(errno, name + ": create " + staging.string() + ": " + std::strerror(errno));
    }
    if (mounter.is_mounted(staging)) mounter.unmount(name, staging);  // left by a crash

    mounter.mount(name, export_root, staging);
    std::optional<Error> failure;
    try {
        open_subdir_beneath(
            staging, spec.subdir,
            export_root.read_only ? MissingDirectories::refuse : MissingDirectories::create);
        logger()->info("{}: subdir {} exists in {}", name, spec.subdir, share_of(export_root));
    } catch (const std::exception& cause) {
        failure = subdir_error(name, spec, share_of(export_root), cause);
    }
    mounter.unmount(name, staging);
    remove_mountpoint(name, staging);
    if (failure) throw *failure;
}

void VolumeManager::create(const std::string& name,
                           const std::map<std::string, std::string>& options) {
    validate_name(name);
    VolumeSpec spec;
    try {
        spec = parse_volume_options(options, default_mode_);
        mounter_for_(spec).check_can_mount(spec);
    } catch (const std::exception& error) {
        throw with_volume(name, error);
    }

    std::lock_guard table_lock(table_mutex_);
    if (const auto found = volumes_.find(name); found != volumes_.end()) {
        if (found->second->record.options == options) return;
        throw Error(EEXIST, name + ": exists with other options");
    }
    auto volume = std::make_shared<Volume>(name);
    volume->record.options = options;
    volume->record.created_at = now_rfc3339();
    volume->record.mode = to_string(spec.mode);
    volume->record.nfs_version = to_string(spec.version);
    volume->spec = std::move(spec);
    volumes_.emplace(name, volume);
    try {
        save_locked();
    } catch (const std::exception& error) {
        volumes_.erase(name);
        throw with_volume(name, error);
    }
    reached("create.committed");
}

void VolumeManager::remove(const std::string& name) {
    const std::shared_ptr<Volume> volume = find(name);
    std::lock_guard volume_lock(volume->mutex);
    std::optional<VolumeSpec> spec;
    {
        std::lock_guard table_lock(table_mutex_);
        if (volume->removed) throw Error(ENOENT, name + ": no such volume");
        if (!volume->record.mount_ids.empty()) {
            throw Error(EBUSY, name + ": still mounted by " +
                                   std::to_string(volume->record.mount_ids.size()) +
                                   " container mount(s)");
        }
        spec = volume->spec;
    }
    // Its data on local disk (a cow volume's changes) first, with no table lock held: a Remove
    // that fails there keeps the volume, and one a crash interrupts later has nothing left to do.
    if (spec) {
        try {
            mounter_for_(*spec).remove_local_data(name);
        } catch (const std::exception& error) {
            throw with_volume(name, error);
        }
    }
    {
        std::lock_guard table_lock(table_mutex_);
        // The intent first: a restarted driver finishes a Remove it finds begun.
        volume->record.pending = PendingTransition::removing;
        try {
            save_locked();
        } catch (const std::exception& error) {
            volume->record.pending = PendingTransition::none;
            throw with_volume(name, error);
        }
    }
    reached("remove.intent-saved");
    // Before erasing: a new volume of the same name cannot appear while this one is listed.
    remove_mountpoint(name, mountpoint_of(name));
    reached("remove.mountpoint-removed");

    std::lock_guard table_lock(table_mutex_);
    volumes_.erase(name);
    volume->removed = true;
    try {
        save_locked();
    } catch (const std::exception& error) {
        volumes_.emplace(name, volume);
        volume->removed = false;
        volume->record.pending = PendingTransition::none;
        throw with_volume(name, error);
    }
    reached("remove.committed");
}

std::filesystem::path VolumeManager::mount(const std::string& name, const std::string& id) {
    const std::shared_ptr<Volume> volume = find(name);
    if (id.empty()) throw Error(EINVAL, name + ": empty mount ID");
    const std::filesystem::path mountpoint = mountpoint_of(name);

    std::lock_guard volume_lock(volume->mutex);
    VolumeSpec spec;
    {
        std::lock_guard table_lock(table_mutex_);
        if (volume->removed) throw Error(ENOENT, name + ": no such volume");
        if (volume->record.mount_ids.contains(id)) return mountpoint;
        if (volume->mounted) {
            volume->record.mount_ids.insert(id);
            try {
                save_locked();
            } catch (const std::exception& error) {
                volume->record.mount_ids.erase(id);
                throw with_volume(name, error);
            }
            return mountpoint;
        }
        if (!volume->spec) {
            volume->last_error = volume->spec_error;
            throw Error(EINVAL, name + ": " + volume->spec_error);
        }
        spec = *volume->spec;
        // The intent first: a mount a crash leaves behind is then known for one that Docker
        // never got an answer for, and recovery removes it.
        volume->record.pending = PendingTransition::mounting;
        volume->record.pending_id = id;
        try {
            save_locked();
        } catch (const std::exception& error) {
            volume->record.pending = PendingTransition::none;
            volume->record.pending_id.clear();
            throw with_volume(name, error);
        }
    }
    reached("mount.intent-saved");

    // First user (or the remount after a failed recovery): mount with no table lock held.
    Mounter* mounter = nullptr;
    try {
        mounter = &mounter_for_(spec);
        make_mountpoint(name, mountpoint);
        const bool live = mounter->is_mounted(mountpoint);
        if (live && mounter->is_served(mountpoint, volume->record.server)) {
            logger()->info("{}: adopted the live mount on {}", name, mountpoint.string());
        } else {
            if (live) {
                // Dead, and no container uses it: start from a clean mountpoint.
                logger()->warn("{}: removing a dead mount from {}", name, mountpoint.string());
                mounter->unmount(name, mountpoint);
            }
            if (!spec.subdir.empty() && !volume->subdir_ready) {
                prepare_subdir(name, spec);
            }
            mounter->mount(name, spec, mountpoint);
            volume->subdir_ready = true;
        }
    } catch (const std::exception& error) {
        remove_mountpoint(name, mountpoint);
        std::lock_guard table_lock(table_mutex_);
        volume->last_error = error.what();
        abandon_pending_locked(*volume);
        throw with_volume(name, error);
    }
    reached("mount.mounted");

    std::lock_guard table_lock(table_mutex_);
    volume->mounted = true;
    volume->last_error.clear();
    volume->record.mount_ids.insert(id);
    volume->record.server = mounter->server_of(mountpoint);
    volume->record.pending = PendingTransition::none;
    volume->record.pending_id.clear();
    try {
        save_locked();
    } catch (const std::exception& error) {
        // Docker will be told Mount failed: leave nothing mounted for an ID nobody will unmount.
        volume->record.mount_ids.erase(id);
        if (volume->record.mount_ids.empty()) {
            try {
                mounter->unmount(name, mountpoint);
                volume->mounted = false;
                remove_mountpoint(name, mountpoint);
            } catch (const std::exception& unmount_error) {
                logger()->error("{}: unmount after failed save: {}", name, unmount_error.what());
            }
        }
        throw with_volume(name, error);
    }
    reached("mount.committed");
    return mountpoint;
}

void VolumeManager::unmount(const std::string& name, const std::string& id) {
    const std::shared_ptr<Volume> volume = find(name);
    if (id.empty()) throw Error(EINVAL, name + ": empty mount ID");
    const std::filesystem::path mountpoint = mountpoint_of(name);

    std::lock_guard volume_lock(volume->mutex);
    std::optional<VolumeSpec> spec;
    {
        std::lock_guard table_lock(table_mutex_);
        if (volume->removed) throw Error(ENOENT, name + ": no such volume");
        if (!volume->record.mount_ids.contains(id)) {
            logger()->warn("{}: Unmount of unknown mount ID {} ignored", name, id);
            return;
        }
        if (volume->record.mount_ids.size() > 1 || !volume->mounted) {
            volume->record.mount_ids.erase(id);
            try {
                save_locked();
            } catch (const std::exception& error) {
                volume->record.mount_ids.insert(id);
                throw with_volume(name, error);
            }
            if (volume->record.mount_ids.empty()) remove_mountpoint(name, mountpoint);
            return;
        }
        spec = volume->spec;  // mounted implies the options parsed
        // The intent first, with the ID already released: Docker has let go of it whether or
        // not it hears back, so a restarted driver finishes this Unmount rather than mounting
        // the share again for an ID nobody will unmount.
        volume->record.mount_ids.erase(id);
        volume->record.pending = PendingTransition::unmounting;
        volume->record.pending_id = id;
        try {
            save_locked();
        } catch (const std::exception& error) {
            volume->record.mount_ids.insert(id);
            volume->record.pending = PendingTransition::none;
            volume->record.pending_id.clear();
            throw with_volume(name, error);
        }
    }
    reached("unmount.intent-saved");

    // The last user: unmount with no table lock held. A failed unmount gives the ID back.
    try {
        if (!spec) throw Error(EINVAL, volume->spec_error);
        mounter_for_(*spec).unmount(name, mountpoint);
    } catch (const std::exception& error) {
        std::lock_guard table_lock(table_mutex_);
        volume->last_error = error.what();
        volume->record.mount_ids.insert(id);
        abandon_pending_locked(*volume);
        throw with_volume(name, error);
    }
    reached("unmount.unmounted");
    remove_mountpoint(name, mountpoint);

    std::lock_guard table_lock(table_mutex_);
    volume->mounted = false;
    volume->last_error.clear();
    volume->record.server.reset();
    volume->record.pending = PendingTransition::none;
    volume->record.pending_id.clear();
    // The unmount happened; memory follows reality even if the file cannot (the file's pending
    // Unmount is finished by a restart, and the next save writes the right state).
    try {
        save_locked();
    } catch (const std::exception& error) {
        throw with_volume(name, error);
    }
    reached("unmount.committed");
}

std::filesystem::path VolumeManager::path(const std::string& name) const {
    const std::shared_ptr<Volume> volume = find(name);
    std::lock_guard table_lock(table_mutex_);
    if (volume->removed) throw Error(ENOENT, name + ": no such volume");
    return volume->mounted ? mountpoint_of(name) : std::filesystem::path();
}

VolumeInfo VolumeManager::get(const std::string& name) const {
    const std::shared_ptr<Volume> volume = find(name);
    VolumeInfo info;
    std::optional<VolumeSpec> spec;
    {
        std::lock_guard table_lock(table_mutex_);
        if (volume->removed) throw Error(ENOENT, name + ": no such volume");
        info = info_locked(*volume);
        spec = volume->spec;
    }
    // With no lock held: measuring a cow volume's upper layer walks it on disk.
    if (spec) {
        try {
            info.local_layer = mounter_for_(*spec).local_layer(name);
        } catch (const std::exception& error) {
            // Status still answers (dockerd forgets volumes whose Get fails); it says why.
            info.local_layer_error = error.what();
            logger()->warn("{}: {}", name, error.what());
        }
    }
    return info;
}

std::vector<VolumeInfo> VolumeManager::list() const {
    std::lock_guard table_lock(table_mutex_);
    std::vector<VolumeInfo> infos;
    infos.reserve(volumes_.size());
    for (const auto& [name, volume] : volumes_) infos.push_back(info_locked(*volume));
    return infos;
}

}  // namespace nfsfuse::driver
