#include "fusefs/nfs_filesystem.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <spdlog/spdlog.h>
#include <sys/uio.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fusefs/fuse_stat.h"
#include "fusefs/kernel_readahead.h"
#include "fusefs/request_scope.h"
#include "util/error.h"

namespace nfsfuse::fusefs {
namespace {

// Transfers the kernel may send us in one request: 1 MiB, like the kernel NFS client's rsize/wsize.
constexpr unsigned kMaxTransfer = 1024 * 1024;
// nfsfuse's block cache keeps READ data in blocks of this size: the kernel's readahead requests
// (256 KiB to 1 MiB) start on multiples of it, so each of them fills whole blocks.
constexpr uint32_t kCacheBlockSize = 256 * 1024;

// An open regular file: the handle, copied so reads and writes need no table lookup, and the
// inode id, for the open-file bookkeeping of unlink.
struct OpenFile {
    nfs::FileHandle handle;
    uint64_t id = 0;
    nfs::OpenId open = 0;  // the open on the server, closed at release
    // Set when the kernel's RELEASE was taken from the device (NfsFilesystem::release_received):
    // from then on the file no longer counts as open, whatever the release still has to do.
    bool counted_closed = false;
    std::optional<vfs::PendingRemoval> removal_at_close = std::nullopt;
};

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

// An open directory: one listing taken when reading starts at offset 0, so offsets stay
// meaningful across the readdir calls of one pass (seekdir/telldir included).
struct OpenDirectory {
    nfs::FileHandle handle;
    std::vector<nfs::DirectoryEntry> entries;
};

NfsFilesystem& filesystem(fuse_req_t req) {
    auto& fs = *static_cast<NfsFilesystem*>(fuse_req_userdata(req));
    fs.after_init();
    return fs;
}

nfs::FileHandle handle_of(fuse_req_t req, fuse_ino_t ino) {
    return filesystem(req).inodes().handle(ino);
}

OpenFile& open_file(fuse_file_info* fi) {
    return *reinterpret_cast<OpenFile*>(fi->fh);
}
OpenDirectory& open_directory(fuse_file_info* fi) {
    return *reinterpret_cast<OpenDirectory*>(fi->fh);
}

void reject_if_read_only(fuse_req_t req) {
    if (filesystem(req).settings().read_only) throw Error(EROFS, "the mount is read-only");
}

// Runs a call that changes `dir`; if it fails, what we knew of the directory's names may be wrong
// (it may have half happened, or show that someone else changed the directory): forget it.
template <class Call>
auto changing(NfsFilesystem& fs, const nfs::FileHandle& dir, Call&& call) {
    try {
        return call();
    } catch (...) {
        fs.names().forget(dir);
        throw;
    }
}

// Runs a call that adds `name` to `dir` (create, mkdir, symlink, link) and records the name.
template <class Call>
nfs::Entry adding_name(NfsFilesystem& fs, const nfs::FileHandle& dir, const std::string& name,
                       Call&& call) {
    nfs::Entry entry = changing(fs, dir, std::forward<Call>(call));
    fs.name_added(dir, name, entry.parent_change);
    return entry;
}

// Runs a call that removes `name` from `dir` (unlink, rmdir) and records it.
template <class Call>
void removing_name(NfsFilesystem& fs, const nfs::FileHandle& dir, const std::string& name,
                   Call&& call) {
    fs.name_removed(dir, name, changing(fs, dir, std::forward<Call>(call)));
}

// Records a rename in the known names of both directories.
void renamed(NfsFilesystem& fs, const nfs::FileHandle& from_dir, const std::string& from_name,
             const nfs::FileHandle& to_dir, const std::string& to_name,
             const nfs::RenameChanges& changes) {
    fs.name_removed(from_dir, from_name, changes.from);
    // Within one directory both sides report the same before and after of the one change, which
    // the removal has applied already.
    const nfs::DirectoryChange to_change =
        from_dir == to_dir ? nfs::DirectoryChange{changes.to.after, changes.to.after} : changes.to;
    fs.name_added(to_dir, to_name, to_change);
}

Reply reply_entry(fuse_req_t req, const fuse_entry_param& entry) {
    return [req, entry] { fuse_reply_entry(req, &entry); };
}

Reply reply_attributes(fuse_req_t req, const nfs::Attributes& attributes) {
    const struct stat st = to_stat(attributes);
    const double timeout = filesystem(req).timeouts_for(attributes).attributes_s;
    return [req, st, timeout] { fuse_reply_attr(req, &st, timeout); };
}

Reply reply_ok(fuse_req_t req) {
    return [req] { fuse_reply_err(req, 0); };
}

void close_file(NfsFilesystem& fs, fuse_file_info* fi);

// Registers an open file as the request's `fh` and answers open (or create, given its entry).
// If the opener has gone away meanwhile, the kernel never sees the handle: close it again.
Reply reply_opened(fuse_req_t req, fuse_file_info* fi, OpenFile file,
                   const fuse_entry_param* created = nullptr) {
    NfsFilesystem& fs = filesystem(req);
    fs.open_files().opened(file.id);
    fi->fh = reinterpret_cast<uint64_t>(new OpenFile(std::move(file)));
    std::optional<fuse_entry_param> entry;
    if (created) entry = *created;
    return [req, fi, entry, &fs] {
        const int result = entry ? fuse_reply_create(req, &*entry, fi) : fuse_reply_open(req, fi);
        if (result != 0) close_file(fs, fi);
    };
}

// --- operations -----------------------------------------------------------------------------

void op_init(void* userdata, fuse_conn_info* conn) {
    auto& fs = *static_cast<NfsFilesystem*>(userdata);
    conn->max_write = std::min(kMaxTransfer, fs.client().max_write());
    conn->max_readahead = std::min(conn->max_readahead, kMaxTransfer);
    // Our readdir listings carry attributes: let the kernel take them (fewer LOOKUPs).
    if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
    // Requests must arrive in memory, where the request loop reads each RELEASE as it arrives.
    conn->want &= ~FUSE_CAP_SPLICE_READ;
    spdlog::debug("FUSE init: max_write {}", conn->max_write);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    run_request(req, "lookup", [&](const nfs::CancelToken& cancel) {
        auto& fs = filesystem(req);
        const nfs::FileHandle dir = handle_of(req, parent);
        const double negative_s =
            cache::negative_entry_timeout_s(fs.settings().attribute_cache, fs.settings().cache);
        // Inode 0 with a timeout: the kernel remembers that the name does not exist.
        fuse_entry_param negative{};
        negative.entry_timeout = negative_s;
        if (fs.certainly_absent(dir, name)) return reply_entry(req, negative);
        try {
            const nfs::Entry entry = fs.client().lookup(cancel, dir, name);
            return reply_entry(req, fs.make_entry(fs.with_sent_data(cancel, entry)));
        } catch (const Error& error) {
            if (error.errnum() != ENOENT || negative_s <= 0) throw;
            return reply_entry(req, negative);
        }
    });
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
    filesystem(req).inodes().forget(ino, nlookup);
    fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
    for (size_t i = 0; i < count; ++i)
        filesystem(req).inodes().forget(forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    run_request(req, "getattr", [&](const nfs::CancelToken& cancel) {
        auto& fs = filesystem(req);
        const nfs::FileHandle handle = handle_of(req, ino);
        fs.write_behind().send(cancel, handle);  // the size must include what we hold
        return reply_attributes(req, fs.current_attributes(cancel, handle));
    });
}

nfs::SetAttributes to_set_attributes(const struct stat* st, int to_set) {
    nfs::SetAttributes changes;
    if (to_set & FUSE_SET_ATTR_MODE) changes.mode = st->st_mode & 07777;
    if (to_set & FUSE_SET_ATTR_UID) changes.uid = st->st_uid;
    if (to_set & FUSE_SET_ATTR_GID) changes.gid = st->st_gid;
    if (to_set & FUSE_SET_ATTR_SIZE) changes.size = static_cast<uint64_t>(st->st_size);
    if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
        changes.atime_how = nfs::SetAttributes::Time::server_now;
    } else if (to_set & FUSE_SET_ATTR_ATIME) {
        changes.atime_how = nfs::SetAttributes::Time::client_value;
        changes.atime = st->st_atim;
    }
    if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
        changes.mtime_how = nfs::SetAttributes::Time::server_now;
    } else if (to_set & FUSE_SET_ATTR_MTIME) {
        changes.mtime_how = nfs::SetAttributes::Time::client_value;
        changes.mtime = st->st_mtim;
    }
    return changes;
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* st, int to_set, fuse_file_info* fi) {
    run_request(req, "setattr", [&](const nfs::CancelToken& cancel) {
        reject_if_read_only(req);
        auto& fs = filesystem(req);
        const nfs::FileHandle handle = fi ? open_file(fi).handle : handle_of(req, ino);
        // A size change alters the data; for the rest we do not know whether someone else
        // changed the file just before. Either way the next open reads anew.
        fs.page_cache().forget(ino);
        fs.blocks().forget_file(handle);
        // Gathered data goes first: sent after a truncation it would extend the file again.
        fs.write_behind().send(cancel, handle);
        return reply_attributes(req,
                                fs.set_attributes(cancel, handle, to_set_attributes(st, to_set)));
    });
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
    run_request(req, "readlink", [&](const nfs::CancelToken& cancel) {
        std::string target = filesystem(req).client().readlink(cancel, handle_of(req, ino));
        return Reply([req, target] { fuse_reply_readlink(req, target.c_str()); });
    });
}

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t) {
    run_request(req, "mknod", [&](const nfs::CancelToken& cancel) {
        reject_if_read_only(req);
        auto& fs = filesystem(req);
        const auto attributes = fs.new_object_attributes(req, mode & 07777);
        const nfs::FileHandle dir = handle_of(req, parent);
        if (!S_ISFIFO(mode) && !S_ISREG(mode))
            throw Error(EPERM, std::string("mknod ") + name +
                                   ": only regular files and FIFOs can be created over NFS here");
        const nfs::Entry entry = adding_name(fs, dir, name, [&] {
            if (S_ISFIFO(mode)) return fs.client().mkfifo(cancel, dir, name, attributes);
            // NFSv4 makes regular files only by opening them: close at once.
            const nfs::CreatedFile created = fs.client().create(
                cancel, dir, name, attributes, /*exclusive=*/true, nfs::OpenAccess::read);
            fs.client().close(created.id);
            return created.entry;
        });
        return reply_entry(req, fs.make_entry(entry));
    });
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
    run_request(req, "mkdir", [&](const nfs::CancelToken& cancel) {
        reject_if_read_only(req);
        auto& fs = filesystem(req);
        const nfs::FileHandle dir = handle_of(req, parent);
        const nfs::Entry entry = adding_name(fs, dir, name, [&] {
            return fs.client().mkdir(cancel, dir, name,
                                     fs.new_object_attributes(req, mode & 07777));
        });
        // Empty, and ours: until someone else changes it, its names need no LOOKUP.
        fs.names().created_empty(entry.handle, nfs::change_stamp_of(entry.attributes),
                                 cache::DirectoryNames::Clock::now());
        return reply_entry(req, fs.make_entry(entry));
    });
}

// If `name` is a file some process still has open, renames it to a hidden name, to be removed at
// its last close, and returns true. The LOOKUP this needs is only paid while files are open.
bool hide_if_open(const nfs::CancelToken& cancel, NfsFilesystem& fs, const nfs::FileHandle& dir,
                  const std::string& name) {
    if (!fs.open_files().any_open()) return false;
    const nfs::Entry entry = fs.client().lookup(cancel, dir, name);
    const std::optional<uint64_t> id = fs.inodes().find(entry.handle);
    if (!id || !fs.open_files().is_open(*id)) return false;
    const std::string hidden = fs.open_files().hidden_name(entry.attributes.fileid);
    renamed(fs, dir, name, dir, hidden,
            changing(fs, dir, [&] { return fs.client().rename(cancel, dir, name, dir, hidden); }));
    if (fs.open_files().hide(*id, vfs::PendingRemoval{dir, hidden})) {
        spdlog::debug("unlink {}: still open, hidden as {}", name, hidden);
    } else {
        // Its last close came while we renamed it, and found nothing to remove yet.
        removing_name(fs, dir, hidden, [&] { return fs.client().remove(cancel, dir, hidden); });
    }
    return true;
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
    run_request(req, "unlink", [&](const nfs::CancelToken& cancel) {
        reject_if_read_only(req);
        auto& fs = filesystem(req);
        const nfs::FileHandle dir = handle_of(req, parent);
        if (!hide_if_open(cancel, fs, dir, name)) {
            removing_name(fs, dir, name, [&] { return fs.client().remove(cancel, dir, name); });
        }
        return reply_ok(req);
    });
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
    run_request(req, "rmdir", [&](const nfs::CancelToken& cancel) {
        reject_if_read_only(req);
        auto& fs = filesystem(req);
        const nfs::FileHandle dir = handle_of(req, parent);
        removing_name(fs, dir, name, [&] { return fs.client().rmdir(cancel, dir, name); });
        return reply_ok(req);
    });
}

void op_symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
    run_request(req, "symlink", [&](const nfs::CancelToken& cancel) {
        reject_if_read_only(req);
        auto& fs = filesystem(req);
        const nfs::FileHandle dir = handle_of(req, parent);
        const nfs::Entry entry = adding_name(fs, dir, name, [&] {
            return fs.client().symlink(cancel, dir, name, target,
                                       fs.new_object_attributes(req, 0777));
        });
        return reply_entry(req, fs.make_entry(entry));
    });
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
               const char* new_name, unsigned int flags) {
    run_request(req, "rename", [&](const nfs::CancelToken& cancel) {
        reject_if_read_only(req);
        auto& fs = filesystem(req);
        auto& client = fs.client();
        const nfs::FileHandle from = handle_of(req, parent);
        const nfs::FileHandle to = handle_of(req, new_parent);
        // NFS has no atomic exchange; refusing is honest (callers fall back to plain rename).
        if (flags & RENAME_EXCHANGE)
            throw Error(EINVAL, "RENAME_EXCHANGE is not supported over NFS");
        if (flags & ~static_cast<unsigned>(RENAME_NOREPLACE))
            throw Error(EINVAL, "unsupported rename flags");
        if (flags & RENAME_NOREPLACE) {
            // Checked, then renamed: another client could create the target in between, which
            // NFSv3 gives us no way to exclude.
            bool target_exists = true;
            try {
                client.lookup(cancel, to, new_name);
            } catch (const Error& e) {
                if (e.errnum() != ENOENT) throw;
                target_exists = false;
            }
            if (target_exists) throw Error(EEXIST, std::string("rename: ") + new_name + " exists");
        }
        renamed(fs, from, name, to, new_name, changing(fs, from, [&] {
                    return client.rename(cancel, from, name, to, new_name);
                }));
        return reply_ok(req);
    });
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name) {
    run_request(req, "link", [&](const nfs::CancelToken& cancel) {
        reject_if_read_only(req);
        auto& fs = filesystem(req);
        const nfs::FileHandle dir = handle_of(req, new_parent);
        const nfs::Entry linked = adding_name(fs, dir, new_name, [&] {
            return fs.client().link(cancel, handle_of(req, ino), dir, new_name);
        });
        return reply_entry(req, fs.make_entry(fs.with_sent_data(cancel, linked)));
    });
}

// With FUSE_CAP_ATOMIC_O_TRUNC (libfuse's default) the kernel leaves O_TRUNC to us. Returns
// whether it truncated.
bool truncate_if_asked(const nfs::CancelToken& cancel, NfsFilesystem& fs,
                       const nfs::FileHandle& handle, int flags) {
    if (!(flags & O_TRUNC) || (flags & O_ACCMODE) == O_RDONLY) return false;
    nfs::SetAttributes to_empty;
    to_empty.size = 0;
    fs.set_attributes(cancel, handle, to_empty);
    return true;
}

// What the kernel may keep of a file's data at open (docs/SEMANTICS.md). cache=none: no page
// cache at all (direct_io). meta: the kernel drops its pages at every open. full: it keeps them
// while the server's stamp of the file is the one its pages were read or written at.
void apply_cache_mode_at_open(NfsFilesystem& fs, fuse_ino_t ino, const nfs::Attributes& current,
                              fuse_file_info* fi) {
    switch (fs.settings().cache) {
        case options::CacheMode::none:
            fi->direct_io = 1;
            break;
        case options::CacheMode::meta:
            fi->keep_cache = 0;
            break;
        case options::CacheMode::full:
            fi->keep_cache =
                fs.page_cache().keep_at_open(ino, nfs::change_stamp_of(current)) ? 1 : 0;
            break;
    }
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    run_request(req, "open", [&](const nfs::CancelToken& cancel) {
        auto& fs = filesystem(req);
        if ((fi->flags & O_ACCMODE) != O_RDONLY) reject_if_read_only(req);
        const nfs::FileHandle handle = handle_of(req, ino);
        // Data another open of this file gathered belongs in what this open sees.
        fs.write_behind().send(cancel, handle);
        if (truncate_if_asked(cancel, fs, handle, fi->flags)) {
            fs.page_cache().forget(ino);
            fs.blocks().forget_file(handle);
        }
        // Close-to-open consistency: the open brings the attributes the server has now,
        // whatever the kernel cached.
        const nfs::OpenedFile opened = fs.client().open(cancel, handle, access_of(fi->flags));
        fs.received_attributes(handle, opened.attributes);
        apply_cache_mode_at_open(fs, ino, opened.attributes, fi);
        // The attributes the kernel holds (its idea of the size above all) may predate another
        // client's change: offset -1 makes it drop them, and only them.
        if (fs.session()) fuse_lowlevel_notify_inval_inode(fs.session(), ino, -1, 0);
        return reply_opened(req, fi, OpenFile{handle, ino, opened.id});
    });
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
               fuse_file_info* fi) {
    run_request(req, "create", [&](const nfs::CancelToken& cancel) {
        reject_if_read_only(req);
        auto& fs = filesystem(req);
        const nfs::FileHandle dir = handle_of(req, parent);
        nfs::OpenId open = 0;
        nfs::Entry entry = adding_name(fs, dir, name, [&] {
            nfs::CreatedFile created =
                fs.client().create(cancel, dir, name, fs.new_object_attributes(req, mode & 07777),
                                   (fi->flags & O_EXCL) != 0, access_of(fi->flags));
            open = created.id;
            return std::move(created.entry);
        });
        try {
            entry = fs.with_sent_data(cancel, entry);  // O_CREAT of a file we are writing
        } catch (...) {
            fs.client().close(open);
            throw;
        }
        const fuse_entry_param param = fs.make_entry(entry);
        // A new (or emptied) file: nothing cached yet, and the stamp starts here.
        fs.page_cache().forget(param.ino);
        fs.blocks().forget_file(entry.handle);
        apply_cache_mode_at_open(fs, param.ino, entry.attributes, fi);
        return reply_opened(req, fi, OpenFile{entry.handle, param.ino, open}, &param);
    });
}

void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t offset, fuse_file_info* fi) {
    run_request(req, "read", [&](const nfs::CancelToken& cancel) {
        auto& fs = filesystem(req);
        OpenFile& file = open_file(fi);
        fs.write_behind().send(cancel, file.handle);
        auto pieces = std::make_shared<std::vector<cache::BlockCache::Piece>>(fs.blocks().read(
            cancel, file.handle, static_cast<uint64_t>(offset), static_cast<uint32_t>(size)));
        return Reply([req, pieces] {
            std::vector<iovec> iov;
            for (const auto& piece : *pieces)  // iovec is not const-correct; it is only read
                iov.push_back({const_cast<char*>(piece.data), piece.size});
            fuse_reply_iov(req, iov.data(), static_cast<int>(iov.size()));
        });
    });
}

void op_write(fuse_req_t req, fuse_ino_t, const char* buf, size_t size, off_t offset,
              fuse_file_info* fi) {
    run_request(req, "write", [&](const nfs::CancelToken& cancel) {
        auto& fs = filesystem(req);
        const OpenFile& file = open_file(fi);
        const std::string_view data(buf, size);
        fs.blocks().forget_file(file.handle);  // what it holds of the file is about to be old
        if (fs.settings().cache == options::CacheMode::none) {
            // Nothing held back: stable on the server before write() returns.
            fs.note_own_write(file.handle,
                              fs.client().write(cancel, file.handle, static_cast<uint64_t>(offset),
                                                data, nfs::Stability::file_sync));
        } else {
            fs.write_behind().write(cancel, file.handle, static_cast<uint64_t>(offset), data);
        }
        return Reply([req, size] { fuse_reply_write(req, size); });
    });
}

// close(2) of one descriptor: what was written reaches the server, durably, before it returns, and
// a write that failed on the way is reported here.
void op_flush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    run_request(req, "flush", [&](const nfs::CancelToken& cancel) {
        filesystem(req).write_behind().flush(cancel, open_file(fi).handle);
        return reply_ok(req);
    });
}

// Forgets an open file; at the last close of a file hidden by unlink, removes it on the server.
void close_file(NfsFilesystem& fs, fuse_file_info* fi) {
    std::unique_ptr<OpenFile> file(&open_file(fi));
    // A RELEASE from the kernel was counted when it was read (release_received); a handle the
    // kernel never got (reply_opened) is counted here.
    const std::optional<vfs::PendingRemoval> removal = file->counted_closed
                                                           ? std::move(file->removal_at_close)
                                                           : fs.open_files().released(file->id);
    fs.write_behind().forget_if_clean(file->handle);
    fs.client().close(file->open);
    if (!removal) return;
    try {
        fs.client().remove(nfs::CancelToken{}, removal->directory, removal->name);
    } catch (const Error& e) {
        // close(2) has already returned to the application; all we can do is say so.
        spdlog::warn("could not remove the hidden file {} at its last close: {}", removal->name,
                     e.what());
    }
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    close_file(filesystem(req), fi);
    fuse_reply_err(req, 0);
}

void op_fsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info* fi) {
    run_request(req, "fsync", [&](const nfs::CancelToken& cancel) {
        // Every WRITE we answered has gone to the server UNSTABLE or is gathered here; the flush
        // sends and commits them (a file with nothing pending was committed at its last flush).
        filesystem(req).write_behind().flush(cancel, open_file(fi).handle);
        return reply_ok(req);
    });
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    run_request(req, "opendir", [&](const nfs::CancelToken&) {
        auto dir = std::make_unique<OpenDirectory>(OpenDirectory{handle_of(req, ino), {}});
        fi->fh = reinterpret_cast<uint64_t>(dir.release());
        return Reply([req, fi] {
            if (fuse_reply_open(req, fi) != 0) delete &open_directory(fi);
        });
    });
}

// Fills one reply buffer with entries from `offset` on. With `plus`, entries the server gave a
// handle and attributes for are handed to the kernel as looked up (one lookup each).
void read_directory(fuse_req_t req, size_t size, off_t offset, fuse_file_info* fi, bool plus) {
    run_request(req, plus ? "readdirplus" : "readdir", [&](const nfs::CancelToken& cancel) {
        auto& fs = filesystem(req);
        OpenDirectory& dir = open_directory(fi);
        if (offset == 0) {
            fs.write_behind().send_all(cancel);  // listed sizes must include what we hold
            dir.entries = fs.client().readdir(cancel, dir.handle);
        }
        auto buffer = std::make_shared<std::vector<char>>(size);
        size_t used = 0;
        for (size_t index = static_cast<size_t>(offset); index < dir.entries.size(); ++index) {
            const nfs::DirectoryEntry& item = dir.entries[index];
            const off_t next = static_cast<off_t>(index + 1);
            char* out = buffer->data() + used;
            const size_t room = size - used;
            size_t needed;
            const bool is_dot = item.name == "." || item.name == "..";
            if (plus && item.entry && !is_dot) {
                fuse_entry_param param = fs.make_entry(*item.entry);
                needed = fuse_add_direntry_plus(req, out, room, item.name.c_str(), &param, next);
                if (needed > room) fs.inodes().forget(param.ino, 1);  // not sent after all
            } else if (plus) {
                // No handle or attributes: ino 0 tells the kernel to look the name up itself.
                fuse_entry_param param{};
                param.attr.st_ino = item.fileid;
                if (item.entry) param.attr.st_mode = file_type_bits(item.entry->attributes.type);
                needed = fuse_add_direntry_plus(req, out, room, item.name.c_str(), &param, next);
            } else {
                struct stat st {};
                st.st_ino = item.fileid;
                if (item.entry) st.st_mode = file_type_bits(item.entry->attributes.type);
                needed = fuse_add_direntry(req, out, room, item.name.c_str(), &st, next);
            }
            if (needed > room) break;
            used += needed;
        }
        return Reply([req, buffer, used] { fuse_reply_buf(req, buffer->data(), used); });
    });
}

void op_readdir(fuse_req_t req, fuse_ino_t, size_t size, off_t offset, fuse_file_info* fi) {
    read_directory(req, size, offset, fi, /*plus=*/false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t, size_t size, off_t offset, fuse_file_info* fi) {
    read_directory(req, size, offset, fi, /*plus=*/true);
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    delete &open_directory(fi);
    fuse_reply_err(req, 0);
}

void op_fsyncdir(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) {
    // Directory operations are synchronous on an NFSv3 server: nothing is pending.
    fuse_reply_err(req, 0);
}

void op_statfs(fuse_req_t req, fuse_ino_t ino) {
    run_request(req, "statfs", [&](const nfs::CancelToken& cancel) {
        const struct statvfs st =
            to_statvfs(filesystem(req).client().statfs(cancel, handle_of(req, ino)));
        return Reply([req, st] { fuse_reply_statfs(req, &st); });
    });
}

// The one extended attribute: user.nfsfuse.calls on the mount's root, the calls sent to the
// server by procedure ("GETATTR 12\nREAD 3\n"), like the kernel client's mountstats. NFSv3 has
// no extended attributes, so every other name is "not supported", as without this operation.
constexpr std::string_view kCallsAttribute = "user.nfsfuse.calls";

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
    if (ino != FUSE_ROOT_ID || std::string_view(name) != kCallsAttribute) {
        fuse_reply_err(req, ENOTSUP);
        return;
    }
    std::string text;
    for (const auto& [procedure, count] : filesystem(req).client().call_counts())
        text += procedure + " " + std::to_string(count) + "\n";
    if (size == 0) {
        fuse_reply_xattr(req, text.size());
    } else if (size < text.size()) {
        fuse_reply_err(req, ERANGE);
    } else {
        fuse_reply_buf(req, text.data(), text.size());
    }
}

void op_access(fuse_req_t req, fuse_ino_t ino, int mask) {
    run_request(req, "access", [&](const nfs::CancelToken& cancel) {
        auto& client = filesystem(req).client();
        const nfs::FileHandle handle = handle_of(req, ino);
        if (mask == F_OK) {
            client.getattr(cancel, handle);
            return reply_ok(req);
        }
        if ((mask & W_OK) && filesystem(req).settings().read_only)
            throw Error(EROFS, "the mount is read-only");
        uint32_t wanted = 0;
        if (mask & R_OK) wanted |= nfs::access_read;
        if (mask & W_OK) wanted |= nfs::access_modify | nfs::access_extend;
        // For a directory "execute" is search permission: ask for both, either answers.
        if (mask & X_OK) wanted |= nfs::access_execute | nfs::access_lookup;
        const uint32_t granted = client.access(cancel, handle, wanted);
        const bool read_ok = !(mask & R_OK) || (granted & nfs::access_read);
        const bool write_ok = !(mask & W_OK) || (granted & nfs::access_modify);
        const bool exec_ok =
            !(mask & X_OK) || (granted & (nfs::access_execute | nfs::access_lookup));
        if (!(read_ok && write_ok && exec_ok)) throw Error(EACCES, "access denied by the server");
        return reply_ok(req);
    });
}

fuse_lowlevel_ops make_operations() {
    fuse_lowlevel_ops ops{};
    ops.init = op_init;
    ops.lookup = op_lookup;
    ops.forget = op_forget;
    ops.forget_multi = op_forget_multi;
    ops.getattr = op_getattr;
    ops.setattr = op_setattr;
    ops.readlink = op_readlink;
    ops.mknod = op_mknod;
    ops.mkdir = op_mkdir;
    ops.unlink = op_unlink;
    ops.rmdir = op_rmdir;
    ops.symlink = op_symlink;
    ops.rename = op_rename;
    ops.link = op_link;
    ops.open = op_open;
    ops.create = op_create;
    ops.read = op_read;
    ops.write = op_write;
    ops.flush = op_flush;
    ops.release = op_release;
    ops.fsync = op_fsync;
    ops.opendir = op_opendir;
    ops.readdir = op_readdir;
    ops.readdirplus = op_readdirplus;
    ops.releasedir = op_releasedir;
    ops.fsyncdir = op_fsyncdir;
    ops.statfs = op_statfs;
    ops.access = op_access;
    ops.getxattr = op_getxattr;
    return ops;
}

}  // namespace

// Directories whose names nfsfuse tracks (those it created), and the most names it tracks in
// one: about 100 bytes a name, so at most some 10 MB.
constexpr size_t kKnownDirectories = 1024;
constexpr size_t kMaxKnownNames = 100000;

// How long a GETATTR may be answered with what the server said a moment ago: a second, never
// longer than the kernel may trust attributes itself (0 with cache=none or noac).
cache::RecentAttributes::Clock::duration recent_attributes_age(const FilesystemSettings& settings) {
    if (settings.cache == options::CacheMode::none) return {};
    const uint32_t shortest_s =
        std::min(settings.attribute_cache.regular_min_s, settings.attribute_cache.directory_min_s);
    return std::min<cache::RecentAttributes::Clock::duration>(std::chrono::seconds(1),
                                                              std::chrono::seconds(shortest_s));
}
constexpr size_t kRecentAttributes = 4096;

// Sent but uncommitted data of one file above which write-behind commits at once: it is kept in
// memory for a resend until then.
constexpr size_t kCommitThreshold = 64 * 1024 * 1024;

void NfsFilesystem::after_init() {
    // Only now: the kernel applies our INIT reply's readahead as an upper bound when it gets it,
    // so a window set before would shrink back to 128 KiB.
    std::call_once(after_init_once_, [this] {
        if (settings_.readahead_kib > 0 && !settings_.mountpoint.empty())
            set_kernel_readahead(settings_.mountpoint, settings_.readahead_kib);
    });
}

NfsFilesystem::NfsFilesystem(nfs::NfsClient& client, FilesystemSettings settings)
    : client_(client),
      inodes_(client.root()),
      settings_(settings),
      write_behind_(client, client.max_write(), kCommitThreshold,
                    [this](const nfs::FileHandle& fh, const nfs::WriteResult& result) {
                        note_own_write(fh, result);
                    }),
      blocks_(settings.cache == options::CacheMode::full ? settings.block_cache_bytes : 0,
              kCacheBlockSize,
              [&client](const nfs::CancelToken& cancel, const nfs::FileHandle& fh, uint64_t offset,
                        uint32_t length) { return client.read(cancel, fh, offset, length); }),
      names_(settings.cache == options::CacheMode::none ? 0 : kKnownDirectories, kMaxKnownNames),
      recent_attributes_(recent_attributes_age(settings), kRecentAttributes) {}

bool NfsFilesystem::certainly_absent(const nfs::FileHandle& dir, const std::string& name) {
    const double max_age_s =
        cache::negative_entry_timeout_s(settings_.attribute_cache, settings_.cache);
    if (max_age_s <= 0) return false;
    return names_.certainly_absent(
        dir, name, cache::DirectoryNames::Clock::now(),
        std::chrono::duration_cast<cache::DirectoryNames::Clock::duration>(
            std::chrono::duration<double>(max_age_s)));
}

void NfsFilesystem::name_added(const nfs::FileHandle& dir, const std::string& name,
                               const nfs::DirectoryChange& change) {
    // The directory's size, times and (for a subdirectory) link count changed: the kernel asks
    // for them right away, and find(1) trusts a directory's link count.
    recent_attributes_.forget(dir);
    names_.added(dir, name, change, cache::DirectoryNames::Clock::now());
}

nfs::Attributes NfsFilesystem::set_attributes(const nfs::CancelToken& cancel,
                                              const nfs::FileHandle& fh,
                                              const nfs::SetAttributes& changes) {
    recent_attributes_.forget(fh);  // whatever happens, what it holds is old now
    const nfs::Attributes changed = client_.setattr(cancel, fh, changes);
    received_attributes(fh, changed);
    return changed;
}

void NfsFilesystem::release_received(uint64_t fh) {
    auto& file = *reinterpret_cast<OpenFile*>(fh);
    file.removal_at_close = open_files_.released(file.id);
    file.counted_closed = true;
}

nfs::Attributes NfsFilesystem::current_attributes(const nfs::CancelToken& cancel,
                                                  const nfs::FileHandle& fh) {
    if (auto recent = recent_attributes_.get(fh, cache::RecentAttributes::Clock::now()))
        return *recent;
    const nfs::Attributes attributes = client_.getattr(cancel, fh);
    received_attributes(fh, attributes);
    return attributes;
}

void NfsFilesystem::received_attributes(const nfs::FileHandle& fh,
                                        const nfs::Attributes& attributes) {
    recent_attributes_.remember(fh, attributes, cache::RecentAttributes::Clock::now());
    if (attributes.type == nfs::FileType::regular)
        blocks_.current_stamp(fh, nfs::change_stamp_of(attributes));
}

void NfsFilesystem::name_removed(const nfs::FileHandle& dir, const std::string& name,
                                 const nfs::DirectoryChange& change) {
    // The object that had the name changed too (link count, ctime), and we do not know which.
    recent_attributes_.forget_all();
    names_.removed(dir, name, change, cache::DirectoryNames::Clock::now());
}

void NfsFilesystem::note_own_write(const nfs::FileHandle& fh, const nfs::WriteResult& result) {
    // Not remembered: WRITEs on the wire together may be answered in any order, and the last
    // answer need not be the file's latest state.
    recent_attributes_.forget(fh);
    const std::optional<uint64_t> ino = inodes_.find(fh);
    if (!ino) return;
    std::optional<nfs::ChangeStamp> after;
    if (result.after) after = nfs::change_stamp_of(*result.after);
    page_cache_.after_own_write(*ino, result.before, after);
}

nfs::Entry NfsFilesystem::with_sent_data(const nfs::CancelToken& cancel, nfs::Entry entry) {
    if (!write_behind_.has_pending(entry.handle)) return entry;
    write_behind_.send(cancel, entry.handle);
    entry.attributes = client_.getattr(cancel, entry.handle);
    received_attributes(entry.handle, entry.attributes);
    return entry;
}

const fuse_lowlevel_ops& NfsFilesystem::operations() {
    static const fuse_lowlevel_ops ops = make_operations();
    return ops;
}

fuse_entry_param NfsFilesystem::make_entry(const nfs::Entry& entry) {
    received_attributes(entry.handle, entry.attributes);
    fuse_entry_param param{};
    param.ino = inodes_.remember(entry.handle);
    param.generation = 0;
    param.attr = to_stat(entry.attributes);
    const cache::CacheTimeouts timeouts = timeouts_for(entry.attributes);
    param.attr_timeout = timeouts.attributes_s;
    param.entry_timeout = timeouts.entry_s;
    return param;
}

cache::CacheTimeouts NfsFilesystem::timeouts_for(const nfs::Attributes& attributes) const {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return cache::cache_timeouts(settings_.attribute_cache, settings_.cache, attributes, now);
}

nfs::NewObjectAttributes NfsFilesystem::new_object_attributes(fuse_req_t req, uint32_t mode) const {
    nfs::NewObjectAttributes attributes{mode, std::nullopt, std::nullopt};
    if (settings_.chown_new_objects_to_caller) {
        const fuse_ctx* ctx = fuse_req_ctx(req);
        attributes.uid = ctx->uid;
        attributes.gid = ctx->gid;
    }
    return attributes;
}

}  // namespace nfsfuse::fusefs
