#include "nfs/nfs3_status.h"

#include <cerrno>
#include <string>

namespace nfsfuse::nfs {
namespace {

struct StatusInfo {
    int status;
    int errnum;
    const char* name;
};

// RFC 1813 section 2.6 (nfsstat3), with the Linux client's choices for the codes POSIX has no twin
// for.
constexpr StatusInfo kStatusTable[] = {
    {1, EPERM, "NFS3ERR_PERM"},
    {2, ENOENT, "NFS3ERR_NOENT"},
    {5, EIO, "NFS3ERR_IO"},
    {6, ENXIO, "NFS3ERR_NXIO"},
    {13, EACCES, "NFS3ERR_ACCES"},
    {17, EEXIST, "NFS3ERR_EXIST"},
    {18, EXDEV, "NFS3ERR_XDEV"},
    {19, ENODEV, "NFS3ERR_NODEV"},
    {20, ENOTDIR, "NFS3ERR_NOTDIR"},
    {21, EISDIR, "NFS3ERR_ISDIR"},
    {22, EINVAL, "NFS3ERR_INVAL"},
    {27, EFBIG, "NFS3ERR_FBIG"},
    {28, ENOSPC, "NFS3ERR_NOSPC"},
    {30, EROFS, "NFS3ERR_ROFS"},
    {31, EMLINK, "NFS3ERR_MLINK"},
    {63, ENAMETOOLONG, "NFS3ERR_NAMETOOLONG"},
    {66, ENOTEMPTY, "NFS3ERR_NOTEMPTY"},
    {69, EDQUOT, "NFS3ERR_DQUOT"},
    {70, ESTALE, "NFS3ERR_STALE"},
    {71, EREMOTE, "NFS3ERR_REMOTE"},
    {10001, ESTALE, "NFS3ERR_BADHANDLE"},
    {10002, EIO, "NFS3ERR_NOT_SYNC"},
    {10003, ESTALE, "NFS3ERR_BAD_COOKIE"},
    {10004, EOPNOTSUPP, "NFS3ERR_NOTSUPP"},
    {10005, EIO, "NFS3ERR_TOOSMALL"},
    {10006, EIO, "NFS3ERR_SERVERFAULT"},
    {10007, EOPNOTSUPP, "NFS3ERR_BADTYPE"},
    {10008, EAGAIN, "NFS3ERR_JUKEBOX"},
};

const StatusInfo* find(int status) {
    for (const auto& info : kStatusTable)
        if (info.status == status) return &info;
    return nullptr;
}

}  // namespace

int nfs3_status_to_errno(int status) {
    const StatusInfo* info = find(status);
    return info ? info->errnum : EIO;
}

const char* nfs3_status_name(int status) {
    const StatusInfo* info = find(status);
    return info ? info->name : "NFS3ERR_UNKNOWN";
}

Error nfs3_status_error(int status, std::string_view what) {
    return Error(nfs3_status_to_errno(status),
                 std::string(what) + ": server said " + nfs3_status_name(status));
}

}  // namespace nfsfuse::nfs
