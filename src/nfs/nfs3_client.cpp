#include "nfs/nfs3_client.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>
#include <type_traits>
#include <utility>

#include "nfs/listing_progress.h"
#include "nfs/nfs3_status.h"
#include "nfs/read_fully.h"
#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

using v3::Procedure;

constexpr int kJukeboxRetries = 20;
constexpr auto kJukeboxDelay = std::chrono::milliseconds(250);
// READDIRPLUS sizes: dircount bounds the names+cookies, maxcount the whole reply.
constexpr uint32_t kReaddirDirCount = 64 * 1024;
constexpr uint32_t kReaddirMaxCount = 512 * 1024;

// stable_how and createmode3 (RFC 1813 sections 3.3.7 and 3.3.8).
constexpr uint32_t kUnstable = 0;
constexpr uint32_t kFileSync = 2;
constexpr uint32_t kUnchecked = 0;
constexpr uint32_t kGuarded = 1;
constexpr uint32_t kExclusive = 2;

// ftype3 of the objects MKNOD makes.
constexpr uint32_t kBlockDevice = 3;
constexpr uint32_t kCharDevice = 4;
constexpr uint32_t kSocket = 6;
constexpr uint32_t kFifo = 7;

SetAttributes initial_changes(const NewObjectAttributes& attributes) {
    SetAttributes changes;
    changes.mode = attributes.mode;
    return changes;
}

std::string handle_only(const FileHandle& fh) {
    XdrEncoder out;
    v3::encode_handle(out, fh);
    return out.take();
}

// createhow3: UNCHECKED or GUARDED with the initial attributes, or EXCLUSIVE with a verifier.
std::string create_how(uint32_t mode, const NewObjectAttributes& attributes) {
    XdrEncoder out;
    out.u32(mode);
    v3::encode_sattr(out, initial_changes(attributes));
    return out.take();
}

std::string exclusive_create_how(v3::Verifier verifier) {
    XdrEncoder out;
    out.u32(kExclusive);
    v3::encode_verifier(out, verifier);
    return out.take();
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

Nfs3Connection& Nfs3Client::connection_for(Procedure procedure) {
    if (connections_.size() == 1) return *connections_.front();
    if (procedure != Procedure::read && procedure != Procedure::write &&
        procedure != Procedure::commit)
        return *connections_.front();
    const size_t data_connections = connections_.size() - 1;
    return *connections_[1 + next_data_connection_.fetch_add(1) % data_connections];
}

template <class ReadOk>
void Nfs3Client::execute(const CallContext& context, Procedure procedure,
                         std::string_view arguments, ReadOk&& read_ok) {
    execute(context, procedure, arguments, {}, std::forward<ReadOk>(read_ok));
}

template <class ReadOk>
void Nfs3Client::execute(const CallContext& context, Procedure procedure,
                         std::string_view arguments, std::string_view payload, ReadOk&& read_ok) {
    const char* what = v3::procedure_name(procedure);
    for (int attempt = 0;; ++attempt) {
        counters_.count(what);
        RpcReply reply = connection_for(procedure).call(context, procedure, arguments, payload);
        XdrDecoder in(reply.results());
        const uint32_t status = v3::decode_status(in);
        if (status == kNfs3Ok) {
            try {
                // READ takes the reply's record over (its data is not copied out of it).
                if constexpr (std::is_invocable_v<ReadOk, XdrDecoder&, RpcReply&>)
                    read_ok(in, reply);
                else
                    read_ok(in);
            } catch (const Error& error) {
                throw Error(error.errnum(), std::string(what) + ": " + error.what());
            }
            return;
        }
        if (status == kNfs3ErrJukebox && attempt < kJukeboxRetries && !context.cancelled()) {
            std::this_thread::sleep_for(kJukeboxDelay);
            continue;
        }
        throw nfs3_status_error(static_cast<int>(status), what);
    }
}

Entry Nfs3Client::complete_entry(const CallContext& context, const FileHandle& dir,
                                 const std::string& name, v3::CreatedObject created) {
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
    Attributes result;
    execute(context, Procedure::getattr, handle_only(fh),
            [&](XdrDecoder& in) { result = v3::decode_fattr(in); });
    return result;
}

Attributes Nfs3Client::setattr(const CallContext& context, const FileHandle& fh,
                               const SetAttributes& changes) {
    XdrEncoder arguments;
    v3::encode_handle(arguments, fh);
    v3::encode_sattr(arguments, changes);
    arguments.boolean(false);  // sattrguard3: no ctime check
    std::optional<Attributes> after;
    execute(context, Procedure::setattr, arguments.bytes(),
            [&](XdrDecoder& in) { after = v3::decode_setattr(in); });
    return after ? *after : getattr(context, fh);
}

Entry Nfs3Client::lookup(const CallContext& context, const FileHandle& dir,
                         const std::string& name) {
    XdrEncoder arguments;
    v3::encode_dirop(arguments, dir, name);
    v3::LookupResult found;
    execute(context, Procedure::lookup, arguments.bytes(),
            [&](XdrDecoder& in) { found = v3::decode_lookup(in); });
    Entry entry;
    entry.handle = std::move(found.handle);
    entry.attributes = found.attributes ? *found.attributes : getattr(context, entry.handle);
    return entry;
}

uint32_t Nfs3Client::access(const CallContext& context, const FileHandle& fh, uint32_t wanted) {
    XdrEncoder arguments;
    v3::encode_handle(arguments, fh);
    arguments.u32(wanted);
    uint32_t granted = 0;
    execute(context, Procedure::access, arguments.bytes(),
            [&](XdrDecoder& in) { granted = v3::decode_access(in).granted; });
    return granted;
}

std::string Nfs3Client::readlink(const CallContext& context, const FileHandle& fh) {
    std::string target;
    execute(context, Procedure::readlink, handle_only(fh),
            [&](XdrDecoder& in) { target = v3::decode_readlink(in); });
    return target;
}

ReadResult Nfs3Client::read(const CallContext& context, const FileHandle& fh, uint64_t offset,
                            uint32_t count) {
    return read_fully(offset, count, max_read(), [&](uint64_t at, uint32_t length) {
        XdrEncoder arguments;
        v3::encode_handle(arguments, fh);
        arguments.u64(at);
        arguments.u32(length);
        ReadResult result;
        execute(context, Procedure::read, arguments.bytes(), [&](XdrDecoder& in, RpcReply& reply) {
            const v3::ReadReply decoded = v3::decode_read(in, length);
            // The data stays where it arrived: the result shares the record (moving it
            // keeps its bytes in place).
            result.data = decoded.data;
            result.owner = std::make_shared<const RecordBuffer>(std::move(reply.record));
            result.eof = decoded.eof;
        });
        return result;
    });
}

WriteResult Nfs3Client::write(const CallContext& context, const FileHandle& fh, uint64_t offset,
                              std::string_view data, Stability stability) {
    WriteResult result;
    size_t done = 0;
    while (done < data.size()) {
        const uint32_t chunk =
            static_cast<uint32_t>(std::min<size_t>(max_write(), data.size() - done));
        XdrEncoder arguments;
        v3::encode_handle(arguments, fh);
        arguments.u64(offset + done);
        arguments.u32(chunk);
        arguments.u32(stability == Stability::file_sync ? kFileSync : kUnstable);
        arguments.u32(chunk);  // the data's length; the data goes from where it is, uncopied
        uint32_t written = 0;
        execute(context, Procedure::write, arguments.bytes(), data.substr(done, chunk),
                [&](XdrDecoder& in) {
                    const v3::WriteReply reply = v3::decode_write(in);
                    written = reply.count;
                    result.verifier = reply.verifier;
                    // Stable only if every chunk was.
                    result.stable = (done == 0 || result.stable) && reply.stable;
                    // The stamp before our first chunk, the attributes after our last.
                    if (done == 0) result.before = reply.file.before;
                    result.after = reply.file.after;
                });
        if (written == 0) throw Error(EIO, "WRITE: server accepted no data");
        done += std::min(written, chunk);
    }
    locks_.note_write_verifier(result.verifier);
    return result;
}

uint64_t Nfs3Client::commit(const CallContext& context, const FileHandle& fh) {
    XdrEncoder arguments;
    v3::encode_handle(arguments, fh);
    arguments.u64(0);  // offset and count 0: the whole file
    arguments.u32(0);
    uint64_t verifier = 0;
    execute(context, Procedure::commit, arguments.bytes(),
            [&](XdrDecoder& in) { verifier = v3::decode_commit(in); });
    locks_.note_write_verifier(verifier);
    return verifier;
}

OpenedFile Nfs3Client::open(const CallContext& context, const FileHandle& fh, OpenAccess access) {
    // NFSv3 has no OPEN: like the kernel client, ask ACCESS whether the caller may open the file
    // this way. Its reply carries the attributes close-to-open wants, so this costs the GETATTR
    // it replaces.
    uint32_t wanted = 0;
    if (access != OpenAccess::write) wanted |= access_read;
    if (access != OpenAccess::read) wanted |= access_modify | access_extend;
    XdrEncoder arguments;
    v3::encode_handle(arguments, fh);
    arguments.u32(wanted);
    v3::AccessResult answer;
    execute(context, Procedure::access, arguments.bytes(),
            [&](XdrDecoder& in) { answer = v3::decode_access(in); });
    const bool may_read = (answer.granted & access_read) != 0;
    // Writing is allowed when either is granted, as the kernel client decides
    // (nfs_access_calc_mask).
    const bool may_write = (answer.granted & (access_modify | access_extend)) != 0;
    if (((wanted & access_read) && !may_read) || ((wanted & access_modify) && !may_write))
        throw Error(EACCES, "open: the server denies this caller " +
                                std::string(access == OpenAccess::read    ? "reading"
                                            : access == OpenAccess::write ? "writing"
                                                                          : "reading and writing"));
    return {0, answer.attributes ? *answer.attributes : getattr(context, fh)};
}

v3::CreatedObject Nfs3Client::send_create(const CallContext& context, const FileHandle& dir,
                                          const std::string& name, std::string_view how) {
    XdrEncoder arguments;
    v3::encode_dirop(arguments, dir, name);
    std::string bytes = arguments.take();
    bytes.append(how);
    v3::CreatedObject created;
    execute(context, Procedure::create, bytes,
            [&](XdrDecoder& in) { created = v3::decode_created(in); });
    return created;
}

CreatedFile Nfs3Client::create(const CallContext& context, const FileHandle& dir,
                               const std::string& name, const NewObjectAttributes& attributes,
                               bool exclusive, OpenAccess) {
    if (exclusive) return {0, create_exclusive(context, dir, name, attributes)};
    // UNCHECKED opens an existing file like plain O_CREAT.
    return {0, complete_entry(context, dir, name,
                              send_create(context, dir, name, create_how(kUnchecked, attributes)))};
}

// O_EXCL. Not GUARDED, though it fails with EEXIST just the same: a call is sent again on a new
// connection when the old one broke (Nfs3Connection), and a GUARDED CREATE that ran before the
// break then fails with EEXIST on the very file it made. EXCLUSIVE carries a verifier the server
// stores with the file, so it answers the replay with success and EEXIST only to someone else's
// file (RFC 1813 section 3.3.8). No attributes go with EXCLUSIVE (the server may keep the
// verifier in the times), so a SETATTR sets mode, owner and both times afterwards, as Linux's
// nfs3_proc_create does.
Entry Nfs3Client::create_exclusive(const CallContext& context, const FileHandle& dir,
                                   const std::string& name, const NewObjectAttributes& attributes) {
    const v3::Verifier verifier = first_verifier_ + verifiers_used_.fetch_add(1);
    v3::CreatedObject created;
    try {
        created = send_create(context, dir, name, exclusive_create_how(verifier));
    } catch (const Error& error) {
        if (error.errnum() != EOPNOTSUPP) throw;
        // A server without EXCLUSIVE (NFS3ERR_NOTSUPP): GUARDED, the best it offers.
        return complete_entry(context, dir, name,
                              send_create(context, dir, name, create_how(kGuarded, attributes)));
    }
    Entry entry = complete_entry(context, dir, name, std::move(created));
    SetAttributes changes = initial_changes(attributes);
    changes.atime_how = SetAttributes::Time::server_now;
    changes.mtime_how = SetAttributes::Time::server_now;
    entry.attributes = setattr(context, entry.handle, changes);
    return entry;
}

Entry Nfs3Client::make_object(const CallContext& context, Procedure procedure,
                              const FileHandle& dir, const std::string& name,
                              std::string_view arguments) {
    v3::CreatedObject created;
    execute(context, procedure, arguments,
            [&](XdrDecoder& in) { created = v3::decode_created(in); });
    return complete_entry(context, dir, name, std::move(created));
}

Entry Nfs3Client::mkdir(const CallContext& context, const FileHandle& dir, const std::string& name,
                        const NewObjectAttributes& attributes) {
    XdrEncoder arguments;
    v3::encode_dirop(arguments, dir, name);
    v3::encode_sattr(arguments, initial_changes(attributes));
    return make_object(context, Procedure::mkdir, dir, name, arguments.bytes());
}

Entry Nfs3Client::symlink(const CallContext& context, const FileHandle& dir,
                          const std::string& name, const std::string& target,
                          const NewObjectAttributes& attributes) {
    XdrEncoder arguments;
    v3::encode_dirop(arguments, dir, name);
    v3::encode_sattr(arguments, initial_changes(attributes));
    arguments.string(target);
    return make_object(context, Procedure::symlink, dir, name, arguments.bytes());
}

Entry Nfs3Client::mknod(const CallContext& context, const FileHandle& dir, const std::string& name,
                        const SpecialFile& what, const NewObjectAttributes& attributes) {
    XdrEncoder arguments;
    v3::encode_dirop(arguments, dir, name);
    // mknoddata3: the type, then the initial attributes, and for devices their numbers.
    switch (what.type) {
        case FileType::fifo:
            arguments.u32(kFifo);
            break;
        case FileType::socket:
            arguments.u32(kSocket);
            break;
        case FileType::char_device:
            arguments.u32(kCharDevice);
            break;
        case FileType::block_device:
            arguments.u32(kBlockDevice);
            break;
        default:
            throw Error(EINVAL, "MKNOD " + name + ": not a FIFO, socket or device");
    }
    v3::encode_sattr(arguments, initial_changes(attributes));
    if (what.type == FileType::char_device || what.type == FileType::block_device) {
        arguments.u32(what.major);
        arguments.u32(what.minor);
    }
    return make_object(context, Procedure::mknod, dir, name, arguments.bytes());
}

Entry Nfs3Client::link(const CallContext& context, const FileHandle& target, const FileHandle& dir,
                       const std::string& name) {
    XdrEncoder arguments;
    v3::encode_handle(arguments, target);
    v3::encode_dirop(arguments, dir, name);
    v3::LinkReply reply;
    execute(context, Procedure::link, arguments.bytes(),
            [&](XdrDecoder& in) { reply = v3::decode_link(in); });
    return Entry{target, reply.attributes ? *reply.attributes : getattr(context, target),
                 reply.parent_change};
}

DirectoryChange Nfs3Client::remove(const CallContext& context, const FileHandle& dir,
                                   const std::string& name) {
    XdrEncoder arguments;
    v3::encode_dirop(arguments, dir, name);
    DirectoryChange change;
    execute(context, Procedure::remove, arguments.bytes(),
            [&](XdrDecoder& in) { change = v3::decode_removal(in); });
    return change;
}

DirectoryChange Nfs3Client::rmdir(const CallContext& context, const FileHandle& dir,
                                  const std::string& name) {
    XdrEncoder arguments;
    v3::encode_dirop(arguments, dir, name);
    DirectoryChange change;
    execute(context, Procedure::rmdir, arguments.bytes(),
            [&](XdrDecoder& in) { change = v3::decode_removal(in); });
    return change;
}

RenameChanges Nfs3Client::rename(const CallContext& context, const FileHandle& from_dir,
                                 const std::string& from_name, const FileHandle& to_dir,
                                 const std::string& to_name) {
    XdrEncoder arguments;
    v3::encode_dirop(arguments, from_dir, from_name);
    v3::encode_dirop(arguments, to_dir, to_name);
    RenameChanges changes;
    execute(context, Procedure::rename, arguments.bytes(),
            [&](XdrDecoder& in) { changes = v3::decode_rename(in); });
    return changes;
}

std::vector<DirectoryEntry> Nfs3Client::readdir(const CallContext& context, const FileHandle& dir) {
    std::vector<DirectoryEntry> entries;
    uint64_t cookie = 0;
    v3::Verifier cookie_verifier = 0;
    bool eof = false;
    ListingProgress progress;
    while (!eof) {
        XdrEncoder arguments;
        v3::encode_handle(arguments, dir);
        arguments.u64(cookie);
        v3::encode_verifier(arguments, cookie_verifier);
        arguments.u32(kReaddirDirCount);
        arguments.u32(kReaddirMaxCount);
        size_t in_reply = 0;
        execute(context, Procedure::readdirplus, arguments.bytes(), [&](XdrDecoder& in) {
            v3::ListingReply reply = v3::decode_readdirplus(in);
            cookie_verifier = reply.cookie_verifier;
            eof = reply.eof;
            in_reply = reply.entries.size();
            if (in_reply > 0) cookie = reply.last_cookie;
            for (DirectoryEntry& entry : reply.entries) entries.push_back(std::move(entry));
        });
        progress.reply(in_reply, cookie, eof, entries.size());
    }
    return entries;
}

FsStats Nfs3Client::statfs(const CallContext& context, const FileHandle& fh) {
    FsStats stats;
    execute(context, Procedure::fsstat, handle_only(fh),
            [&](XdrDecoder& in) { stats = v3::decode_fsstat(in); });
    return stats;
}

}  // namespace nfsfuse::nfs
