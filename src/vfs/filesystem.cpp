#include "vfs/filesystem.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "util/error.h"
#include "vfs/filesystem_open_file.h"

namespace nfsfuse::vfs {
namespace {

// Directories whose names nfsfuse tracks (those it created), and the most names it tracks in
// one: about 100 bytes a name, so at most some 10 MB.
constexpr size_t kKnownDirectories = 1024;
constexpr size_t kMaxKnownNames = 100000;

constexpr size_t kRecentAttributes = 4096;

// Threads sending WRITEs, and WRITEs of one file on the wire at once.
constexpr size_t kSenderThreads = 4;
constexpr size_t kMaxInFlightPerFile = 4;

// How long a GETATTR may be answered with what the server said a moment ago: a second, never
// longer than the kernel may trust attributes itself (0 with cache=none or noac).
cache::RecentAttributes::Clock::duration recent_attributes_age(const FilesystemSettings& settings) {
    if (settings.cache == options::CacheMode::none) return {};
    const uint32_t shortest_s =
        std::min(settings.attribute_cache.regular_min_s, settings.attribute_cache.directory_min_s);
    return std::min<cache::RecentAttributes::Clock::duration>(std::chrono::seconds(1),
                                                              std::chrono::seconds(shortest_s));
}

nfs::OpenAccess access_of(int flags) {
    switch (flags & O_ACCMODE) {
        case O_RDONLY:
            return nfs::OpenAccess::read;
        case O_WRONLY:
            return nfs::OpenAccess::write;
        default:
            return nfs::OpenAccess::read_write;
    }
}

// What mknod(2)'s mode and device make, other than a regular file. Whether a device node may be
// used is the mount's nodev policy, not a reason to refuse creating one (the kernel client
// creates them as well).
std::optional<nfs::SpecialFile> special_file_of(uint32_t mode, uint64_t rdev) {
    const auto device = [&](nfs::FileType type) {
        return nfs::SpecialFile{type, static_cast<uint32_t>(major(rdev)),
                                static_cast<uint32_t>(minor(rdev))};
    };
    switch (mode & S_IFMT) {
        case S_IFIFO:
            return nfs::SpecialFile{nfs::FileType::fifo, 0, 0};
        case S_IFSOCK:
            return nfs::SpecialFile{nfs::FileType::socket, 0, 0};
        case S_IFCHR:
            return device(nfs::FileType::char_device);
        case S_IFBLK:
            return device(nfs::FileType::block_device);
        default:
            return std::nullopt;
    }
}

std::string describe(const nfs::FileHandle& handle) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text = "file handle ";
    for (const unsigned char byte : handle.bytes) {
        text += kHex[byte >> 4];
        text += kHex[byte & 15];
    }
    return text;
}

// `mode` without what a write, truncate or chown by someone without CAP_FSETID drops: setuid,
// and setgid where the group may execute (without that it marks mandatory locking, and stays),
// as the kernel's setattr_should_drop_suidgid decides.
uint32_t without_setid(uint32_t mode) {
    mode &= ~static_cast<uint32_t>(S_ISUID);
    if ((mode & S_IXGRP) != 0) mode &= ~static_cast<uint32_t>(S_ISGID);
    return mode;
}

}  // namespace

// An open directory: one listing taken when reading starts at offset 0.
struct Filesystem::OpenDirectory {
    nfs::FileHandle handle;
    std::vector<nfs::DirectoryEntry> entries;
};

Filesystem::Filesystem(nfs::NfsClient& client, FilesystemSettings settings)
    : client_(client),
      settings_(settings),
      inodes_(client.root()),
      blocks_(
          settings.cache == options::CacheMode::full ? settings.block_cache_bytes : 0,
          settings.cache_block_bytes,
          [&client](const nfs::CallContext& context, const nfs::FileHandle& fh, uint64_t offset,
                    uint32_t length) { return client.read(context, fh, offset, length); },
          client.max_read()),
      names_(settings.cache == options::CacheMode::none ? 0 : kKnownDirectories, kMaxKnownNames),
      recent_attributes_(recent_attributes_age(settings), kRecentAttributes),
      file_context_{client, senders_, blocks_, client.max_write(), settings.commit_threshold_bytes,
                    kMaxInFlightPerFile, settings.cache == options::CacheMode::none,
                    // Not remembered: WRITEs on the wire together may be answered in any
                    // order, and the last answer need not be the file's latest state.
                    [this](const nfs::FileHandle& fh) { recent_attributes_.forget(fh); }},
      files_(file_context_),
      senders_(kSenderThreads) {}

Filesystem::~Filesystem() = default;

std::string Filesystem::call_counts_text() const {
    std::string text;
    for (const auto& [procedure, count] : client_.call_counts())
        text += procedure + " " + std::to_string(count) + "\n";
    return text;
}

void Filesystem::reject_if_read_only() const {
    if (settings_.read_only) throw Error(EROFS, "the mount is read-only");
}

Filesystem::OpenFile& Filesystem::open_file(uint64_t handle) const {
    return *reinterpret_cast<OpenFile*>(handle);
}

cache::CacheTimeouts Filesystem::timeouts_for(const nfs::Attributes& attributes) const {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return cache::cache_timeouts(settings_.attribute_cache, settings_.cache, attributes, now);
}

nfs::Attributes Filesystem::as_seen(const nfs::FileHandle& fh, nfs::Attributes attributes) const {
    if (attributes.type != nfs::FileType::regular) return attributes;
    if (const std::shared_ptr<File> file = files_.find(fh))
        attributes.size = file->size_seen(attributes.size);
    return attributes;
}

AttributesReply Filesystem::attributes_reply(const nfs::FileHandle& fh,
                                             const nfs::Attributes& attributes) const {
    const nfs::Attributes seen = as_seen(fh, attributes);
    return {seen, timeouts_for(seen).attributes_s};
}

EntryReply Filesystem::make_entry(const nfs::Entry& entry) {
    received_attributes(entry.handle, entry.attributes);
    const nfs::Attributes seen = as_seen(entry.handle, entry.attributes);
    return {inodes_.remember(entry.handle), seen, timeouts_for(seen)};
}

EntryReply Filesystem::listed_entry(const nfs::Entry& entry) {
    return make_entry(entry);
}

void Filesystem::received_attributes(const nfs::FileHandle& fh, const nfs::Attributes& attributes) {
    recent_attributes_.remember(fh, attributes, cache::RecentAttributes::Clock::now());
    if (attributes.type != nfs::FileType::regular) return;
    if (const std::shared_ptr<File> file = files_.find(fh))
        file->server_stamp(nfs::change_stamp_of(attributes));
}

nfs::Attributes Filesystem::current_attributes(const nfs::CallContext& context,
                                               const nfs::FileHandle& fh) {
    if (auto recent = recent_attributes_.get(fh, cache::RecentAttributes::Clock::now()))
        return *recent;
    const nfs::Attributes attributes = client_.getattr(context, fh);
    received_attributes(fh, attributes);
    return attributes;
}

nfs::Entry Filesystem::with_settled_data(const nfs::CallContext& context, nfs::Entry entry) {
    const std::shared_ptr<File> file = files_.find(entry.handle);
    if (!file || !file->has_pending()) return entry;
    file->settle(context);
    entry.attributes = client_.getattr(context, entry.handle);
    received_attributes(entry.handle, entry.attributes);
    return entry;
}

bool Filesystem::certainly_absent(const nfs::FileHandle& dir, const std::string& name) {
    const double max_age_s =
        cache::negative_entry_timeout_s(settings_.attribute_cache, settings_.cache);
    if (max_age_s <= 0) return false;
    return names_.certainly_absent(
        dir, name, cache::DirectoryNames::Clock::now(),
        std::chrono::duration_cast<cache::DirectoryNames::Clock::duration>(
            std::chrono::duration<double>(max_age_s)));
}

void Filesystem::name_added(const nfs::FileHandle& dir, const std::string& name,
                            const nfs::DirectoryChange& change) {
    // The directory's size, times and (for a subdirectory) link count changed: the kernel asks
    // for them right away, and find(1) trusts a directory's link count.
    recent_attributes_.forget(dir);
    names_.added(dir, name, change, cache::DirectoryNames::Clock::now());
}

void Filesystem::name_removed(const nfs::FileHandle& dir, const std::string& name,
                              const nfs::DirectoryChange& change) {
    // The object that had the name changed too (link count, ctime), and we do not know which.
    recent_attributes_.forget_all();
    names_.removed(dir, name, change, cache::DirectoryNames::Clock::now());
}

void Filesystem::renamed(const nfs::FileHandle& from_dir, const std::string& from_name,
                         const nfs::FileHandle& to_dir, const std::string& to_name,
                         const nfs::RenameChanges& changes) {
    name_removed(from_dir, from_name, changes.from);
    // Within one directory both sides report the same before and after of the one change, which
    // the removal has applied already.
    const nfs::DirectoryChange to_change =
        from_dir == to_dir ? nfs::DirectoryChange{changes.to.after, changes.to.after} : changes.to;
    name_added(to_dir, to_name, to_change);
}

template <class Call>
auto Filesystem::changing(const nfs::FileHandle& dir, Call&& call) {
    try {
        return call();
    } catch (...) {
        names_.forget(dir);
        throw;
    }
}

// --- names and attributes -----------------------------------------------------------------

EntryReply Filesystem::lookup(const nfs::CallContext& context, uint64_t parent,
                              const std::string& name) {
    const nfs::FileHandle dir = inodes_.handle(parent);
    const double negative_s =
        cache::negative_entry_timeout_s(settings_.attribute_cache, settings_.cache);
    // Inode 0 with a timeout: the kernel remembers that the name does not exist.
    EntryReply negative;
    negative.timeouts.entry_s = negative_s;
    if (certainly_absent(dir, name)) return negative;
    try {
        return make_entry(with_settled_data(context, client_.lookup(context, dir, name)));
    } catch (const Error& error) {
        if (error.errnum() != ENOENT || negative_s <= 0) throw;
        return negative;
    }
}

void Filesystem::forget(uint64_t ino, uint64_t count) {
    if (const std::optional<nfs::FileHandle> gone = inodes_.forget(ino, count))
        drop_file_if_unused(*gone);
}

void Filesystem::drop_file_if_unused(const nfs::FileHandle& fh) {
    // A file the kernel still knows keeps its state, as the kernel client's nfs_inode lives as
    // long as its inode: the stamp its cached pages match and the generation of our blocks.
    if (!inodes_.find(fh)) files_.drop_if_idle(fh);
}

AttributesReply Filesystem::getattr(const nfs::CallContext& context, uint64_t ino) {
    const nfs::FileHandle handle = inodes_.handle(ino);
    // The size must include what we hold.
    if (const std::shared_ptr<File> file = files_.find(handle)) file->settle(context);
    return attributes_reply(handle, current_attributes(context, handle));
}

AttributesReply Filesystem::setattr(const nfs::CallContext& context, uint64_t ino,
                                    std::optional<uint64_t> open_handle,
                                    const nfs::SetAttributes& changes, SetidBits setid) {
    reject_if_read_only();
    std::shared_ptr<File> file;
    nfs::FileHandle handle;
    if (open_handle) {
        file = open_file(*open_handle).file;
        handle = file->handle();
    } else {
        handle = inodes_.handle(ino);
        file = files_.find(handle);
    }
    recent_attributes_.forget(handle);  // whatever happens, what it holds is old now
    const auto call = [&] { return client_.setattr(context, handle, changes); };
    // A file's data goes first (sent after a truncation it would extend the file again; sent
    // after a new mtime it would change it again), and a new size cuts what is owed.
    nfs::Attributes changed = file ? file->set_attributes(context, changes, call) : call();
    if (setid == SetidBits::clear) changed = clear_setid_kept(context, handle, changed);
    received_attributes(handle, changed);
    return attributes_reply(handle, changed);
}

nfs::Attributes Filesystem::clear_setid_kept(const nfs::CallContext& context,
                                             const nfs::FileHandle& handle,
                                             const nfs::Attributes& after) {
    // Decided on the server's answer, not on a cached mode: no call when the server cleared the
    // bits itself (a chown on most servers) or the file has none, the common case.
    const uint32_t cleared = without_setid(after.mode);
    if (cleared == after.mode) return after;
    nfs::SetAttributes chmod;
    chmod.mode = cleared;
    try {
        return client_.setattr(context, handle, chmod);
    } catch (const Error& e) {
        if (e.errnum() != EPERM && e.errnum() != EACCES) throw;
        // The caller may change the file but not its mode (not its owner): the bits stay, as
        // with the kernel NFS client, which leaves them to the server; the change asked for
        // has been made and is answered.
        spdlog::warn("{}: setuid/setgid bits kept after a truncate or chown: {}", describe(handle),
                     e.what());
        return after;
    }
}

std::string Filesystem::readlink(const nfs::CallContext& context, uint64_t ino) {
    return client_.readlink(context, inodes_.handle(ino));
}

EntryReply Filesystem::mknod(const nfs::CallContext& context, uint64_t parent,
                             const std::string& name, uint32_t mode, uint64_t rdev) {
    reject_if_read_only();
    const auto attributes = nfs::NewObjectAttributes{mode & 07777};
    const nfs::FileHandle dir = inodes_.handle(parent);
    const std::optional<nfs::SpecialFile> special = special_file_of(mode, rdev);
    if (!special && !S_ISREG(mode))
        throw Error(EINVAL, "mknod " + name + ": not a file type NFS knows");
    const nfs::Entry entry = changing(dir, [&] {
        if (special) return client_.mknod(context, dir, name, *special, attributes);
        // NFSv4 makes regular files only by opening them: close at once.
        const nfs::CreatedFile created = client_.create(context, dir, name, attributes,
                                                        /*exclusive=*/true, nfs::OpenAccess::read);
        client_.close(created.id);
        return created.entry;
    });
    name_added(dir, name, entry.parent_change);
    return make_entry(entry);
}

EntryReply Filesystem::mkdir(const nfs::CallContext& context, uint64_t parent,
                             const std::string& name, uint32_t mode) {
    reject_if_read_only();
    const nfs::FileHandle dir = inodes_.handle(parent);
    const nfs::Entry entry = changing(dir, [&] {
        return client_.mkdir(context, dir, name, nfs::NewObjectAttributes{mode & 07777});
    });
    name_added(dir, name, entry.parent_change);
    // Empty, and ours: until someone else changes it, its names need no LOOKUP.
    names_.created_empty(entry.handle, nfs::change_stamp_of(entry.attributes),
                         cache::DirectoryNames::Clock::now());
    return make_entry(entry);
}

EntryReply Filesystem::symlink(const nfs::CallContext& context, const std::string& target,
                               uint64_t parent, const std::string& name) {
    reject_if_read_only();
    const nfs::FileHandle dir = inodes_.handle(parent);
    const nfs::Entry entry = changing(dir, [&] {
        return client_.symlink(context, dir, name, target, nfs::NewObjectAttributes{0777});
    });
    name_added(dir, name, entry.parent_change);
    return make_entry(entry);
}

EntryReply Filesystem::link(const nfs::CallContext& context, uint64_t ino, uint64_t new_parent,
                            const std::string& new_name) {
    reject_if_read_only();
    const nfs::FileHandle dir = inodes_.handle(new_parent);
    const nfs::Entry linked =
        changing(dir, [&] { return client_.link(context, inodes_.handle(ino), dir, new_name); });
    name_added(dir, new_name, linked.parent_change);
    return make_entry(with_settled_data(context, linked));
}

// Renames `name` in `dir`, the open file `file`, to a hidden name, to be removed at its last close.
void Filesystem::hide(const nfs::CallContext& context, const nfs::FileHandle& dir,
                      const std::string& name, const nfs::Entry& entry, File& file) {
    const std::string hidden = files_.hidden_name(entry.attributes.fileid);
    renamed(dir, name, dir, hidden,
            changing(dir, [&] { return client_.rename(context, dir, name, dir, hidden); }));
    if (file.hide(PendingRemoval{dir, hidden, context.credentials()})) {
        spdlog::debug("{}: still open, hidden as {}", name, hidden);
    } else {
        // Its last close came while we renamed it, and found nothing to remove yet.
        name_removed(dir, hidden,
                     changing(dir, [&] { return client_.remove(context, dir, hidden); }));
    }
}

void Filesystem::set_release_barrier(std::function<void()> barrier) {
    std::lock_guard lock(release_barrier_mutex_);
    release_barrier_ = std::move(barrier);
}

bool Filesystem::still_open_after_releases(File& file) {
    std::function<void()> barrier;
    {
        std::lock_guard lock(release_barrier_mutex_);
        barrier = release_barrier_;
    }
    if (barrier) barrier();
    return file.is_open();
}

// If `name` is a file some process still has open, hides it and returns true. The LOOKUP this
// needs is only paid while files are open.
bool Filesystem::hide_if_open(const nfs::CallContext& context, const nfs::FileHandle& dir,
                              const std::string& name) {
    if (!files_.any_open()) return false;
    const nfs::Entry entry = client_.lookup(context, dir, name);
    const std::shared_ptr<File> file = files_.find(entry.handle);
    if (!file || !file->is_open() || !still_open_after_releases(*file)) return false;
    hide(context, dir, name, entry, *file);
    return true;
}

void Filesystem::hide_replaced_if_open(const nfs::CallContext& context, const nfs::FileHandle& from,
                                       const std::string& name, const nfs::FileHandle& to,
                                       const std::string& new_name) {
    if (!files_.any_open()) return;
    std::optional<nfs::Entry> replaced;
    try {
        replaced = client_.lookup(context, to, new_name);
    } catch (const Error& e) {
        if (e.errnum() != ENOENT) throw;
        return;  // nothing is replaced
    }
    const std::shared_ptr<File> file = files_.find(replaced->handle);
    if (!file || !file->is_open() || !still_open_after_releases(*file)) return;
    // Two names of one file: rename(2) leaves both as they are, and so does the server.
    if (client_.lookup(context, from, name).handle == replaced->handle) return;
    hide(context, to, new_name, *replaced, *file);
}

void Filesystem::unlink(const nfs::CallContext& context, uint64_t parent, const std::string& name) {
    reject_if_read_only();
    const nfs::FileHandle dir = inodes_.handle(parent);
    if (hide_if_open(context, dir, name)) return;
    name_removed(dir, name, changing(dir, [&] { return client_.remove(context, dir, name); }));
}

void Filesystem::rmdir(const nfs::CallContext& context, uint64_t parent, const std::string& name) {
    reject_if_read_only();
    const nfs::FileHandle dir = inodes_.handle(parent);
    name_removed(dir, name, changing(dir, [&] { return client_.rmdir(context, dir, name); }));
}

void Filesystem::rename(const nfs::CallContext& context, uint64_t parent, const std::string& name,
                        uint64_t new_parent, const std::string& new_name, unsigned flags) {
    reject_if_read_only();
    const nfs::FileHandle from = inodes_.handle(parent);
    const nfs::FileHandle to = inodes_.handle(new_parent);
    // NFS has no atomic exchange; refusing is honest (callers fall back to plain rename).
    if (flags & RENAME_EXCHANGE) throw Error(EINVAL, "RENAME_EXCHANGE is not supported over NFS");
    if (flags & ~static_cast<unsigned>(RENAME_NOREPLACE))
        throw Error(EINVAL, "unsupported rename flags");
    if (flags & RENAME_NOREPLACE) {
        // Checked, then renamed: another client could create the target in between, which
        // NFSv3 gives us no way to exclude.
        bool target_exists = true;
        try {
            client_.lookup(context, to, new_name);
        } catch (const Error& e) {
            if (e.errnum() != ENOENT) throw;
            target_exists = false;
        }
        if (target_exists) throw Error(EEXIST, "rename: " + new_name + " exists");
    }
    // A process that has the replaced file open keeps it, as with unlink.
    hide_replaced_if_open(context, from, name, to, new_name);
    renamed(from, name, to, new_name,
            changing(from, [&] { return client_.rename(context, from, name, to, new_name); }));
}

void Filesystem::access(const nfs::CallContext& context, uint64_t ino, int mask) {
    const nfs::FileHandle handle = inodes_.handle(ino);
    if (mask == F_OK) {
        client_.getattr(context, handle);
        return;
    }
    if ((mask & W_OK) && settings_.read_only) throw Error(EROFS, "the mount is read-only");
    uint32_t wanted = 0;
    if (mask & R_OK) wanted |= nfs::access_read;
    if (mask & W_OK) wanted |= nfs::access_modify | nfs::access_extend;
    // For a directory "execute" is search permission: ask for both, either answers.
    if (mask & X_OK) wanted |= nfs::access_execute | nfs::access_lookup;
    const uint32_t granted = client_.access(context, handle, wanted);
    const bool read_ok = !(mask & R_OK) || (granted & nfs::access_read);
    const bool write_ok = !(mask & W_OK) || (granted & nfs::access_modify);
    const bool exec_ok = !(mask & X_OK) || (granted & (nfs::access_execute | nfs::access_lookup));
    if (!(read_ok && write_ok && exec_ok)) throw Error(EACCES, "access denied by the server");
}

nfs::FsStats Filesystem::statfs(const nfs::CallContext& context, uint64_t ino) {
    return client_.statfs(context, inodes_.handle(ino));
}

// --- open files ---------------------------------------------------------------------------

// What the kernel may keep of a file's data at open (docs/SEMANTICS.md). cache=none: no page
// cache at all (direct_io). meta: the kernel drops its pages at every open. full: it keeps them
// while the server's stamp of the file is the one its pages were read or written at.
bool Filesystem::keep_cache_at_open(File& file, const nfs::Attributes& current) {
    const bool keep = file.keep_pages_at_open(nfs::change_stamp_of(current));
    return settings_.cache == options::CacheMode::full && keep;
}

uint64_t Filesystem::register_open(std::shared_ptr<File> file, nfs::OpenId open,
                                   std::optional<nfs::Credentials> opener) {
    files_.opened(*file);
    auto owned = std::make_unique<OpenFile>(
        OpenFile{std::move(file), open, std::move(opener), false, std::nullopt});
    const auto handle = reinterpret_cast<uint64_t>(owned.get());
    std::lock_guard lock(handles_mutex_);
    open_files_.emplace(handle, std::move(owned));
    return handle;
}

OpenReply Filesystem::open(const nfs::CallContext& context, uint64_t ino, int flags) {
    if ((flags & O_ACCMODE) != O_RDONLY) reject_if_read_only();
    const nfs::FileHandle handle = inodes_.handle(ino);
    const std::shared_ptr<File> file = files_.get(handle);
    try {
        // With FUSE_CAP_ATOMIC_O_TRUNC the kernel leaves O_TRUNC to us.
        if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY) {
            nfs::SetAttributes to_empty;
            to_empty.size = 0;
            recent_attributes_.forget(handle);
            file->set_attributes(context, to_empty,
                                 [&] { return client_.setattr(context, handle, to_empty); });
        } else {
            // Data another open of this file holds belongs in what this open sees.
            file->settle(context);
        }
        // Close-to-open consistency: the open brings the attributes the server has now,
        // whatever the kernel cached.
        const nfs::OpenedFile opened = client_.open(context, handle, access_of(flags));
        received_attributes(handle, opened.attributes);
        OpenReply reply;
        reply.direct_io = settings_.cache == options::CacheMode::none;
        reply.keep_cache = keep_cache_at_open(*file, opened.attributes);
        reply.handle = register_open(file, opened.id, context.credentials());
        return reply;
    } catch (...) {
        drop_file_if_unused(handle);
        throw;
    }
}

CreateReply Filesystem::create(const nfs::CallContext& context, uint64_t parent,
                               const std::string& name, uint32_t mode, int flags) {
    reject_if_read_only();
    const nfs::FileHandle dir = inodes_.handle(parent);
    nfs::CreatedFile created = changing(dir, [&] {
        return client_.create(context, dir, name, nfs::NewObjectAttributes{mode & 07777},
                              (flags & O_EXCL) != 0, access_of(flags));
    });
    name_added(dir, name, created.entry.parent_change);
    const std::shared_ptr<File> file = files_.get(created.entry.handle);
    nfs::Entry entry;
    try {
        entry = with_settled_data(context, created.entry);  // O_CREAT of a file we are writing
    } catch (...) {
        client_.close(created.id);
        drop_file_if_unused(created.entry.handle);
        throw;
    }
    CreateReply reply;
    reply.entry = make_entry(entry);
    // A new (or emptied) file: nothing cached yet, and the stamp starts here.
    file->forget_pages();
    reply.open.direct_io = settings_.cache == options::CacheMode::none;
    reply.open.keep_cache = keep_cache_at_open(*file, entry.attributes);
    reply.open.handle = register_open(file, created.id, context.credentials());
    return reply;
}

const std::optional<nfs::Credentials>& Filesystem::opener(uint64_t handle) const {
    return open_file(handle).opener;
}

std::vector<cache::BlockCache::Piece> Filesystem::read(const nfs::CallContext& context,
                                                       uint64_t handle, uint64_t offset,
                                                       uint32_t size) {
    return open_file(handle).file->read(context, offset, size);
}

void Filesystem::write(const nfs::CallContext& context, uint64_t handle, uint64_t offset,
                       std::string_view data) {
    open_file(handle).file->write(context, offset, data);
}

void Filesystem::flush(const nfs::CallContext& context, uint64_t handle,
                       std::optional<nfs::LockOwner> closing_owner) {
    OpenFile& open = open_file(handle);
    // The locks go even when the data cannot: close(2) has happened for the process.
    if (closing_owner && open.file->forget_lock_owner(*closing_owner))
        release_locks(open, *closing_owner);
    open.file->flush(context);
}

void Filesystem::release_received(uint64_t handle) {
    OpenFile& open = open_file(handle);
    open.removal_at_close = files_.released(*open.file);
    open.counted_closed = true;
}

void Filesystem::release(uint64_t handle) noexcept {
    std::unique_ptr<OpenFile> open;
    {
        std::lock_guard lock(handles_mutex_);
        const auto found = open_files_.find(handle);
        if (found == open_files_.end()) return;
        open = std::move(found->second);
        open_files_.erase(found);
    }
    // A RELEASE from the kernel was counted when it was read (release_received); a handle the
    // kernel never got is counted here.
    const std::optional<PendingRemoval> removal =
        open->counted_closed ? std::move(open->removal_at_close) : files_.released(*open->file);
    // An open file description's flock and OFD locks end with it (POSIX locks ended at close).
    for (const nfs::LockOwner owner : open->file->forget_lock_owners_of(handle))
        release_locks(*open, owner);
    client_.close(open->open);
    const nfs::FileHandle fh = open->file->handle();
    if (!open->file->is_open() && open->file->has_pending()) {
        // Its last close did not settle everything (an interrupted flush): the data is still
        // owed, and goes now rather than at the next open.
        senders_.post([this, file = open->file, fh] {
            try {
                file->flush(nfs::CallContext{});
            } catch (const Error& e) {
                spdlog::error("{}: data written before its last close could not be written: {}",
                              describe(fh), e.what());
            }
            drop_file_if_unused(fh);
        });
    }
    open.reset();
    drop_file_if_unused(fh);
    if (!removal) return;
    try {
        name_removed(
            removal->directory, removal->name,
            client_.remove(nfs::CallContext{removal->remover}, removal->directory, removal->name));
    } catch (const Error& e) {
        // close(2) has already returned to the application; all we can do is say so.
        spdlog::warn("could not remove the hidden file {} at its last close: {}", removal->name,
                     e.what());
    }
}

// --- directories --------------------------------------------------------------------------

uint64_t Filesystem::opendir(uint64_t ino) {
    auto owned = std::make_unique<OpenDirectory>(OpenDirectory{inodes_.handle(ino), {}});
    const auto handle = reinterpret_cast<uint64_t>(owned.get());
    std::lock_guard lock(handles_mutex_);
    open_directories_.emplace(handle, std::move(owned));
    return handle;
}

const std::vector<nfs::DirectoryEntry>& Filesystem::readdir(const nfs::CallContext& context,
                                                            uint64_t handle, uint64_t offset) {
    OpenDirectory& dir = *reinterpret_cast<OpenDirectory*>(handle);
    if (offset == 0) {
        files_.settle_all(context);  // listed sizes must include what we hold
        dir.entries = client_.readdir(context, dir.handle);
    }
    return dir.entries;
}

void Filesystem::releasedir(uint64_t handle) noexcept {
    std::lock_guard lock(handles_mutex_);
    open_directories_.erase(handle);
}

// --- shutdown -----------------------------------------------------------------------------

ShutdownReport Filesystem::shutdown(const nfs::CallContext& context) {
    lock_waits_.stop();  // their callers get EINTR while they can still be answered
    ShutdownReport report;
    for (const std::shared_ptr<File>& file : files_.all()) {
        if (!file->has_pending()) continue;
        const uint64_t owed = file->owed_bytes();
        try {
            file->flush(context);
            ++report.files_flushed;
        } catch (const Error& e) {
            report.failures.push_back(describe(file->handle()) + ": " + std::to_string(owed) +
                                      " bytes not written: " + e.what());
        }
    }
    return report;
}

}  // namespace nfsfuse::vfs
