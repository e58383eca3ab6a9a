// The NFSv4 status -> errno table: file errors map to the errno a POSIX program expects, session
// and state errors to EIO under their own names, unknown codes to EIO (never ERANGE); and
// Nfs4Error keeps the nfsstat4 for the session layer.
#include "nfs/v4/nfs4_status.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace nfsfuse::nfs::v4 {
namespace {

struct StatusCase {
    uint32_t status;
    int errnum;
    std::string name;
};

class Nfs4StatusTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(Nfs4StatusTest, MapsToErrnoAndName) {
    const auto status = static_cast<Nfs4Status>(GetParam().status);
    EXPECT_EQ(nfs4_status_to_errno(status), GetParam().errnum);
    EXPECT_EQ(nfs4_status_name(status), GetParam().name);
}

// Numbers as RFC 8881 section 15.1 lists them, so a wrong enumerator would show here too.
INSTANTIATE_TEST_SUITE_P(
    Nfs4Codes, Nfs4StatusTest,
    ::testing::Values(
        StatusCase{1, EPERM, "NFS4ERR_PERM"}, StatusCase{2, ENOENT, "NFS4ERR_NOENT"},
        StatusCase{5, EIO, "NFS4ERR_IO"}, StatusCase{6, ENXIO, "NFS4ERR_NXIO"},
        StatusCase{13, EACCES, "NFS4ERR_ACCESS"}, StatusCase{17, EEXIST, "NFS4ERR_EXIST"},
        StatusCase{18, EXDEV, "NFS4ERR_XDEV"}, StatusCase{20, ENOTDIR, "NFS4ERR_NOTDIR"},
        StatusCase{21, EISDIR, "NFS4ERR_ISDIR"}, StatusCase{22, EINVAL, "NFS4ERR_INVAL"},
        StatusCase{27, EFBIG, "NFS4ERR_FBIG"}, StatusCase{28, ENOSPC, "NFS4ERR_NOSPC"},
        StatusCase{30, EROFS, "NFS4ERR_ROFS"}, StatusCase{31, EMLINK, "NFS4ERR_MLINK"},
        StatusCase{63, ENAMETOOLONG, "NFS4ERR_NAMETOOLONG"},
        StatusCase{66, ENOTEMPTY, "NFS4ERR_NOTEMPTY"}, StatusCase{69, EDQUOT, "NFS4ERR_DQUOT"},
        StatusCase{70, ESTALE, "NFS4ERR_STALE"}, StatusCase{10001, ESTALE, "NFS4ERR_BADHANDLE"},
        StatusCase{10004, EOPNOTSUPP, "NFS4ERR_NOTSUPP"},
        StatusCase{10005, EINVAL, "NFS4ERR_TOOSMALL"},
        StatusCase{10006, EIO, "NFS4ERR_SERVERFAULT"}, StatusCase{10008, EAGAIN, "NFS4ERR_DELAY"},
        StatusCase{10011, EIO, "NFS4ERR_EXPIRED"}, StatusCase{10013, EIO, "NFS4ERR_GRACE"},
        StatusCase{10014, ESTALE, "NFS4ERR_FHEXPIRED"},
        StatusCase{10021, EPROTONOSUPPORT, "NFS4ERR_MINOR_VERS_MISMATCH"},
        StatusCase{10022, EIO, "NFS4ERR_STALE_CLIENTID"},
        StatusCase{10024, EIO, "NFS4ERR_OLD_STATEID"},
        StatusCase{10025, EIO, "NFS4ERR_BAD_STATEID"}, StatusCase{10029, ELOOP, "NFS4ERR_SYMLINK"},
        // The locks' own: what fcntl(2) answers the same faults with.
        StatusCase{10010, EAGAIN, "NFS4ERR_DENIED"},
        StatusCase{10028, EINVAL, "NFS4ERR_LOCK_RANGE"},
        StatusCase{10038, EBADF, "NFS4ERR_OPENMODE"},
        StatusCase{10045, EDEADLK, "NFS4ERR_DEADLOCK"}, StatusCase{10033, EIO, "NFS4ERR_NO_GRACE"},
        StatusCase{10034, EIO, "NFS4ERR_RECLAIM_BAD"}, StatusCase{10037, EIO, "NFS4ERR_LOCKS_HELD"},
        StatusCase{10039, EINVAL, "NFS4ERR_BADOWNER"}, StatusCase{10052, EIO, "NFS4ERR_BADSESSION"},
        StatusCase{10053, EIO, "NFS4ERR_BADSLOT"}, StatusCase{10063, EIO, "NFS4ERR_SEQ_MISORDERED"},
        StatusCase{10068, EIO, "NFS4ERR_RETRY_UNCACHED_REP"},
        StatusCase{10078, EIO, "NFS4ERR_DEADSESSION"},
        StatusCase{10083, EINVAL, "NFS4ERR_WRONG_TYPE"},
        StatusCase{10087, EIO, "NFS4ERR_DELEG_REVOKED"}, StatusCase{0, 0, "NFS4_OK"},
        StatusCase{10073, EIO, "NFS4ERR_UNKNOWN"}, StatusCase{12345, EIO, "NFS4ERR_UNKNOWN"}));

TEST(Nfs4ErrorTest, KeepsTheStatusAndNamesTheOperation) {
    const Nfs4Error error(Nfs4Status::noent, "LOOKUP");
    EXPECT_EQ(error.errnum(), ENOENT);
    EXPECT_EQ(error.status(), Nfs4Status::noent);
    EXPECT_STREQ(error.what(), "LOOKUP: server said NFS4ERR_NOENT");

    const Nfs4Error session(Nfs4Status::badsession, "SEQUENCE");
    EXPECT_EQ(session.errnum(), EIO);
    EXPECT_EQ(session.status(), Nfs4Status::badsession);

    const Nfs4Error unknown(static_cast<Nfs4Status>(12345), "READ");
    EXPECT_EQ(unknown.errnum(), EIO);
    EXPECT_STREQ(unknown.what(), "READ: server said NFS4ERR_UNKNOWN (12345)");

    // A "failure" with NFS4_OK is a broken reply; Error's errno is never 0.
    EXPECT_EQ(Nfs4Error(Nfs4Status::ok, "X").errnum(), EIO);
}

TEST(Nfs4ErrorTest, OperationsHaveTheirProtocolNames) {
    EXPECT_STREQ(op_name(Op::exchange_id), "EXCHANGE_ID");
    EXPECT_STREQ(op_name(Op::putrootfh), "PUTROOTFH");
    EXPECT_STREQ(op_name(static_cast<Op>(1)), "unknown operation");
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
