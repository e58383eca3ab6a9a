#include "fusefs/fuse_adapter.h"

#include <fcntl.h>
#include <linux/fuse.h>
#include <spdlog/spdlog.h>
#include <sys/uio.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fusefs/caller_credentials.h"
#include "fusefs/fuse_device.h"
#include "fusefs/fuse_locks.h"
#include "fusefs/fuse_stat.h"
#include "fusefs/kernel_readahead.h"
#include "fusefs/request_scope.h"
#include "util/error.h"

namespace nfsfuse::fusefs {
namespace {

// Transfers the kernel may send us in one request: 1 MiB, like the kernel NFS client's rsize/wsize.
constexpr unsigned kMaxTransfer = 1024 * 1024;

vfs::Filesystem& filesystem(fuse_req_t req) {
    return FuseAdapter::of(req).filesystem();
}

fuse_entry_param to_entry_param(const vfs::EntryReply& entry) {
    fuse_entry_param param{};
    param.ino = entry.ino;
    param.generation = 0;
    if (entry.ino != 0) {
        param.attr = to_stat(entry.attributes);
        param.attr_timeout = entry.timeouts.attributes_s;
    }
    param.entry_timeout = entry.timeouts.entry_s;
    return param;
}

Reply reply_entry(fuse_req_t req, const vfs::EntryReply& entry) {
    const fuse_entry_param param = to_entry_param(entry);
    return [req, param] { fuse_reply_entry(req, &param); };
}

Reply reply_attributes(fuse_req_t req, const vfs::AttributesReply& reply) {
    const struct stat st = to_stat(reply.attributes);
    const double timeout = reply.timeout_s;
    return [req, st, timeout] { fuse_reply_attr(req, &st, timeout); };
}

Reply reply_ok(fuse_req_t req) {
    return [req] { fuse_reply_err(req, 0); };
}

// Answers open (or create, given its entry) with the open's handle. If the opener has gone away
// meanwhile, the kernel never sees the handle: release it again.
Reply reply_opened(fuse_req_t req, fuse_file_info* fi, const vfs::OpenReply& open,
                   std::optional<fuse_entry_param> created = std::nullopt) {
    fi->fh = open.handle;
    fi->keep_cache = open.keep_cache ? 1 : 0;
    fi->direct_io = open.direct_io ? 1 : 0;
    vfs::Filesystem& fs = filesystem(req);
    return [req, fi, created, &fs] {
        const int result =
            created ? fuse_reply_create(req, &*created, fi) : fuse_reply_open(req, fi);
        if (result != 0) fs.release(fi->fh);
    };
}

// --- operations -----------------------------------------------------------------------------

void op_init(void* userdata, fuse_conn_info* conn) {
    auto& fuse = *static_cast<FuseAdapter*>(userdata);
    conn->max_write = std::min(kMaxTransfer, fuse.filesystem().max_write());
    conn->max_readahead = std::min(conn->max_readahead, kMaxTransfer);
    // Our readdir listings carry attributes: let the kernel take them (fewer LOOKUPs).
    if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
    // Requests must arrive in memory, where the request loop reads each RELEASE as it arrives.
    conn->want &= ~FUSE_CAP_SPLICE_READ;
    // Locks go to the server unless local_lock= keeps them here (the kernel then keeps them).
    const auto lock_kind = [conn](bool remote, unsigned capability) {
        if (remote && (conn->capable & capability))
            conn->want |= capability;
        else
            conn->want &= ~capability;
    };
    lock_kind(fuse.settings().remote_posix_locks, FUSE_CAP_POSIX_LOCKS);
    lock_kind(fuse.settings().remote_flock, FUSE_CAP_FLOCK_LOCKS);
    spdlog::debug("FUSE init: max_write {}", conn->max_write);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    run_as_caller(req, "lookup", [&](const nfs::CallContext& context) {
        return reply_entry(req, filesystem(req).lookup(context, parent, name));
    });
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
    filesystem(req).forget(ino, nlookup);
    fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
    for (size_t i = 0; i < count; ++i) filesystem(req).forget(forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    run_as_caller(req, "getattr", [&](const nfs::CallContext& context) {
        return reply_attributes(req, filesystem(req).getattr(context, ino));
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

// Reads, writes and ftruncate go as the user who opened the file, not as the process that asks
// (which may hold a descriptor someone else opened): the kernel client's rule, and no look into
// /proc per request (reading a caller's groups there cost a 4 KiB read as much CPU time as the rest
// of it).
void run_as_opener(fuse_req_t req, const char* operation, const fuse_file_info* fi,
                   const std::function<Reply(const nfs::CallContext&)>& work) {
    run_request(req, operation, filesystem(req).opener(fi->fh), work);
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* st, int to_set, fuse_file_info* fi) {
    // The kernel's FATTR_KILL_SUIDGID (we answer FUSE_HANDLE_KILLPRIV_V2, fuse_device.cpp):
    // libfuse 3.14 passes that bit on under the name FUSE_SET_ATTR_KILL_SUID.
    static_assert(FUSE_SET_ATTR_KILL_SUID == FATTR_KILL_SUIDGID);
    const vfs::SetidBits setid = (to_set & FUSE_SET_ATTR_KILL_SUID) != 0
                                     ? vfs::SetidBits::clear
                                     : vfs::SetidBits::leave_to_server;
    const auto work = [&](const nfs::CallContext& context) {
        std::optional<uint64_t> open;
        if (fi) open = fi->fh;
        return reply_attributes(
            req, filesystem(req).setattr(context, ino, open, to_set_attributes(st, to_set), setid));
    };
    // Through an open file (ftruncate, the only SETATTR that comes with one): as its opener,
    // as the kernel client sends a SETATTR with ATTR_FILE.
    if (fi)
        run_as_opener(req, "setattr", fi, work);
    else
        run_as_caller(req, "setattr", work);
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
    run_as_caller(req, "readlink", [&](const nfs::CallContext& context) {
        std::string target = filesystem(req).readlink(context, ino);
        return Reply([req, target] { fuse_reply_readlink(req, target.c_str()); });
    });
}

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
    run_as_caller(req, "mknod", [&](const nfs::CallContext& context) {
        return reply_entry(req, filesystem(req).mknod(context, parent, name, mode, rdev));
    });
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
    run_as_caller(req, "mkdir", [&](const nfs::CallContext& context) {
        return reply_entry(req, filesystem(req).mkdir(context, parent, name, mode));
    });
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
    run_as_caller(req, "unlink", [&](const nfs::CallContext& context) {
        filesystem(req).unlink(context, parent, name);
        return reply_ok(req);
    });
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
    run_as_caller(req, "rmdir", [&](const nfs::CallContext& context) {
        filesystem(req).rmdir(context, parent, name);
        return reply_ok(req);
    });
}

void op_symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
    run_as_caller(req, "symlink", [&](const nfs::CallContext& context) {
        return reply_entry(req, filesystem(req).symlink(context, target, parent, name));
    });
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
               const char* new_name, unsigned int flags) {
    run_as_caller(req, "rename", [&](const nfs::CallContext& context) {
        filesystem(req).rename(context, parent, name, new_parent, new_name, flags);
        return reply_ok(req);
    });
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name) {
    run_as_caller(req, "link", [&](const nfs::CallContext& context) {
        return reply_entry(req, filesystem(req).link(context, ino, new_parent, new_name));
    });
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    run_as_caller(req, "open", [&](const nfs::CallContext& context) {
        FuseAdapter& fuse = FuseAdapter::of(req);
        const vfs::OpenReply open = fuse.filesystem().open(context, ino, fi->flags);
        // The attributes the kernel holds (its idea of the size above all) may predate another
        // client's change: offset -1 makes it drop them, and only them.
        if (fuse.session()) fuse_lowlevel_notify_inval_inode(fuse.session(), ino, -1, 0);
        return reply_opened(req, fi, open);
    });
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
               fuse_file_info* fi) {
    run_as_caller(req, "create", [&](const nfs::CallContext& context) {
        const vfs::CreateReply created =
            filesystem(req).create(context, parent, name, mode, fi->flags);
        return reply_opened(req, fi, created.open, to_entry_param(created.entry));
    });
}

void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t offset, fuse_file_info* fi) {
    run_as_opener(req, "read", fi, [&](const nfs::CallContext& context) {
        auto pieces = std::make_shared<std::vector<cache::BlockCache::Piece>>(filesystem(req).read(
            context, fi->fh, static_cast<uint64_t>(offset), static_cast<uint32_t>(size)));
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
    run_as_opener(req, "write", fi, [&](const nfs::CallContext& context) {
        filesystem(req).write(context, fi->fh, static_cast<uint64_t>(offset),
                              std::string_view(buf, size));
        return Reply([req, size] { fuse_reply_write(req, size); });
    });
}

// close(2) of one descriptor.
void op_flush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    run_as_caller(req, "flush", [&](const nfs::CallContext& context) {
        // A close: the closing process's POSIX locks on the file end here.
        filesystem(req).flush(context, fi->fh, fi->lock_owner);
        return reply_ok(req);
    });
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    filesystem(req).release(fi->fh);
    fuse_reply_err(req, 0);
}

void op_fsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info* fi) {
    run_as_caller(req, "fsync", [&](const nfs::CallContext& context) {
        filesystem(req).flush(context, fi->fh);
        return reply_ok(req);
    });
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    run_as_caller(req, "opendir", [&](const nfs::CallContext&) {
        vfs::Filesystem& fs = filesystem(req);
        fi->fh = fs.opendir(ino);
        return Reply([req, fi, &fs] {
            if (fuse_reply_open(req, fi) != 0) fs.releasedir(fi->fh);
        });
    });
}

// Fills one reply buffer with entries from `offset` on. With `plus`, entries the server gave a
// handle and attributes for are handed to the kernel as looked up (one lookup each).
void read_directory(fuse_req_t req, size_t size, off_t offset, fuse_file_info* fi, bool plus) {
    run_as_caller(req, plus ? "readdirplus" : "readdir", [&](const nfs::CallContext& context) {
        vfs::Filesystem& fs = filesystem(req);
        const std::vector<nfs::DirectoryEntry>& entries =
            fs.readdir(context, fi->fh, static_cast<uint64_t>(offset));
        auto buffer = std::make_shared<std::vector<char>>(size);
        size_t used = 0;
        for (size_t index = static_cast<size_t>(offset); index < entries.size(); ++index) {
            const nfs::DirectoryEntry& item = entries[index];
            const off_t next = static_cast<off_t>(index + 1);
            char* out = buffer->data() + used;
            const size_t room = size - used;
            size_t needed;
            const bool is_dot = item.name == "." || item.name == "..";
            if (plus && item.entry && !is_dot) {
                const fuse_entry_param param = to_entry_param(fs.listed_entry(*item.entry));
                needed = fuse_add_direntry_plus(req, out, room, item.name.c_str(), &param, next);
                if (needed > room) fs.forget(param.ino, 1);  // not sent after all
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
    filesystem(req).releasedir(fi->fh);
    fuse_reply_err(req, 0);
}

void op_fsyncdir(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) {
    // Directory operations are synchronous on an NFS server: nothing is pending.
    fuse_reply_err(req, 0);
}

void op_statfs(fuse_req_t req, fuse_ino_t ino) {
    run_as_caller(req, "statfs", [&](const nfs::CallContext& context) {
        const struct statvfs st = to_statvfs(filesystem(req).statfs(context, ino));
        return Reply([req, st] { fuse_reply_statfs(req, &st); });
    });
}

// The extended attributes, both on the mount's root: user.nfsfuse.calls, the calls sent to the
// server by procedure ("GETATTR 12\nREAD 3\n"), like the kernel client's mountstats; and
// user.nfsfuse.transport, how FUSE requests come (io_uring or /dev/fuse) and how many came each
// way. NFSv3 has no extended attributes, so every other name is "not supported", as without
// this operation.
constexpr std::string_view kCallsAttribute = "user.nfsfuse.calls";
constexpr std::string_view kTransportAttribute = "user.nfsfuse.transport";

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
    FuseAdapter& fuse = FuseAdapter::of(req);
    std::string text;
    if (ino == FUSE_ROOT_ID && std::string_view(name) == kCallsAttribute) {
        text = fuse.filesystem().call_counts_text();
    } else if (ino == FUSE_ROOT_ID && std::string_view(name) == kTransportAttribute &&
               fuse.device() != nullptr) {
        text = fuse.device()->transport_text();
    } else {
        fuse_reply_err(req, ENOTSUP);
        return;
    }
    if (size == 0) {
        fuse_reply_xattr(req, text.size());
    } else if (size < text.size()) {
        fuse_reply_err(req, ERANGE);
    } else {
        fuse_reply_buf(req, text.data(), text.size());
    }
}

void op_access(fuse_req_t req, fuse_ino_t ino, int mask) {
    run_as_caller(req, "access", [&](const nfs::CallContext& context) {
        filesystem(req).access(context, ino, mask);
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
    add_lock_operations(ops);
    return ops;
}

}  // namespace

void FuseAdapter::after_init() {
    // Only now: the kernel applies our INIT reply's readahead as an upper bound when it gets it,
    // so a window set before would shrink back to 128 KiB.
    std::call_once(after_init_once_, [this] {
        if (settings_.readahead_kib > 0 && !settings_.mountpoint.empty())
            set_kernel_readahead(settings_.mountpoint, settings_.readahead_kib);
    });
}

FuseAdapter& FuseAdapter::of(fuse_req_t req) {
    auto& fuse = *static_cast<FuseAdapter*>(fuse_req_userdata(req));
    fuse.after_init();
    return fuse;
}

void run_as_caller(fuse_req_t req, const char* operation,
                   const std::function<Reply(const nfs::CallContext&)>& work) {
    run_request(req, operation, FuseAdapter::of(req).caller(req), work);
}

std::optional<nfs::Credentials> FuseAdapter::caller(fuse_req_t req) const {
    if (!settings_.per_caller_credentials) return std::nullopt;
    return credentials_of(req);
}

const fuse_lowlevel_ops& FuseAdapter::operations() {
    static const fuse_lowlevel_ops ops = make_operations();
    return ops;
}

}  // namespace nfsfuse::fusefs
