#include "nfs/nfs3_status.h"

#include "nfs/libnfs_headers.h"

#include <cerrno>

namespace nfsfuse::nfs {
namespace {

struct StatusInfo {
    int status;
    int errnum;
    const char* name;
};

// RFC 1813 section 2.6, with the Linux client's choices for the codes POSIX has no twin for.
constexpr StatusInfo kStatusTable[] = {
    {NFS3ERR_PERM, EPERM, "NFS3ERR_PERM"},
    {NFS3ERR_NOENT, ENOENT, "NFS3ERR_NOENT"},
    {NFS3ERR_IO, EIO, "NFS3ERR_IO"},
    {NFS3ERR_NXIO, ENXIO, "NFS3ERR_NXIO"},
    {NFS3ERR_ACCES, EACCES, "NFS3ERR_ACCES"},
    {NFS3ERR_EXIST, EEXIST, "NFS3ERR_EXIST"},
    {NFS3ERR_XDEV, EXDEV, "NFS3ERR_XDEV"},
    {NFS3ERR_NODEV, ENODEV, "NFS3ERR_NODEV"},
    {NFS3ERR_NOTDIR, ENOTDIR, "NFS3ERR_NOTDIR"},
    {NFS3ERR_ISDIR, EISDIR, "NFS3ERR_ISDIR"},
    {NFS3ERR_INVAL, EINVAL, "NFS3ERR_INVAL"},
    {NFS3ERR_FBIG, EFBIG, "NFS3ERR_FBIG"},
    {NFS3ERR_NOSPC, ENOSPC, "NFS3ERR_NOSPC"},
    {NFS3ERR_ROFS, EROFS, "NFS3ERR_ROFS"},
    {NFS3ERR_MLINK, EMLINK, "NFS3ERR_MLINK"},
    {NFS3ERR_NAMETOOLONG, ENAMETOOLONG, "NFS3ERR_NAMETOOLONG"},
    {NFS3ERR_NOTEMPTY, ENOTEMPTY, "NFS3ERR_NOTEMPTY"},
    {NFS3ERR_DQUOT, EDQUOT, "NFS3ERR_DQUOT"},
    {NFS3ERR_STALE, ESTALE, "NFS3ERR_STALE"},
    {NFS3ERR_REMOTE, EREMOTE, "NFS3ERR_REMOTE"},
    {NFS3ERR_BADHANDLE, ESTALE, "NFS3ERR_BADHANDLE"},
    {NFS3ERR_NOT_SYNC, EIO, "NFS3ERR_NOT_SYNC"},
    {NFS3ERR_BAD_COOKIE, ESTALE, "NFS3ERR_BAD_COOKIE"},
    {NFS3ERR_NOTSUPP, EOPNOTSUPP, "NFS3ERR_NOTSUPP"},
    {NFS3ERR_TOOSMALL, EIO, "NFS3ERR_TOOSMALL"},
    {NFS3ERR_SERVERFAULT, EIO, "NFS3ERR_SERVERFAULT"},
    {NFS3ERR_BADTYPE, EOPNOTSUPP, "NFS3ERR_BADTYPE"},
    {NFS3ERR_JUKEBOX, EAGAIN, "NFS3ERR_JUKEBOX"},
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

}  // namespace nfsfuse::nfs
