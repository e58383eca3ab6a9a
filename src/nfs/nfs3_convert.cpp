#include "nfs/nfs3_convert.h"

#include <string>

#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

FileType from_ftype3(ftype3 type) {
    switch (type) {
        case NF3DIR:
            return FileType::directory;
        case NF3LNK:
            return FileType::symlink;
        case NF3BLK:
            return FileType::block_device;
        case NF3CHR:
            return FileType::char_device;
        case NF3SOCK:
            return FileType::socket;
        case NF3FIFO:
            return FileType::fifo;
        case NF3REG:
        default:
            return FileType::regular;
    }
}

timespec from_nfstime3(const nfstime3& time) {
    return timespec{static_cast<time_t>(time.seconds), static_cast<long>(time.nseconds)};
}

nfstime3 to_nfstime3(const timespec& time) {
    return nfstime3{static_cast<u_int>(time.tv_sec), static_cast<u_int>(time.tv_nsec)};
}

time_how to_time_how(SetAttributes::Time how) {
    switch (how) {
        case SetAttributes::Time::server_now:
            return SET_TO_SERVER_TIME;
        case SetAttributes::Time::client_value:
            return SET_TO_CLIENT_TIME;
        case SetAttributes::Time::dont_change:
        default:
            return DONT_CHANGE;
    }
}

}  // namespace

Attributes from_fattr3(const fattr3& in) {
    Attributes out;
    out.type = from_ftype3(in.type);
    out.mode = in.mode & 07777;
    out.nlink = in.nlink;
    out.uid = in.uid;
    out.gid = in.gid;
    out.size = in.size;
    out.used = in.used;
    out.rdev_major = in.rdev.specdata1;
    out.rdev_minor = in.rdev.specdata2;
    out.fsid = in.fsid;
    out.fileid = in.fileid;
    out.atime = from_nfstime3(in.atime);
    out.mtime = from_nfstime3(in.mtime);
    out.ctime = from_nfstime3(in.ctime);
    return out;
}

ChangeStamp from_wcc_attr(const wcc_attr& in) {
    return {in.size, from_nfstime3(in.mtime), from_nfstime3(in.ctime), std::nullopt};
}

DirectoryChange from_wcc_data(const wcc_data& data) {
    DirectoryChange change;
    if (data.before.attributes_follow)
        change.before = from_wcc_attr(data.before.pre_op_attr_u.attributes);
    if (data.after.attributes_follow)
        change.after = change_stamp_of(from_fattr3(data.after.post_op_attr_u.attributes));
    return change;
}

sattr3 to_sattr3(const SetAttributes& changes) {
    sattr3 out{};
    if (changes.mode) {
        out.mode.set_it = 1;
        out.mode.set_mode3_u.mode = *changes.mode & 07777;
    }
    if (changes.uid) {
        out.uid.set_it = 1;
        out.uid.set_uid3_u.uid = *changes.uid;
    }
    if (changes.gid) {
        out.gid.set_it = 1;
        out.gid.set_gid3_u.gid = *changes.gid;
    }
    if (changes.size) {
        out.size.set_it = 1;
        out.size.set_size3_u.size = *changes.size;
    }
    out.atime.set_it = to_time_how(changes.atime_how);
    if (changes.atime_how == SetAttributes::Time::client_value)
        out.atime.set_atime_u.atime = to_nfstime3(changes.atime);
    out.mtime.set_it = to_time_how(changes.mtime_how);
    if (changes.mtime_how == SetAttributes::Time::client_value)
        out.mtime.set_mtime_u.mtime = to_nfstime3(changes.mtime);
    return out;
}

nfs_fh3 as_nfs_fh3(const FileHandle& handle) {
    nfs_fh3 out{};
    out.data.data_len = static_cast<u_int>(handle.bytes.size());
    // libnfs only reads argument buffers; its API just is not const-correct.
    out.data.data_val = const_cast<char*>(handle.bytes.data());
    return out;
}

FileHandle from_nfs_fh3(const nfs_fh3& handle) {
    return FileHandle{std::string(handle.data.data_val, handle.data.data_len)};
}

std::string_view read3_data(const READ3resok& ok, uint32_t asked) {
    if (ok.data.data_len > asked)
        throw Error(EIO, "READ: the server returned " + std::to_string(ok.data.data_len) +
                             " bytes where " + std::to_string(asked) + " were asked for");
    return {ok.data.data_val, ok.data.data_len};
}

}  // namespace nfsfuse::nfs
