#include "nfs/v4/nfs4_status.h"

#include <cerrno>

namespace nfsfuse::nfs::v4 {
namespace {

struct StatusInfo {
    Nfs4Status status;
    int errnum;
    const char* name;
};

using S = Nfs4Status;

// RFC 8881 section 15, with the errno a POSIX program expects. Codes about sessions, client IDs,
// stateids and recovery are the session layer's business (it reads Nfs4Error::status()); should
// one reach an application, it is an I/O error.
constexpr StatusInfo kStatusTable[] = {
    {S::ok, 0, "NFS4_OK"},
    {S::perm, EPERM, "NFS4ERR_PERM"},
    {S::noent, ENOENT, "NFS4ERR_NOENT"},
    {S::io, EIO, "NFS4ERR_IO"},
    {S::nxio, ENXIO, "NFS4ERR_NXIO"},
    {S::access, EACCES, "NFS4ERR_ACCESS"},
    {S::exist, EEXIST, "NFS4ERR_EXIST"},
    {S::xdev, EXDEV, "NFS4ERR_XDEV"},
    {S::notdir, ENOTDIR, "NFS4ERR_NOTDIR"},
    {S::isdir, EISDIR, "NFS4ERR_ISDIR"},
    {S::inval, EINVAL, "NFS4ERR_INVAL"},
    {S::fbig, EFBIG, "NFS4ERR_FBIG"},
    {S::nospc, ENOSPC, "NFS4ERR_NOSPC"},
    {S::rofs, EROFS, "NFS4ERR_ROFS"},
    {S::mlink, EMLINK, "NFS4ERR_MLINK"},
    {S::nametoolong, ENAMETOOLONG, "NFS4ERR_NAMETOOLONG"},
    {S::notempty, ENOTEMPTY, "NFS4ERR_NOTEMPTY"},
    {S::dquot, EDQUOT, "NFS4ERR_DQUOT"},
    {S::stale, ESTALE, "NFS4ERR_STALE"},
    {S::badhandle, ESTALE, "NFS4ERR_BADHANDLE"},
    {S::bad_cookie, ESTALE, "NFS4ERR_BAD_COOKIE"},
    {S::notsupp, EOPNOTSUPP, "NFS4ERR_NOTSUPP"},
    // Our reply buffer was too small for the answer: a limit we chose, not a result (ERANGE
    // would reach applications as "result too large" from calls that never return ERANGE).
    {S::toosmall, EINVAL, "NFS4ERR_TOOSMALL"},
    {S::serverfault, EIO, "NFS4ERR_SERVERFAULT"},
    {S::badtype, EOPNOTSUPP, "NFS4ERR_BADTYPE"},
    {S::delay, EAGAIN, "NFS4ERR_DELAY"},
    {S::same, EIO, "NFS4ERR_SAME"},
    {S::denied, EAGAIN, "NFS4ERR_DENIED"},
    {S::expired, EIO, "NFS4ERR_EXPIRED"},
    {S::locked, EAGAIN, "NFS4ERR_LOCKED"},
    // The session layer waits and sends again while the server's grace period lasts; only a call
    // whose time ran out meanwhile sees it.
    {S::grace, EIO, "NFS4ERR_GRACE"},
    {S::fhexpired, ESTALE, "NFS4ERR_FHEXPIRED"},
    {S::share_denied, EACCES, "NFS4ERR_SHARE_DENIED"},
    {S::wrongsec, EPERM, "NFS4ERR_WRONGSEC"},
    {S::clid_inuse, EIO, "NFS4ERR_CLID_INUSE"},
    {S::resource, EIO, "NFS4ERR_RESOURCE"},
    {S::moved, EIO, "NFS4ERR_MOVED"},
    {S::nofilehandle, EIO, "NFS4ERR_NOFILEHANDLE"},
    {S::minor_vers_mismatch, EPROTONOSUPPORT, "NFS4ERR_MINOR_VERS_MISMATCH"},
    {S::stale_clientid, EIO, "NFS4ERR_STALE_CLIENTID"},
    {S::stale_stateid, EIO, "NFS4ERR_STALE_STATEID"},
    {S::old_stateid, EIO, "NFS4ERR_OLD_STATEID"},
    {S::bad_stateid, EIO, "NFS4ERR_BAD_STATEID"},
    {S::bad_seqid, EIO, "NFS4ERR_BAD_SEQID"},
    {S::not_same, EIO, "NFS4ERR_NOT_SAME"},
    // A lock range the server cannot split or merge as asked (sub-range unlocks, up- or
    // downgrades of part of a lock): an argument it refuses, as fcntl(2) answers bad ranges.
    {S::lock_range, EINVAL, "NFS4ERR_LOCK_RANGE"},
    {S::symlink, ELOOP, "NFS4ERR_SYMLINK"},
    {S::restorefh, EIO, "NFS4ERR_RESTOREFH"},
    {S::lease_moved, EIO, "NFS4ERR_LEASE_MOVED"},
    {S::attrnotsupp, EOPNOTSUPP, "NFS4ERR_ATTRNOTSUPP"},
    {S::no_grace, EIO, "NFS4ERR_NO_GRACE"},
    {S::reclaim_bad, EIO, "NFS4ERR_RECLAIM_BAD"},
    {S::reclaim_conflict, EIO, "NFS4ERR_RECLAIM_CONFLICT"},
    {S::badxdr, EIO, "NFS4ERR_BADXDR"},
    {S::locks_held, EIO, "NFS4ERR_LOCKS_HELD"},
    // A write lock (or WRITE) through an open for reading only: fcntl(2)'s and write(2)'s EBADF.
    {S::openmode, EBADF, "NFS4ERR_OPENMODE"},
    // An owner or group name the server cannot map, as chown(2) answers an unknown id.
    {S::badowner, EINVAL, "NFS4ERR_BADOWNER"},
    {S::badchar, EINVAL, "NFS4ERR_BADCHAR"},
    {S::badname, EINVAL, "NFS4ERR_BADNAME"},
    {S::bad_range, EINVAL, "NFS4ERR_BAD_RANGE"},
    {S::lock_notsupp, EOPNOTSUPP, "NFS4ERR_LOCK_NOTSUPP"},
    {S::op_illegal, EOPNOTSUPP, "NFS4ERR_OP_ILLEGAL"},
    {S::deadlock, EDEADLK, "NFS4ERR_DEADLOCK"},
    {S::file_open, EBUSY, "NFS4ERR_FILE_OPEN"},
    {S::admin_revoked, EIO, "NFS4ERR_ADMIN_REVOKED"},
    {S::cb_path_down, EIO, "NFS4ERR_CB_PATH_DOWN"},
    {S::badiomode, EIO, "NFS4ERR_BADIOMODE"},
    {S::badlayout, EIO, "NFS4ERR_BADLAYOUT"},
    {S::bad_session_digest, EIO, "NFS4ERR_BAD_SESSION_DIGEST"},
    {S::badsession, EIO, "NFS4ERR_BADSESSION"},
    {S::badslot, EIO, "NFS4ERR_BADSLOT"},
    {S::complete_already, EIO, "NFS4ERR_COMPLETE_ALREADY"},
    {S::conn_not_bound_to_session, EIO, "NFS4ERR_CONN_NOT_BOUND_TO_SESSION"},
    {S::deleg_already_wanted, EIO, "NFS4ERR_DELEG_ALREADY_WANTED"},
    {S::back_chan_busy, EIO, "NFS4ERR_BACK_CHAN_BUSY"},
    {S::layouttrylater, EIO, "NFS4ERR_LAYOUTTRYLATER"},
    {S::layoutunavailable, EIO, "NFS4ERR_LAYOUTUNAVAILABLE"},
    {S::nomatching_layout, EIO, "NFS4ERR_NOMATCHING_LAYOUT"},
    {S::recallconflict, EIO, "NFS4ERR_RECALLCONFLICT"},
    {S::unknown_layouttype, EIO, "NFS4ERR_UNKNOWN_LAYOUTTYPE"},
    {S::seq_misordered, EIO, "NFS4ERR_SEQ_MISORDERED"},
    {S::sequence_pos, EIO, "NFS4ERR_SEQUENCE_POS"},
    {S::req_too_big, EIO, "NFS4ERR_REQ_TOO_BIG"},
    {S::rep_too_big, EIO, "NFS4ERR_REP_TOO_BIG"},
    {S::rep_too_big_to_cache, EIO, "NFS4ERR_REP_TOO_BIG_TO_CACHE"},
    {S::retry_uncached_rep, EIO, "NFS4ERR_RETRY_UNCACHED_REP"},
    {S::unsafe_compound, EIO, "NFS4ERR_UNSAFE_COMPOUND"},
    {S::too_many_ops, EIO, "NFS4ERR_TOO_MANY_OPS"},
    {S::op_not_in_session, EIO, "NFS4ERR_OP_NOT_IN_SESSION"},
    {S::hash_alg_unsupp, EIO, "NFS4ERR_HASH_ALG_UNSUPP"},
    {S::clientid_busy, EIO, "NFS4ERR_CLIENTID_BUSY"},
    {S::pnfs_io_hole, EIO, "NFS4ERR_PNFS_IO_HOLE"},
    {S::seq_false_retry, EIO, "NFS4ERR_SEQ_FALSE_RETRY"},
    {S::bad_high_slot, EIO, "NFS4ERR_BAD_HIGH_SLOT"},
    {S::deadsession, EIO, "NFS4ERR_DEADSESSION"},
    {S::encr_alg_unsupp, EIO, "NFS4ERR_ENCR_ALG_UNSUPP"},
    {S::pnfs_no_layout, EIO, "NFS4ERR_PNFS_NO_LAYOUT"},
    {S::not_only_op, EIO, "NFS4ERR_NOT_ONLY_OP"},
    {S::wrong_cred, EPERM, "NFS4ERR_WRONG_CRED"},
    // OPEN of something that is neither a regular file nor a directory (e.g. a symlink).
    {S::wrong_type, EINVAL, "NFS4ERR_WRONG_TYPE"},
    {S::dirdeleg_unavail, EIO, "NFS4ERR_DIRDELEG_UNAVAIL"},
    {S::reject_deleg, EIO, "NFS4ERR_REJECT_DELEG"},
    {S::returnconflict, EIO, "NFS4ERR_RETURNCONFLICT"},
    {S::deleg_revoked, EIO, "NFS4ERR_DELEG_REVOKED"},
};

const StatusInfo* find(Nfs4Status status) {
    for (const auto& info : kStatusTable)
        if (info.status == status) return &info;
    return nullptr;
}

std::string describe(Nfs4Status status, const std::string& operation) {
    std::string message = operation + ": server said " + nfs4_status_name(status);
    if (!find(status)) message += " (" + std::to_string(static_cast<uint32_t>(status)) + ")";
    return message;
}

// Error's errno must be positive: a failure reported with NFS4_OK is a malformed reply.
int errno_of_failure(Nfs4Status status) {
    const int errnum = nfs4_status_to_errno(status);
    return errnum > 0 ? errnum : EIO;
}

}  // namespace

int nfs4_status_to_errno(Nfs4Status status) {
    const StatusInfo* info = find(status);
    return info ? info->errnum : EIO;
}

const char* nfs4_status_name(Nfs4Status status) {
    const StatusInfo* info = find(status);
    return info ? info->name : "NFS4ERR_UNKNOWN";
}

bool stateid_gone(Nfs4Status status) {
    switch (status) {
        case Nfs4Status::bad_stateid:
        case Nfs4Status::stale_stateid:
        case Nfs4Status::expired:
        case Nfs4Status::admin_revoked:
            return true;
        default:
            return false;
    }
}

bool stateid_outdated(Nfs4Status status) {
    return stateid_gone(status) || status == Nfs4Status::old_stateid;
}

Nfs4Error::Nfs4Error(Nfs4Status status, const std::string& operation)
    : Error(errno_of_failure(status), describe(status, operation)), status_(status) {}

}  // namespace nfsfuse::nfs::v4
