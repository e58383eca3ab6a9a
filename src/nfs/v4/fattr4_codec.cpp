#include "nfs/v4/fattr4_codec.h"

#include <bit>
#include <string>
#include <utility>

#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

constexpr uint32_t kModeBits = 07777;
constexpr uint32_t kNanosecondsPerSecond = 1'000'000'000;

void encode_settime(XdrEncoder& out, SetAttributes::Time how, const timespec& time) {
    if (how == SetAttributes::Time::server_now) {
        out.u32(static_cast<uint32_t>(TimeHow::server_time));
        return;
    }
    out.u32(static_cast<uint32_t>(TimeHow::client_time));
    out.u64(static_cast<uint64_t>(static_cast<int64_t>(time.tv_sec)));  // nfstime4.seconds
    out.u32(static_cast<uint32_t>(time.tv_nsec));
}

timespec decode_nfstime4(XdrDecoder& in, const char* what) {
    const auto seconds = static_cast<int64_t>(in.u64(what));
    const uint32_t nanoseconds = in.u32(what);
    if (nanoseconds >= kNanosecondsPerSecond)
        throw Error(EIO, std::string("malformed fattr4: ") + what + " has " +
                             std::to_string(nanoseconds) + " nanoseconds");
    return {static_cast<time_t>(seconds), static_cast<long>(nanoseconds)};
}

FileType file_type_of(uint32_t type) {
    switch (static_cast<Ftype4>(type)) {
        case Ftype4::reg:
            return FileType::regular;
        case Ftype4::dir:
            return FileType::directory;
        case Ftype4::blk:
            return FileType::block_device;
        case Ftype4::chr:
            return FileType::char_device;
        case Ftype4::lnk:
            return FileType::symlink;
        case Ftype4::sock:
            return FileType::socket;
        case Ftype4::fifo:
            return FileType::fifo;
        case Ftype4::attrdir:
        case Ftype4::namedattr:
            break;  // named attributes: only behind OPENATTR, which we never send
    }
    throw Error(EIO, "malformed fattr4: file type " + std::to_string(type));
}

// Reads the value of attribute `bit` into `result`.
void decode_value(XdrDecoder& in, uint32_t bit, Fattr4& result) {
    Attributes& attributes = result.attributes;
    FsStats& fs = result.fs_stats;
    switch (static_cast<Attr>(bit)) {
        case Attr::supported_attrs:
            result.supported_attrs = AttrMask::from_words(in.bitmap("supported_attrs"));
            return;
        case Attr::type:
            attributes.type = file_type_of(in.u32("type"));
            return;
        case Attr::change:
            result.change = in.u64("change");
            return;
        case Attr::size:
            attributes.size = in.u64("size");
            return;
        case Attr::fsid: {
            const uint64_t major = in.u64("fsid");
            attributes.fsid = major ^ std::rotl(in.u64("fsid"), 32);
            return;
        }
        case Attr::lease_time:
            result.lease_time = in.u32("lease_time");
            return;
        case Attr::filehandle:
            result.filehandle = FileHandle{in.opaque(kMaxFileHandle, "filehandle")};
            return;
        case Attr::fileid:
            attributes.fileid = in.u64("fileid");
            return;
        case Attr::files_avail:
            fs.available_files = in.u64("files_avail");
            return;
        case Attr::files_free:
            fs.free_files = in.u64("files_free");
            return;
        case Attr::files_total:
            fs.total_files = in.u64("files_total");
            return;
        case Attr::maxname:
            result.maxname = in.u32("maxname");
            return;
        case Attr::maxread:
            result.maxread = in.u64("maxread");
            return;
        case Attr::maxwrite:
            result.maxwrite = in.u64("maxwrite");
            return;
        case Attr::mode:
            attributes.mode = in.u32("mode") & kModeBits;
            return;
        case Attr::numlinks:
            attributes.nlink = in.u32("numlinks");
            return;
        case Attr::owner:
            result.owner = in.string(kOpaqueLimit, "owner");
            return;
        case Attr::owner_group:
            result.owner_group = in.string(kOpaqueLimit, "owner_group");
            return;
        case Attr::rawdev:
            attributes.rdev_major = in.u32("rawdev");
            attributes.rdev_minor = in.u32("rawdev");
            return;
        case Attr::space_avail:
            fs.available_bytes = in.u64("space_avail");
            return;
        case Attr::space_free:
            fs.free_bytes = in.u64("space_free");
            return;
        case Attr::space_total:
            fs.total_bytes = in.u64("space_total");
            return;
        case Attr::space_used:
            attributes.used = in.u64("space_used");
            return;
        case Attr::time_access:
            attributes.atime = decode_nfstime4(in, "time_access");
            return;
        case Attr::time_metadata:
            attributes.ctime = decode_nfstime4(in, "time_metadata");
            return;
        case Attr::time_modify:
            attributes.mtime = decode_nfstime4(in, "time_modify");
            return;
        case Attr::time_access_set:
        case Attr::time_modify_set:
            break;  // write-only: a server never returns them
    }
    throw Error(EIO, "fattr4: the server returned attribute " + std::to_string(bit) +
                         ", which nfsfuse cannot decode or skip (it never asks for it)");
}

}  // namespace

AttributesToSet attributes_to_set(const SetAttributes& set, std::string owner,
                                  std::string owner_group) {
    AttributesToSet result;
    result.size = set.size;
    if (set.mode) result.mode = *set.mode & kModeBits;
    if (set.uid) result.owner = std::move(owner);
    if (set.gid) result.owner_group = std::move(owner_group);
    result.atime_how = set.atime_how;
    result.atime = set.atime;
    result.mtime_how = set.mtime_how;
    result.mtime = set.mtime;
    return result;
}

AttributesToSet attributes_to_set(const NewObjectAttributes& attributes) {
    AttributesToSet result;
    result.mode = attributes.mode & kModeBits;
    return result;
}

void encode_fattr4(XdrEncoder& out, const AttributesToSet& attributes) {
    // Values in increasing attribute number: size 4, mode 33, owner 36, owner_group 37,
    // time_access_set 48, time_modify_set 54.
    AttrMask mask;
    XdrEncoder values;
    if (attributes.size) {
        mask.add(Attr::size);
        values.u64(*attributes.size);
    }
    if (attributes.mode) {
        mask.add(Attr::mode);
        values.u32(*attributes.mode);
    }
    if (attributes.owner) {
        mask.add(Attr::owner);
        values.string(*attributes.owner);
    }
    if (attributes.owner_group) {
        mask.add(Attr::owner_group);
        values.string(*attributes.owner_group);
    }
    if (attributes.atime_how != SetAttributes::Time::dont_change) {
        mask.add(Attr::time_access_set);
        encode_settime(values, attributes.atime_how, attributes.atime);
    }
    if (attributes.mtime_how != SetAttributes::Time::dont_change) {
        mask.add(Attr::time_modify_set);
        encode_settime(values, attributes.mtime_how, attributes.mtime);
    }
    out.bitmap(mask.words());
    out.opaque(values.bytes());
}

Fattr4 decode_fattr4(XdrDecoder& in) {
    Fattr4 result;
    result.present = AttrMask::from_words(in.bitmap("fattr4 attrmask"));
    XdrDecoder values(in.opaque_view(in.remaining(), "fattr4 attr_vals"));
    for (uint32_t bit = 0; bit < result.present.bit_limit(); ++bit)
        if (result.present.has_bit(bit)) decode_value(values, bit, result);
    if (values.remaining() != 0)
        throw Error(EIO, "malformed fattr4: " + std::to_string(values.remaining()) +
                             " bytes left after the attributes its bitmap names");
    return result;
}

AttrMask file_attribute_request() {
    return {Attr::type,          Attr::change,     Attr::size,       Attr::fsid,
            Attr::fileid,        Attr::mode,       Attr::numlinks,   Attr::owner,
            Attr::owner_group,   Attr::rawdev,     Attr::space_used, Attr::time_access,
            Attr::time_metadata, Attr::time_modify};
}

AttrMask readdir_attribute_request() {
    return file_attribute_request().add(Attr::filehandle);
}

AttrMask fs_attribute_request() {
    return {Attr::files_avail, Attr::files_free, Attr::files_total,
            Attr::maxname,     Attr::maxread,    Attr::maxwrite,
            Attr::space_avail, Attr::space_free, Attr::space_total};
}

}  // namespace nfsfuse::nfs::v4
