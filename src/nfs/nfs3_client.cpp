#include "nfs/nfs3_client.h"

#include "nfs/libnfs_headers.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "nfs/listing_progress.h"
#include "nfs/nfs3_status.h"
#include "nfs/read_fully.h"
#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

constexpr int kJukeboxRetries = 20;
constexpr auto kJukeboxDelay = std::chrono::milliseconds(250);
// READDIRPLUS sizes: dircount bounds the names+cookies, maxcount the whole reply.
constexpr uint32_t kReaddirDirCount = 64 * 1024;
constexpr uint32_t kReaddirMaxCount = 512 * 1024;

// A mutable copy of a name for libnfs's char* arguments.
std::vector<char> c_string(const std::string& text) {
    std::vector<char> out(text.begin(), text.end());
    out.push_back('\0');
    return out;
}

SetAttributes initial_changes(const NewObjectAttributes& attributes) {
    SetAttributes changes;
    changes.mode = attributes.mode;
    return changes;
}

sattr3 initial_attributes(const NewObjectAttributes& attributes) {
    return to_sattr3(initial_changes(attributes));
}

const ConnectionSettings& settings_of(
    const std::vector<std::unique_ptr<Nfs3Connection>>& connections) {
    if (connections.empty()) throw Error(EINVAL, "Nfs3Client needs a connection");
    return connections.front()->settings();
}

}  // namespace

Nfs3Client::Nfs3Client(std::vector<std::unique_ptr<Nfs3Connection>> connections)
    : connections_(std::move(connections)),
      first_verifier_(std::random_device{}() * 0x100000000ULL + std::random_device{}()),
      locks_(settings_of(connections_), counters_) {}

Nfs3Client::Nfs3Client(std::unique_ptr<Nfs3Connection> connection)
    : Nfs3Client([&] {
          std::vector<std::unique_ptr<Nfs3Connection>> connections;
          connections.push_back(std::move(connection));
          return connections;
      }()) {}

Nfs3Connection& Nfs3Client::connection_for(const char* what) {
    if (connections_.size() == 1) return *connections_.front();
    const std::string_view procedure(what);
    if (procedure != "READ" && procedure != "WRITE" && procedure != "COMMIT")
        return *connections_.front();
    const size_t data_connections = connections_.size() - 1;
    return *connections_[1 + next_data_connection_.fetch_add(1) % data_connections];
}

template <class Reply, class OnOk>
void Nfs3Client::execute(const CallContext& context, const char* what,
                         const Nfs3Connection::Submit& submit, OnOk&& on_ok) {
    for (int attempt = 0;; ++attempt) {
        int status = 0;
        counters_.count(what);
        connection_for(what).call(context, what, submit, [&](void* data) {
            auto* reply = static_cast<Reply*>(data);
            status = reply->status;
            if (status == NFS3_OK) on_ok(*reply);
        });
        if (status == NFS3_OK) return;
        if (status == NFS3ERR_JUKEBOX && attempt < kJukeboxRetries && !context.cancelled()) {
            std::this_thread::sleep_for(kJukeboxDelay);
            continue;
        }
        throw Error(nfs3_status_to_errno(status),
                    std::string(what) + ": server said " + nfs3_status_name(status));
    }
}

Entry Nfs3Client::complete_entry(const CallContext& context, const FileHandle& dir,
                                 const std::string& name, CreatedObject created) {
    Entry entry;
    if (created.handle) {
        entry.handle = std::move(*created.handle);
        entry.attributes =
            created.attributes ? *created.attributes : getattr(context, entry.handle);
    } else {
        entry = lookup(context, dir, name);
    }
    entry.parent_change = created.parent_change;
    return entry;
}

Attributes Nfs3Client::getattr(const CallContext& context, const FileHandle& fh) {
    GETATTR3args args{as_nfs_fh3(fh)};
    Attributes result;
    execute<GETATTR3res>(
        context, "GETATTR",
        [&](rpc_context* rpc, auto cb, void* p) {
            return rpc_nfs3_getattr_async(rpc, cb, &args, p);
        },
        [&](GETATTR3res& reply) {
            result = from_fattr3(reply.GETATTR3res_u.resok.obj_attributes);
        });
    return result;
}

Attributes Nfs3Client::setattr(const CallContext& context, const FileHandle& fh,
                               const SetAttributes& changes) {
    SETATTR3args args{};
    args.object = as_nfs_fh3(fh);
    args.new_attributes = to_sattr3(changes);
    std::optional<Attributes> after;
    execute<SETATTR3res>(
        context, "SETATTR",
        [&](rpc_context* rpc, auto cb, void* p) {
            return rpc_nfs3_setattr_async(rpc, cb, &args, p);
        },
        [&](SETATTR3res& reply) {
            const post_op_attr& post = reply.SETATTR3res_u.resok.obj_wcc.after;
            if (post.attributes_follow) after = from_fattr3(post.post_op_attr_u.attributes);
        });
    return after ? *after : getattr(context, fh);
}

Entry Nfs3Client::lookup(const CallContext& context, const FileHandle& dir,
                         const std::string& name) {
    auto c_name = c_string(name);
    LOOKUP3args args{};
    args.what.dir = as_nfs_fh3(dir);
    args.what.name = c_name.data();
    Entry entry;
    bool have_attributes = false;
    execute<LOOKUP3res>(
        context, "LOOKUP",
        [&](rpc_context* rpc, auto cb, void* p) {
            return rpc_nfs3_lookup_async(rpc, cb, &args, p);
        },
        [&](LOOKUP3res& reply) {
            const LOOKUP3resok& ok = reply.LOOKUP3res_u.resok;
            entry.handle = from_nfs_fh3(ok.object);
            have_attributes = ok.obj_attributes.attributes_follow;
            if (have_attributes)
                entry.attributes = from_fattr3(ok.obj_attributes.post_op_attr_u.attributes);
        });
    if (!have_attributes) entry.attributes = getattr(context, entry.handle);
    return entry;
}

uint32_t Nfs3Client::access(const CallContext& context, const FileHandle& fh, uint32_t wanted) {
    ACCESS3args args{as_nfs_fh3(fh), wanted};
    uint32_t granted = 0;
    execute<ACCESS3res>(
        context, "ACCESS",
        [&](rpc_context* rpc, auto cb, void* p) {
            return rpc_nfs3_access_async(rpc, cb, &args, p);
        },
        [&](ACCESS3res& reply) { granted = reply.ACCESS3res_u.resok.access; });
    return granted;
}

std::string Nfs3Client::readlink(const CallContext& context, const FileHandle& fh) {
    READLINK3args args{as_nfs_fh3(fh)};
    std::string target;
    execute<READLINK3res>(
        context, "READLINK",
        [&](rpc_context* rpc, auto cb, void* p) {
            return rpc_nfs3_readlink_async(rpc, cb, &args, p);
        },
        [&](READLINK3res& reply) { target = reply.READLINK3res_u.resok.data; });
    return target;
}

ReadResult Nfs3Client::read(const CallContext& context, const FileHandle& fh, uint64_t offset,
                            uint32_t count) {
    return read_fully(
        offset, count, max_read(), [&](uint64_t at, uint32_t length, ReadResult& result) {
            READ3args args{};
            args.file = as_nfs_fh3(fh);
            args.offset = at;
            args.count = length;
            size_t got = 0;
            execute<READ3res>(
                context, "READ",
                [&](rpc_context* rpc, auto cb, void* p) {
                    return rpc_nfs3_read_async(rpc, cb, &args, p);
                },
                [&](READ3res& reply) {
                    const READ3resok& ok = reply.READ3res_u.resok;
                    const std::string_view data = read3_data(ok, length);
                    got = data.size();
                    result.data.insert(result.data.end(), data.begin(), data.end());
                    result.eof = ok.eof;
                    if (ok.file_attributes.attributes_follow)
                        result.stamp = change_stamp_of(
                            from_fattr3(ok.file_attributes.post_op_attr_u.attributes));
                });
            return got;
        });
}

namespace {

uint64_t verifier_of(const writeverf3& verifier) {
    static_assert(sizeof(writeverf3) == sizeof(uint64_t));
    uint64_t value = 0;
    std::memcpy(&value, verifier, sizeof value);
    return value;
}

}  // namespace

WriteResult Nfs3Client::write(const CallContext& context, const FileHandle& fh, uint64_t offset,
                              std::string_view data, Stability stability) {
    WriteResult result;
    size_t done = 0;
    while (done < data.size()) {
        const uint32_t chunk =
            static_cast<uint32_t>(std::min<size_t>(max_write(), data.size() - done));
        WRITE3args args{};
        args.file = as_nfs_fh3(fh);
        args.offset = offset + done;
        args.count = chunk;
        args.stable = stability == Stability::file_sync ? FILE_SYNC : UNSTABLE;
        args.data.data_len = chunk;
        args.data.data_val = const_cast<char*>(data.data() + done);
        uint32_t written = 0;
        execute<WRITE3res>(
            context, "WRITE",
            [&](rpc_context* rpc, auto cb, void* p) {
                return rpc_nfs3_write_async(rpc, cb, &args, p);
            },
            [&](WRITE3res& reply) {
                const WRITE3resok& ok = reply.WRITE3res_u.resok;
                written = ok.count;
                result.verifier = verifier_of(ok.verf);
                // Stable only if every chunk was.
                result.stable = (done == 0 || result.stable) && ok.committed != UNSTABLE;
                // The stamp before our first chunk, the attributes after our last.
                if (done == 0 && ok.file_wcc.before.attributes_follow)
                    result.before = from_wcc_attr(ok.file_wcc.before.pre_op_attr_u.attributes);
                result.after.reset();
                if (ok.file_wcc.after.attributes_follow)
                    result.after = from_fattr3(ok.file_wcc.after.post_op_attr_u.attributes);
            });
        if (written == 0) throw Error(EIO, "WRITE: server accepted no data");
        done += std::min(written, chunk);
    }
    locks_.note_write_verifier(result.verifier);
    return result;
}

uint64_t Nfs3Client::commit(const CallContext& context, const FileHandle& fh) {
    COMMIT3args args{as_nfs_fh3(fh), 0, 0};
    uint64_t verifier = 0;
    execute<COMMIT3res>(
        context, "COMMIT",
        [&](rpc_context* rpc, auto cb, void* p) {
            return rpc_nfs3_commit_async(rpc, cb, &args, p);
        },
        [&](COMMIT3res& reply) { verifier = verifier_of(reply.COMMIT3res_u.resok.verf); });
    locks_.note_write_verifier(verifier);
    return verifier;
}

// CREATE, MKDIR, SYMLINK and MKNOD replies share one shape: an optional handle and optional
// attributes of the new object. Copies them out of the reply (which is freed after the callback).
template <class ResOk>
Nfs3Client::CreatedObject Nfs3Client::capture_created(const ResOk& ok) {
    CreatedObject created;
    if (ok.obj.handle_follows) created.handle = from_nfs_fh3(ok.obj.post_op_fh3_u.handle);
    if (ok.obj_attributes.attributes_follow)
        created.attributes = from_fattr3(ok.obj_attributes.post_op_attr_u.attributes);
    created.parent_change = from_wcc_data(ok.dir_wcc);
    return created;
}

OpenedFile Nfs3Client::open(const CallContext& context, const FileHandle& fh, OpenAccess access) {
    // NFSv3 has no OPEN: like the kernel client, ask ACCESS whether the caller may open the file
    // this way. Its reply carries the attributes close-to-open wants, so this costs the GETATTR
    // it replaces.
    uint32_t wanted = 0;
    if (access != OpenAccess::write) wanted |= access_read;
    if (access != OpenAccess::read) wanted |= access_modify | access_extend;
    ACCESS3args args{as_nfs_fh3(fh), wanted};
    uint32_t granted = 0;
    std::optional<Attributes> attributes;
    execute<ACCESS3res>(
        context, "ACCESS",
        [&](rpc_context* rpc, auto cb, void* p) {
            return rpc_nfs3_access_async(rpc, cb, &args, p);
        },
        [&](ACCESS3res& reply) {
            const ACCESS3resok& ok = reply.ACCESS3res_u.resok;
            granted = ok.access;
            if (ok.obj_attributes.attributes_follow)
                attributes = from_fattr3(ok.obj_attributes.post_op_attr_u.attributes);
        });
    const bool may_read = (granted & access_read) != 0;
    // Writing is allowed when either is granted, as the kernel client decides
    // (nfs_access_calc_mask).
    const bool may_write = (granted & (access_modify | access_extend)) != 0;
    if (((wanted & access_read) && !may_read) || ((wanted & access_modify) && !may_write))
        throw Error(EACCES, "open: the server denies this caller " +
                                std::string(access == OpenAccess::read    ? "reading"
                                            : access == OpenAccess::write ? "writing"
                                                                          : "reading and writing"));
    return {0, attributes ? *attributes : getattr(context, fh)};
}

Nfs3Client::CreatedObject Nfs3Client::send_create(const CallContext& context, const FileHandle& dir,
                                                  const std::string& name, const createhow3& how) {
    auto c_name = c_string(name);
    CREATE3args args{};
    args.where.dir = as_nfs_fh3(dir);
    args.where.name = c_name.data();
    args.how = how;
    CreatedObject created;
    execute<CREATE3res>(
        context, "CREATE",
        [&](rpc_context* rpc, auto cb, void* p) {
            return rpc_nfs3_create_async(rpc, cb, &args, p);
        },
        [&](CREATE3res& reply) { created = capture_created(reply.CREATE3res_u.resok); });
    return created;
}

CreatedFile Nfs3Client::create(const CallContext& context, const FileHandle& dir,
                               const std::string& name, const NewObjectAttributes& attributes,
                               bool exclusive, OpenAccess) {
    if (exclusive) return {0, create_exclusive(context, dir, name, attributes)};
    // UNCHECKED opens an existing file like plain O_CREAT.
    createhow3 how{};
    how.mode = UNCHECKED;
    how.createhow3_u.obj_attributes = initial_attributes(attributes);
    return {0, complete_entry(context, dir, name, send_create(context, dir, name, how))};
}

// O_EXCL. Not GUARDED, though it fails with EEXIST just the same: libnfs sends a call again on
// a new connection when the old one broke, and a GUARDED CREATE that ran before the break then
// fails with EEXIST on the very file it made. EXCLUSIVE carries a verifier the server stores
// with the file, so it answers the replay with success and EEXIST only to someone else's file
// (RFC 1813 section 3.3.8). No attributes go with EXCLUSIVE (the server may keep the verifier
// in the times), so a SETATTR sets mode, owner and both times afterwards, as Linux's
// nfs3_proc_create does.
Entry Nfs3Client::create_exclusive(const CallContext& context, const FileHandle& dir,
                                   const std::string& name, const NewObjectAttributes& attributes) {
    createhow3 how{};
    how.mode = EXCLUSIVE;
    const uint64_t verifier = first_verifier_ + verifiers_used_.fetch_add(1);
    static_assert(sizeof how.createhow3_u.verf == sizeof verifier);
    std::memcpy(how.createhow3_u.verf, &verifier, sizeof verifier);
    CreatedObject created;
    try {
        created = send_create(context, dir, name, how);
    } catch (const Error& error) {
        if (error.errnum() != EOPNOTSUPP) throw;
        // A server without EXCLUSIVE (NFS3ERR_NOTSUPP): GUARDED, the best it offers.
        how.mode = GUARDED;
        how.createhow3_u.obj_attributes = initial_attributes(attributes);
        return complete_entry(context, dir, name, send_create(context, dir, name, how));
    }
    Entry entry = complete_entry(context, dir, name, std::move(created));
    SetAttributes changes = initial_changes(attributes);
    changes.atime_how = SetAttributes::Time::server_now;
    changes.mtime_how = SetAttributes::Time::server_now;
    entry.attributes = setattr(context, entry.handle, changes);
    return entry;
}

Entry Nfs3Client::mkdir(const CallContext& context, const FileHandle& dir, const std::string& name,
                        const NewObjectAttributes& attributes) {
    auto c_name = c_string(name);
    MKDIR3args args{};
    args.where.dir = as_nfs_fh3(dir);
    args.where.name = c_name.data();
    args.attributes = initial_attributes(attributes);
    CreatedObject created;
    execute<MKDIR3res>(
        context, "MKDIR",
        [&](rpc_context* rpc, auto cb, void* p) { return rpc_nfs3_mkdir_async(rpc, cb, &args, p); },
        [&](MKDIR3res& reply) { created = capture_created(reply.MKDIR3res_u.resok); });
    return complete_entry(context, dir, name, std::move(created));
}

Entry Nfs3Client::symlink(const CallContext& context, const FileHandle& dir,
                          const std::string& name, const std::string& target,
                          const NewObjectAttributes& attributes) {
    auto c_name = c_string(name);
    auto c_target = c_string(target);
    SYMLINK3args args{};
    args.where.dir = as_nfs_fh3(dir);
    args.where.name = c_name.data();
    args.symlink.symlink_attributes = initial_attributes(attributes);
    args.symlink.symlink_data = c_target.data();
    CreatedObject created;
    execute<SYMLINK3res>(
        context, "SYMLINK",
        [&](rpc_context* rpc, auto cb, void* p) {
            return rpc_nfs3_symlink_async(rpc, cb, &args, p);
        },
        [&](SYMLINK3res& reply) { created = capture_created(reply.SYMLINK3res_u.resok); });
    return complete_entry(context, dir, name, std::move(created));
}

Entry Nfs3Client::mknod(const CallContext& context, const FileHandle& dir, const std::string& name,
                        const SpecialFile& what, const NewObjectAttributes& attributes) {
    auto c_name = c_string(name);
    MKNOD3args args{};
    args.where.dir = as_nfs_fh3(dir);
    args.where.name = c_name.data();
    const devicedata3 device{initial_attributes(attributes), {what.major, what.minor}};
    switch (what.type) {
        case FileType::fifo:
            args.what.type = NF3FIFO;
            args.what.mknoddata3_u.pipe_attributes = initial_attributes(attributes);
            break;
        case FileType::socket:
            args.what.type = NF3SOCK;
            args.what.mknoddata3_u.sock_attributes = initial_attributes(attributes);
            break;
        case FileType::char_device:
            args.what.type = NF3CHR;
            args.what.mknoddata3_u.chr_device = device;
            break;
        case FileType::block_device:
            args.what.type = NF3BLK;
            args.what.mknoddata3_u.blk_device = device;
            break;
        default:
            throw Error(EINVAL, "MKNOD " + name + ": not a FIFO, socket or device");
    }
    CreatedObject created;
    execute<MKNOD3res>(
        context, "MKNOD",
        [&](rpc_context* rpc, auto cb, void* p) { return rpc_nfs3_mknod_async(rpc, cb, &args, p); },
        [&](MKNOD3res& reply) { created = capture_created(reply.MKNOD3res_u.resok); });
    return complete_entry(context, dir, name, std::move(created));
}

Entry Nfs3Client::link(const CallContext& context, const FileHandle& target, const FileHandle& dir,
                       const std::string& name) {
    auto c_name = c_string(name);
    LINK3args args{};
    args.file = as_nfs_fh3(target);
    args.link.dir = as_nfs_fh3(dir);
    args.link.name = c_name.data();
    std::optional<Attributes> after;
    DirectoryChange parent_change;
    execute<LINK3res>(
        context, "LINK",
        [&](rpc_context* rpc, auto cb, void* p) { return rpc_nfs3_link_async(rpc, cb, &args, p); },
        [&](LINK3res& reply) {
            const post_op_attr& post = reply.LINK3res_u.resok.file_attributes;
            if (post.attributes_follow) after = from_fattr3(post.post_op_attr_u.attributes);
            parent_change = from_wcc_data(reply.LINK3res_u.resok.linkdir_wcc);
        });
    return Entry{target, after ? *after : getattr(context, target), parent_change};
}

DirectoryChange Nfs3Client::remove(const CallContext& context, const FileHandle& dir,
                                   const std::string& name) {
    auto c_name = c_string(name);
    REMOVE3args args{};
    args.object.dir = as_nfs_fh3(dir);
    args.object.name = c_name.data();
    DirectoryChange change;
    execute<REMOVE3res>(
        context, "REMOVE",
        [&](rpc_context* rpc, auto cb, void* p) {
            return rpc_nfs3_remove_async(rpc, cb, &args, p);
        },
        [&](REMOVE3res& reply) { change = from_wcc_data(reply.REMOVE3res_u.resok.dir_wcc); });
    return change;
}

DirectoryChange Nfs3Client::rmdir(const CallContext& context, const FileHandle& dir,
                                  const std::string& name) {
    auto c_name = c_string(name);
    RMDIR3args args{};
    args.object.dir = as_nfs_fh3(dir);
    args.object.name = c_name.data();
    DirectoryChange change;
    execute<RMDIR3res>(
        context, "RMDIR",
        [&](rpc_context* rpc, auto cb, void* p) { return rpc_nfs3_rmdir_async(rpc, cb, &args, p); },
        [&](RMDIR3res& reply) { change = from_wcc_data(reply.RMDIR3res_u.resok.dir_wcc); });
    return change;
}

RenameChanges Nfs3Client::rename(const CallContext& context, const FileHandle& from_dir,
                                 const std::string& from_name, const FileHandle& to_dir,
                                 const std::string& to_name) {
    auto c_from = c_string(from_name);
    auto c_to = c_string(to_name);
    RENAME3args args{};
    args.from.dir = as_nfs_fh3(from_dir);
    args.from.name = c_from.data();
    args.to.dir = as_nfs_fh3(to_dir);
    args.to.name = c_to.data();
    RenameChanges changes;
    execute<RENAME3res>(
        context, "RENAME",
        [&](rpc_context* rpc, auto cb, void* p) {
            return rpc_nfs3_rename_async(rpc, cb, &args, p);
        },
        [&](RENAME3res& reply) {
            changes.from = from_wcc_data(reply.RENAME3res_u.resok.fromdir_wcc);
            changes.to = from_wcc_data(reply.RENAME3res_u.resok.todir_wcc);
        });
    return changes;
}

std::vector<DirectoryEntry> Nfs3Client::readdir(const CallContext& context, const FileHandle& dir) {
    std::vector<DirectoryEntry> entries;
    READDIRPLUS3args args{};
    args.dir = as_nfs_fh3(dir);
    args.dircount = kReaddirDirCount;
    args.maxcount = kReaddirMaxCount;
    bool eof = false;
    ListingProgress progress;
    while (!eof) {
        size_t in_reply = 0;
        execute<READDIRPLUS3res>(
            context, "READDIRPLUS",
            [&](rpc_context* rpc, auto cb, void* p) {
                return rpc_nfs3_readdirplus_async(rpc, cb, &args, p);
            },
            [&](READDIRPLUS3res& reply) {
                const READDIRPLUS3resok& ok = reply.READDIRPLUS3res_u.resok;
                std::memcpy(args.cookieverf, ok.cookieverf, sizeof args.cookieverf);
                eof = ok.reply.eof;
                for (const entryplus3* e = ok.reply.entries; e; e = e->nextentry) {
                    args.cookie = e->cookie;
                    DirectoryEntry entry{e->name, e->fileid, std::nullopt};
                    if (e->name_handle.handle_follows && e->name_attributes.attributes_follow) {
                        entry.entry =
                            Entry{from_nfs_fh3(e->name_handle.post_op_fh3_u.handle),
                                  from_fattr3(e->name_attributes.post_op_attr_u.attributes),
                                  {}};
                    }
                    entries.push_back(std::move(entry));
                    ++in_reply;
                }
            });
        progress.reply(in_reply, args.cookie, eof, entries.size());
    }
    return entries;
}

FsStats Nfs3Client::statfs(const CallContext& context, const FileHandle& fh) {
    FSSTAT3args args{as_nfs_fh3(fh)};
    FsStats stats;
    execute<FSSTAT3res>(
        context, "FSSTAT",
        [&](rpc_context* rpc, auto cb, void* p) {
            return rpc_nfs3_fsstat_async(rpc, cb, &args, p);
        },
        [&](FSSTAT3res& reply) {
            const FSSTAT3resok& ok = reply.FSSTAT3res_u.resok;
            stats = FsStats{ok.tbytes, ok.fbytes, ok.abytes, ok.tfiles, ok.ffiles, ok.afiles};
        });
    return stats;
}

}  // namespace nfsfuse::nfs
