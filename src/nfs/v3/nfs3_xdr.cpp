#include "nfs/v3/nfs3_xdr.h"

#include <cstring>
#include <string>

#include "util/error.h"

namespace nfsfuse::nfs::v3 {
namespace {

// ftype3
constexpr uint32_t kRegular = 1;
constexpr uint32_t kDirectory = 2;
constexpr uint32_t kBlockDevice = 3;
constexpr uint32_t kCharDevice = 4;
constexpr uint32_t kSymlink = 5;
constexpr uint32_t kSocket = 6;
constexpr uint32_t kFifo = 7;

// time_how
constexpr uint32_t kDontChange = 0;
constexpr uint32_t kSetToServerTime = 1;
constexpr uint32_t kSetToClientTime = 2;

constexpr uint32_t kNanosecondsPerSecond = 1000000000;

FileType decode_type(XdrDecoder& in) {
    const uint32_t type = in.u32("fattr3 type");
    switch (type) {
        case kRegular:
            return FileType::regular;
        case kDirectory:
            return FileType::directory;
        case kBlockDevice:
            return FileType::block_device;
        case kCharDevice:
            return FileType::char_device;
        case kSymlink:
            return FileType::symlink;
        case kSocket:
            return FileType::socket;
        case kFifo:
            return FileType::fifo;
        default:
            throw Error(EIO, "the server sent the unknown file type " + std::to_string(type));
    }
}

timespec decode_time(XdrDecoder& in, const char* what) {
    const uint32_t seconds = in.u32(what);
    const uint32_t nanoseconds = in.u32(what);
    if (nanoseconds >= kNanosecondsPerSecond)
        throw Error(EIO, std::string("the server sent ") + std::to_string(nanoseconds) +
                             " nanoseconds in " + what);
    return timespec{static_cast<time_t>(seconds), static_cast<long>(nanoseconds)};
}

// wcc_attr: what weak cache consistency needs of an object before a change.
ChangeStamp decode_wcc_attr(XdrDecoder& in) {
    ChangeStamp stamp;
    stamp.size = in.u64("wcc_attr size");
    stamp.mtime = decode_time(in, "wcc_attr mtime");
    stamp.ctime = decode_time(in, "wcc_attr ctime");
    return stamp;
}

void encode_time(XdrEncoder& out, SetAttributes::Time how, const timespec& value) {
    switch (how) {
        case SetAttributes::Time::server_now:
            out.u32(kSetToServerTime);
            return;
        case SetAttributes::Time::client_value:
            out.u32(kSetToClientTime);
            out.u32(static_cast<uint32_t>(value.tv_sec));
            out.u32(static_cast<uint32_t>(value.tv_nsec));
            return;
        case SetAttributes::Time::dont_change:
            break;
    }
    out.u32(kDontChange);
}

template <class Value>
void encode_optional(XdrEncoder& out, const std::optional<Value>& value) {
    out.boolean(value.has_value());
    if (!value) return;
    if constexpr (sizeof(Value) == 8)
        out.u64(*value);
    else
        out.u32(*value);
}

}  // namespace

void encode_handle(XdrEncoder& out, const FileHandle& handle) {
    out.opaque(handle.bytes);
}

void encode_dirop(XdrEncoder& out, const FileHandle& dir, std::string_view name) {
    encode_handle(out, dir);
    out.string(name);
}

void encode_sattr(XdrEncoder& out, const SetAttributes& changes) {
    encode_optional(out,
                    changes.mode ? std::optional<uint32_t>(*changes.mode & 07777) : std::nullopt);
    encode_optional(out, changes.uid);
    encode_optional(out, changes.gid);
    encode_optional(out, changes.size);
    encode_time(out, changes.atime_how, changes.atime);
    encode_time(out, changes.mtime_how, changes.mtime);
}

void encode_verifier(XdrEncoder& out, Verifier verifier) {
    char bytes[sizeof verifier];
    std::memcpy(bytes, &verifier, sizeof verifier);
    out.fixed_opaque(std::string_view(bytes, sizeof bytes));
}

FileHandle decode_handle(XdrDecoder& in) {
    FileHandle handle{in.opaque(kMaxHandleBytes, "nfs_fh3")};
    if (handle.bytes.empty()) throw Error(EIO, "the server sent an empty file handle");
    return handle;
}

Attributes decode_fattr(XdrDecoder& in) {
    Attributes out;
    out.type = decode_type(in);
    out.mode = in.u32("fattr3 mode") & 07777;
    out.nlink = in.u32("fattr3 nlink");
    out.uid = in.u32("fattr3 uid");
    out.gid = in.u32("fattr3 gid");
    out.size = in.u64("fattr3 size");
    out.used = in.u64("fattr3 used");
    out.rdev_major = in.u32("fattr3 rdev");
    out.rdev_minor = in.u32("fattr3 rdev");
    out.fsid = in.u64("fattr3 fsid");
    out.fileid = in.u64("fattr3 fileid");
    out.atime = decode_time(in, "fattr3 atime");
    out.mtime = decode_time(in, "fattr3 mtime");
    out.ctime = decode_time(in, "fattr3 ctime");
    return out;
}

std::optional<Attributes> decode_post_op_attr(XdrDecoder& in) {
    if (!in.boolean("post_op_attr")) return std::nullopt;
    return decode_fattr(in);
}

std::optional<FileHandle> decode_post_op_handle(XdrDecoder& in) {
    if (!in.boolean("post_op_fh3")) return std::nullopt;
    return decode_handle(in);
}

WccData decode_wcc(XdrDecoder& in) {
    WccData data;
    if (in.boolean("pre_op_attr")) data.before = decode_wcc_attr(in);
    data.after = decode_post_op_attr(in);
    return data;
}

DirectoryChange decode_wcc_data(XdrDecoder& in) {
    const WccData data = decode_wcc(in);
    DirectoryChange change;
    change.before = data.before;
    if (data.after) change.after = change_stamp_of(*data.after);
    return change;
}

Verifier decode_verifier(XdrDecoder& in, const char* what) {
    const std::string bytes = in.fixed_opaque(sizeof(Verifier), what);
    Verifier verifier = 0;
    std::memcpy(&verifier, bytes.data(), sizeof verifier);
    return verifier;
}

}  // namespace nfsfuse::nfs::v3
