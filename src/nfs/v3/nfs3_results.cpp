#include "nfs/v3/nfs3_results.h"

#include <string>

#include "util/error.h"

namespace nfsfuse::nfs::v3 {
namespace {

// stable_how
constexpr uint32_t kUnstable = 0;
constexpr uint32_t kFileSync = 2;

}  // namespace

uint32_t decode_status(XdrDecoder& in) {
    return in.u32("nfsstat3");
}

LookupResult decode_lookup(XdrDecoder& in) {
    LookupResult result;
    result.handle = decode_handle(in);
    result.attributes = decode_post_op_attr(in);
    decode_post_op_attr(in);  // the directory's
    return result;
}

AccessResult decode_access(XdrDecoder& in) {
    AccessResult result;
    result.attributes = decode_post_op_attr(in);
    result.granted = in.u32("ACCESS access");
    return result;
}

std::string decode_readlink(XdrDecoder& in) {
    decode_post_op_attr(in);
    return in.string(kMaxPathBytes, "READLINK data");
}

ReadReply decode_read(XdrDecoder& in, uint32_t asked) {
    ReadReply reply;
    reply.attributes = decode_post_op_attr(in);
    in.u32("READ count");  // the data's own length is the one that counts
    reply.eof = in.boolean("READ eof");
    reply.data = in.opaque_view(asked, "READ data");
    return reply;
}

WriteReply decode_write(XdrDecoder& in) {
    WriteReply reply;
    reply.file = decode_wcc(in);
    reply.count = in.u32("WRITE count");
    const uint32_t committed = in.u32("WRITE committed");
    if (committed > kFileSync)
        throw Error(EIO,
                    "WRITE: the server sent the unknown stability " + std::to_string(committed));
    reply.stable = committed != kUnstable;
    reply.verifier = decode_verifier(in, "WRITE verifier");
    return reply;
}

Verifier decode_commit(XdrDecoder& in) {
    decode_wcc_data(in);
    return decode_verifier(in, "COMMIT verifier");
}

CreatedObject decode_created(XdrDecoder& in) {
    CreatedObject created;
    created.handle = decode_post_op_handle(in);
    created.attributes = decode_post_op_attr(in);
    created.parent_change = decode_wcc_data(in);
    return created;
}

std::optional<Attributes> decode_setattr(XdrDecoder& in) {
    return decode_wcc(in).after;
}

DirectoryChange decode_removal(XdrDecoder& in) {
    return decode_wcc_data(in);
}

RenameChanges decode_rename(XdrDecoder& in) {
    RenameChanges changes;
    changes.from = decode_wcc_data(in);
    changes.to = decode_wcc_data(in);
    return changes;
}

LinkReply decode_link(XdrDecoder& in) {
    LinkReply reply;
    reply.attributes = decode_post_op_attr(in);
    reply.parent_change = decode_wcc_data(in);
    return reply;
}

ListingReply decode_readdirplus(XdrDecoder& in) {
    ListingReply reply;
    decode_post_op_attr(in);  // the directory's
    reply.cookie_verifier = decode_verifier(in, "READDIRPLUS cookieverf");
    // A linked list on the wire, read in a loop: each entry takes bytes of the reply, so the
    // reply's size bounds their number (libnfs recursed once per entry).
    while (in.boolean("READDIRPLUS entry follows")) {
        DirectoryEntry entry;
        entry.fileid = in.u64("READDIRPLUS fileid");
        entry.name = in.string(kMaxNameBytes, "READDIRPLUS name");
        reply.last_cookie = in.u64("READDIRPLUS cookie");
        std::optional<Attributes> attributes = decode_post_op_attr(in);
        std::optional<FileHandle> handle = decode_post_op_handle(in);
        if (handle && attributes) entry.entry = Entry{std::move(*handle), *attributes, {}};
        reply.entries.push_back(std::move(entry));
    }
    reply.eof = in.boolean("READDIRPLUS eof");
    return reply;
}

FsStats decode_fsstat(XdrDecoder& in) {
    decode_post_op_attr(in);
    FsStats stats;
    stats.total_bytes = in.u64("FSSTAT tbytes");
    stats.free_bytes = in.u64("FSSTAT fbytes");
    stats.available_bytes = in.u64("FSSTAT abytes");
    stats.total_files = in.u64("FSSTAT tfiles");
    stats.free_files = in.u64("FSSTAT ffiles");
    stats.available_files = in.u64("FSSTAT afiles");
    in.u32("FSSTAT invarsec");
    return stats;
}

ServerLimits decode_fsinfo(XdrDecoder& in) {
    decode_post_op_attr(in);
    ServerLimits limits;
    limits.max_read = in.u32("FSINFO rtmax");
    in.u32("FSINFO rtpref");
    in.u32("FSINFO rtmult");
    limits.max_write = in.u32("FSINFO wtmax");
    // wtpref, wtmult, dtpref, maxfilesize, time_delta and properties: unused.
    return limits;
}

}  // namespace nfsfuse::nfs::v3
