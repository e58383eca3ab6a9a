#include "nfs/v4/nfs4_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "nfs/listing_progress.h"
#include "nfs/read_fully.h"
#include "nfs/v4/nfs4_status.h"
#include "nfs/v4/owner_names.h"
#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

// The largest READ and WRITE we send: what the session's channel is sized for, less headers.
constexpr uint32_t kMaxRead = 512 * 1024;
constexpr uint32_t kMaxWrite = 1024 * 1024;
// READDIR sizes: the names alone (dircount) and the whole reply (maxcount).
constexpr uint32_t kReaddirDirCount = 64 * 1024;
constexpr uint32_t kReaddirMaxCount = 512 * 1024;
// A reopen after the server lost our state is tried this many times per I/O: more means the
// server keeps revoking it, and the I/O fails with the server's error.
constexpr int kReopensPerCall = 2;

// The decoded attributes with the change attribute, when the server sent it.
Attributes with_change(const Fattr4& fattr) {
    Attributes attributes = fattr.attributes;
    if (fattr.has(Attr::change)) attributes.change = fattr.change;
    return attributes;
}

std::vector<std::string> path_components(const std::string& path) {
    std::vector<std::string> components;
    size_t start = 0;
    while (start < path.size()) {
        const size_t end = std::min(path.find('/', start), path.size());
        if (end > start) components.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return components;
}

uint32_t share_access_of(OpenAccess access) {
    const uint32_t bits = access == OpenAccess::read    ? open4_share_access::read
                          : access == OpenAccess::write ? open4_share_access::write
                                                        : open4_share_access::both;
    return bits | open4_share_access::want_no_deleg;
}

// A directory's stamps around a change we made in it. Taken even when the server does not call
// them atomic (ganesha 4.3 never does): NFSv3's wcc data, which nfsfuse trusts the same way, is
// no more atomic on any server, and the window in which another client's change could hide is
// the server's own work on our request.
DirectoryChange directory_change_of(const ChangeInfo& cinfo) {
    return {change_stamp_of_change(cinfo.before), change_stamp_of_change(cinfo.after)};
}

// A number for this mount's lock owners' names that no other mount draws (LockOwnerNames).
uint64_t mount_number() {
    std::random_device random;
    return static_cast<uint64_t>(random()) << 32 | random();
}

}  // namespace

Nfs4Client::Nfs4Client(SessionSettings settings, const std::string& export_path) {
    const std::string where = settings.rpc.host + ":" + export_path;
    try {
        session_ = std::make_unique<Session>(std::move(settings));
    } catch (const Error& error) {
        throw Error(error.errnum(), where + ": " + error.what());
    }
    locks_ = std::make_unique<Nfs4Locks>(
        *session_, opens_, mount_number(),
        [this](const CallContext& context, const char* what, const Session::Build& build,
               const Session::Read& read,
               bool cachethis) { call(context, what, build, read, cachethis); },
        [this](const CallContext& context, OpenId id, const Stateid& failed) {
            reopen(context, id, failed);
        });
    session_->set_reclaim(
        [this](const CallContext& context, uint64_t generation) { reclaim(context, generation); });
    Fattr4 fs;
    try {
        call(
            CallContext{}, "LOOKUP",
            [&](CompoundBuilder& b) {
                b.putrootfh();
                for (const std::string& component : path_components(export_path))
                    b.lookup(component);
                b.getfh().getattr(AttrMask(fs_attribute_request()).add(Attr::lease_time));
            },
            [&](CompoundReply& r) {
                r.putrootfh();
                for (size_t i = 0; i < path_components(export_path).size(); ++i) r.lookup();
                root_ = r.getfh();
                fs = r.getattr();
            });
    } catch (const Error& error) {
        throw Error(error.errnum(), where + ": cannot find the export: " + error.what());
    }
    max_read_ =
        static_cast<uint32_t>(std::min<uint64_t>(fs.maxread ? fs.maxread : kMaxRead, kMaxRead));
    max_write_ =
        static_cast<uint32_t>(std::min<uint64_t>(fs.maxwrite ? fs.maxwrite : kMaxWrite, kMaxWrite));
    // A server that does not say gets the usual 90 s (RFC 8881 leaves it to the server).
    lease_ = std::chrono::seconds(fs.lease_time ? fs.lease_time : 90);
    spdlog::info("{}: connected (NFSv4.1, read {} KiB, write {} KiB, {} slots, lease {} s)", where,
                 max_read_ / 1024, max_write_ / 1024, session_->slot_count(), lease_.count());
}

void Nfs4Client::start() {
    session_->start_lease_renewal(lease_);
}

void Nfs4Client::call(const CallContext& context, const char* what, const Session::Build& build,
                      const Session::Read& read, bool cachethis) {
    counters_.count(what);
    session_->call(context, what, build, read, cachethis);
}

Attributes Nfs4Client::attributes_of(const Fattr4& fattr) {
    Attributes attributes = with_change(fattr);
    attributes.uid = uid_from_owner(fattr.owner);
    attributes.gid = gid_from_group(fattr.owner_group);
    return attributes;
}

Attributes Nfs4Client::getattr(const CallContext& context, const FileHandle& fh) {
    Attributes result;
    call(
        context, "GETATTR",
        [&](CompoundBuilder& b) { b.putfh(fh).getattr(file_attribute_request()); },
        [&](CompoundReply& r) {
            r.putfh();
            result = attributes_of(r.getattr());
        });
    return result;
}

Attributes Nfs4Client::setattr(const CallContext& context, const FileHandle& fh,
                               const SetAttributes& changes) {
    Attributes result;
    const AttributesToSet set = attributes_to_set(changes, owner_string(changes.uid.value_or(0)),
                                                  owner_string(changes.gid.value_or(0)));
    call(
        context, "SETATTR",
        [&](CompoundBuilder& b) {
            b.putfh(fh).setattr(Stateid::anonymous(), set).getattr(file_attribute_request());
        },
        [&](CompoundReply& r) {
            r.putfh();
            r.setattr();
            result = attributes_of(r.getattr());
        },
        /*cachethis=*/true);
    return result;
}

Entry Nfs4Client::lookup(const CallContext& context, const FileHandle& dir,
                         const std::string& name) {
    Entry entry;
    call(
        context, "LOOKUP",
        [&](CompoundBuilder& b) {
            b.putfh(dir).lookup(name).getfh().getattr(file_attribute_request());
        },
        [&](CompoundReply& r) {
            r.putfh();
            r.lookup();
            entry.handle = r.getfh();
            entry.attributes = attributes_of(r.getattr());
        });
    return entry;
}

uint32_t Nfs4Client::access(const CallContext& context, const FileHandle& fh, uint32_t wanted) {
    AccessReply reply;
    call(
        context, "ACCESS", [&](CompoundBuilder& b) { b.putfh(fh).access(wanted); },
        [&](CompoundReply& r) {
            r.putfh();
            reply = r.access();
        });
    return reply.access & reply.supported;
}

std::string Nfs4Client::readlink(const CallContext& context, const FileHandle& fh) {
    std::string target;
    call(
        context, "READLINK", [&](CompoundBuilder& b) { b.putfh(fh).readlink(); },
        [&](CompoundReply& r) {
            r.putfh();
            target = r.readlink();
        });
    return target;
}

ReadResult Nfs4Client::read(const CallContext& context, const FileHandle& fh, uint64_t offset,
                            uint32_t count) {
    return read_fully(offset, count, max_read_, [&](uint64_t at, uint32_t length) {
        ReadResult result;
        call_under_open(
            context, "READ", fh, /*writing=*/false,
            [&](CompoundBuilder& b, const Stateid& stateid) {
                // SEQUENCE, PUTFH, READ: no GETATTR, as the kernel client sends it. The file's
                // stamp comes with opens and attribute checks (close-to-open); a GETATTR per READ
                // cost a random 4 KiB read over NFSv4.1 about a fifth of its rate on ganesha.
                b.putfh(fh).read(stateid, at, length);
            },
            [&](CompoundReply& r) {
                r.putfh();
                const ReadReply data = r.read();
                // The data stays where it arrived, as NFSv3's: the session's replies name
                // their owner.
                result.data = data.data.substr(0, length);
                result.owner = data.owner;
                result.eof = data.eof;
            });
        return result;
    });
}

WriteResult Nfs4Client::write(const CallContext& context, const FileHandle& fh, uint64_t offset,
                              std::string_view data, Stability stability) {
    WriteResult result;
    const StableHow how =
        stability == Stability::file_sync ? StableHow::file_sync : StableHow::unstable;
    result.stable = true;
    size_t done = 0;
    while (done < data.size()) {
        const size_t chunk = std::min<size_t>(max_write_, data.size() - done);
        size_t written = 0;
        call_under_open(
            context, "WRITE", fh, /*writing=*/true,
            [&](CompoundBuilder& b, const Stateid& stateid) {
                // The file's change attribute before and its attributes after, in the same
                // COMPOUND: what NFSv3's wcc data gives, for the close-to-open stamps (an NFSv4
                // stamp is the change attribute alone; asking for no more before the WRITE
                // spares the server a full GETATTR per WRITE).
                b.putfh(fh)
                    .getattr(AttrMask{Attr::change})
                    .write(stateid, offset + done, how, data.substr(done, chunk))
                    .getattr(file_attribute_request());
            },
            [&](CompoundReply& r) {
                r.putfh();
                const Attributes before = attributes_of(r.getattr());
                const WriteReply reply = r.write();
                const Attributes after = attributes_of(r.getattr());
                if (done == 0) result.before = change_stamp_of(before);
                result.after = after;
                result.verifier = reply.verifier;
                result.stable = result.stable && reply.committed != StableHow::unstable;
                written = reply.count;
            });
        if (written == 0) throw Error(EIO, "WRITE: the server wrote nothing");
        // A count above what was sent would skip data that never reached the server.
        done += std::min<size_t>(written, chunk);
    }
    return result;
}

uint64_t Nfs4Client::commit(const CallContext& context, const FileHandle& fh) {
    uint64_t verifier = 0;
    call(
        context, "COMMIT", [&](CompoundBuilder& b) { b.putfh(fh).commit(0, 0); },
        [&](CompoundReply& r) {
            r.putfh();
            verifier = r.commit();
        });
    return verifier;
}

OpenedFile Nfs4Client::open(const CallContext& context, const FileHandle& fh, OpenAccess access) {
    OpenStates::Open open{fh, access, opens_.take_owner(), {}};
    OpenedFile opened;
    call_opening(
        context, open.owner,
        [&](CompoundBuilder& b) {
            b.putfh(fh)
                .open_current({session_->clientid(), open.owner}, share_access_of(access),
                              open4_share_deny::none)
                .getattr(file_attribute_request());
        },
        [&](CompoundReply& r) {
            r.putfh();
            open.stateid = r.open().stateid;
            opened.attributes = attributes_of(r.getattr());
        });
    opened.id = opens_.add(std::move(open));
    return opened;
}

void Nfs4Client::close(OpenId id) noexcept {
    // The server refuses to CLOSE an open whose lock states still hold locks.
    locks_->release_open(id);
    const std::optional<OpenStates::Open> open = opens_.remove(id);
    if (!open) return;
    try {
        call(
            CallContext{}, "CLOSE",
            [&](CompoundBuilder& b) { b.putfh(open->handle).close(open->stateid); },
            [&](CompoundReply& r) {
                r.putfh();
                r.close();
            });
    } catch (const Nfs4Error& error) {
        if (!stateid_gone(error.status())) {
            // The open may still be there: its owner is not used again (see below).
            spdlog::warn("CLOSE: {}; the server may keep the file open until nfsfuse ends",
                         error.what());
            return;
        }
        // The server has no such state (it lost it, or revoked it): the owner holds nothing.
        spdlog::debug("CLOSE: {}", error.what());
    } catch (const Error& error) {
        // No answer: the state may still be there, so the owner is not used again; the server
        // drops it with our lease (a lease ends when nfsfuse does).
        spdlog::debug("CLOSE: {}", error.what());
        return;
    }
    opens_.give_back_owner(open->owner);
}

void Nfs4Client::call_opening(const CallContext& context, const std::string& owner,
                              const Session::Build& build, const Session::Read& read) {
    try {
        call(context, "OPEN", build, read, /*cachethis=*/true);
    } catch (const Nfs4Error&) {
        opens_.give_back_owner(owner);  // the server refused: no state under it
        throw;
    }
}

void Nfs4Client::reopen(const CallContext& context, OpenId id, const Stateid& failed) {
    const std::optional<OpenStates::Open> open = opens_.find(id);
    if (!open || !(open->stateid == failed)) return;  // closed, or reopened by another thread
    spdlog::info("the server lost the state of an open file; opening it again");
    Stateid fresh;
    call(
        context, "OPEN",
        [&](CompoundBuilder& b) {
            b.putfh(open->handle)
                .open_current({session_->clientid(), open->owner}, share_access_of(open->access),
                              open4_share_deny::none);
        },
        [&](CompoundReply& r) {
            r.putfh();
            fresh = r.open().stateid;
        },
        /*cachethis=*/true);
    opens_.replace(id, failed, fresh);
}

void Nfs4Client::call_under_open(const CallContext& context, const char* what, const FileHandle& fh,
                                 bool writing, const IoBuild& build, const Session::Read& read) {
    for (int reopens = 0;; ++reopens) {
        const OpenStates::ForIo io = opens_.for_io(fh, writing);
        // Seqid 0: "the most recent stateid of this state" (RFC 8881 section 8.2.2). Another
        // thread's reopen moves the seqid on; an I/O sent with the old one would fail with
        // OLD_STATEID, and with several WRITEs on the wire their reopens chase each other.
        Stateid current = io.stateid;
        if (io.id != 0) current.seqid = 0;
        try {
            call(
                context, what, [&](CompoundBuilder& b) { build(b, current); }, read);
            return;
        } catch (const Nfs4Error& error) {
            if (io.id == 0 || !stateid_outdated(error.status()) || reopens == kReopensPerCall)
                throw;
            reopen(context, io.id, io.stateid);
        }
    }
}

CreatedFile Nfs4Client::create(const CallContext& context, const FileHandle& dir,
                               const std::string& name, const NewObjectAttributes& attributes,
                               bool exclusive, OpenAccess access) {
    CreatedFile created;
    OpenStates::Open open{{}, access, opens_.take_owner(), {}};
    const OpenCreate how{exclusive ? CreateMode::guarded : CreateMode::unchecked,
                         attributes_to_set(attributes), 0};
    call_opening(
        context, open.owner,
        [&](CompoundBuilder& b) {
            b.putfh(dir)
                .open({session_->clientid(), open.owner}, share_access_of(access),
                      open4_share_deny::none, name, how)
                .getfh()
                .getattr(file_attribute_request());
        },
        [&](CompoundReply& r) {
            r.putfh();
            const OpenReply reply = r.open();
            open.stateid = reply.stateid;
            created.entry.parent_change = directory_change_of(reply.cinfo);
            created.entry.handle = r.getfh();
            created.entry.attributes = attributes_of(r.getattr());
        });
    open.handle = created.entry.handle;
    created.id = opens_.add(std::move(open));
    return created;
}

Entry Nfs4Client::create_object(const CallContext& context, const char* what, const FileHandle& dir,
                                const std::function<void(CompoundBuilder&)>& create) {
    Entry entry;
    call(
        context, what,
        [&](CompoundBuilder& b) {
            b.putfh(dir);
            create(b);
            b.getfh().getattr(file_attribute_request());
        },
        [&](CompoundReply& r) {
            r.putfh();
            entry.parent_change = directory_change_of(r.create().cinfo);
            entry.handle = r.getfh();
            entry.attributes = attributes_of(r.getattr());
        },
        /*cachethis=*/true);
    return entry;
}

Entry Nfs4Client::mkdir(const CallContext& context, const FileHandle& dir, const std::string& name,
                        const NewObjectAttributes& attributes) {
    return create_object(context, "CREATE", dir, [&](CompoundBuilder& b) {
        b.create_directory(name, attributes_to_set(attributes));
    });
}

Entry Nfs4Client::symlink(const CallContext& context, const FileHandle& dir,
                          const std::string& name, const std::string& target,
                          const NewObjectAttributes& attributes) {
    return create_object(context, "CREATE", dir, [&](CompoundBuilder& b) {
        b.create_symlink(name, target, attributes_to_set(attributes));
    });
}

Entry Nfs4Client::mknod(const CallContext& context, const FileHandle& dir, const std::string& name,
                        const SpecialFile& what, const NewObjectAttributes& attributes) {
    Ftype4 type = Ftype4::fifo;
    switch (what.type) {
        case FileType::fifo:
            break;
        case FileType::socket:
            type = Ftype4::sock;
            break;
        case FileType::char_device:
            type = Ftype4::chr;
            break;
        case FileType::block_device:
            type = Ftype4::blk;
            break;
        default:
            throw Error(EINVAL, "CREATE " + name + ": not a FIFO, socket or device");
    }
    return create_object(context, "CREATE", dir, [&](CompoundBuilder& b) {
        b.create_special(type, name, attributes_to_set(attributes), what.major, what.minor);
    });
}

Entry Nfs4Client::link(const CallContext& context, const FileHandle& target, const FileHandle& dir,
                       const std::string& name) {
    Entry entry{target, {}, {}};
    call(
        context, "LINK",
        [&](CompoundBuilder& b) {
            b.putfh(target).savefh().putfh(dir).link(name).restorefh().getattr(
                file_attribute_request());
        },
        [&](CompoundReply& r) {
            r.putfh();
            r.savefh();
            r.putfh();
            entry.parent_change = directory_change_of(r.link());
            r.restorefh();
            entry.attributes = attributes_of(r.getattr());
        },
        /*cachethis=*/true);
    return entry;
}

DirectoryChange Nfs4Client::remove(const CallContext& context, const FileHandle& dir,
                                   const std::string& name) {
    DirectoryChange change;
    call(
        context, "REMOVE", [&](CompoundBuilder& b) { b.putfh(dir).remove(name); },
        [&](CompoundReply& r) {
            r.putfh();
            change = directory_change_of(r.remove());
        },
        /*cachethis=*/true);
    return change;
}

DirectoryChange Nfs4Client::rmdir(const CallContext& context, const FileHandle& dir,
                                  const std::string& name) {
    // NFSv4 REMOVE removes directories too; refuse a non-directory as rmdir(2) must. One
    // COMPOUND: the name's object VERIFYed to be a directory, then the REMOVE, which the server
    // does not run when the VERIFY failed. No LOOKUP of its own first, and the window in which
    // another client could put a file in the directory's place is the server's own work on
    // the COMPOUND, not a round trip (the operations of a COMPOUND are not atomic).
    DirectoryChange change;
    try {
        call(
            context, "REMOVE",
            [&](CompoundBuilder& b) {
                b.putfh(dir).lookup(name).verify_type(Ftype4::dir).putfh(dir).remove(name);
            },
            [&](CompoundReply& r) {
                r.putfh();
                r.lookup();
                r.verify();
                r.putfh();
                change = directory_change_of(r.remove());
            },
            /*cachethis=*/true);
    } catch (const Nfs4Error& error) {
        if (error.status() == Nfs4Status::not_same)
            throw Error(ENOTDIR, "rmdir " + name + ": not a directory");
        throw;
    }
    return change;
}

RenameChanges Nfs4Client::rename(const CallContext& context, const FileHandle& from_dir,
                                 const std::string& from_name, const FileHandle& to_dir,
                                 const std::string& to_name) {
    RenameChanges changes;
    call(
        context, "RENAME",
        [&](CompoundBuilder& b) {
            b.putfh(from_dir).savefh().putfh(to_dir).rename(from_name, to_name);
        },
        [&](CompoundReply& r) {
            r.putfh();
            r.savefh();
            r.putfh();
            const RenameReply reply = r.rename();
            changes = {directory_change_of(reply.source), directory_change_of(reply.target)};
        },
        /*cachethis=*/true);
    return changes;
}

std::vector<DirectoryEntry> Nfs4Client::readdir(const CallContext& context, const FileHandle& dir) {
    // NFSv4 READDIR leaves out "." and ".." (RFC 8881 section 18.23.4); readdir(3) shows them.
    // ".." gets the directory's own number: looking it up costs a LOOKUPP, and nothing
    // relies on its d_ino. That number comes with the first READDIR (a GETATTR of fileid before
    // it in the same COMPOUND), not in a COMPOUND of its own: a listing that fits one reply is
    // one round trip, as NFSv3's READDIRPLUS is.
    std::vector<DirectoryEntry> entries{{".", 0, std::nullopt}, {"..", 0, std::nullopt}};
    const AttrMask entry_attributes = file_attribute_request();
    uint64_t cookie = 0;
    uint64_t verifier = 0;
    bool eof = false;
    ListingProgress progress;
    while (!eof) {
        size_t in_reply = 0;
        const bool first = cookie == 0;
        call(
            context, "READDIR",
            [&](CompoundBuilder& b) {
                b.putfh(dir);
                if (first) b.getattr(AttrMask{Attr::fileid});
                b.readdir(cookie, verifier, kReaddirDirCount, kReaddirMaxCount,
                          readdir_attribute_request());
            },
            [&](CompoundReply& r) {
                r.putfh();
                if (first) entries[0].fileid = entries[1].fileid = r.getattr().attributes.fileid;
                ReaddirReply reply = r.readdir();
                verifier = reply.cookieverf;
                eof = reply.eof;
                for (DirectoryEntry4& e : reply.entries) {
                    cookie = e.cookie;
                    DirectoryEntry entry{e.name, e.attributes.attributes.fileid, std::nullopt};
                    // An entry without its handle or some of its attributes (a server may leave
                    // out what it failed to get) cannot be handed out: the kernel looks it up.
                    if (e.attributes.filehandle && e.attributes.present.has_all(entry_attributes))
                        entry.entry = Entry{
                            std::move(*e.attributes.filehandle), attributes_of(e.attributes), {}};
                    entries.push_back(std::move(entry));
                }
                in_reply = reply.entries.size();
            });
        progress.reply(in_reply, cookie, eof, entries.size());
    }
    return entries;
}

FsStats Nfs4Client::statfs(const CallContext& context, const FileHandle& fh) {
    FsStats stats;
    call(
        context, "GETATTR",
        [&](CompoundBuilder& b) { b.putfh(fh).getattr(fs_attribute_request()); },
        [&](CompoundReply& r) {
            r.putfh();
            stats = r.getattr().fs_stats;
        });
    return stats;
}

std::optional<LockHolder> Nfs4Client::lock(const CallContext& context, const FileHandle& fh,
                                           OpenId open, const LockRequest& request) {
    return locks_->lock(context, fh, open, request);
}

void Nfs4Client::unlock(const CallContext& context, const FileHandle& fh, OpenId, LockOwner owner,
                        const LockRange& range) {
    locks_->unlock(context, fh, owner, range);
}

std::optional<LockHolder> Nfs4Client::test(const CallContext& context, const FileHandle& fh, OpenId,
                                           const LockRequest& request) {
    return locks_->test(context, fh, request);
}

void Nfs4Client::reclaim(const CallContext& context, uint64_t generation) {
    reclaim_opens(context, generation);
    locks_->reclaim(context, generation);
}

void Nfs4Client::reclaim_opens(const CallContext& context, uint64_t generation) {
    // Not a structured binding: the lambdas below use `open`, which clang 14 (the fuzz build's
    // compiler) cannot capture from one.
    for (const auto& id_and_open : opens_.all()) {
        const OpenId id = id_and_open.first;
        const OpenStates::Open& open = id_and_open.second;
        // A newer restart while we were at it: its own reclaim does them all.
        if (session_->client_generation() != generation) return;
        Stateid fresh;
        try {
            call(
                context, "OPEN",
                [&](CompoundBuilder& b) {
                    b.putfh(open.handle)
                        .open_previous({session_->clientid(), open.owner},
                                       share_access_of(open.access), open4_share_deny::none);
                },
                [&](CompoundReply& r) {
                    r.putfh();
                    fresh = r.open().stateid;
                },
                /*cachethis=*/true);
        } catch (const Nfs4Error& error) {
            // Opened again by file handle when next used (reopen); locks under it are lost.
            spdlog::info("reclaiming an open after the server restarted: {}", error.what());
            if (error.status() == Nfs4Status::no_grace) return;  // none will do
            continue;
        }
        opens_.replace(id, open.stateid, fresh);
    }
}

}  // namespace nfsfuse::nfs::v4
