// The NFSv3 status -> errno table: every code maps to the errno a POSIX program expects, unknown
// codes become EIO (libnfs maps some to ERANGE, which applications never expect). The codes are
// RFC 1813's numbers.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "nfs/nfs3_status.h"

namespace nfsfuse::nfs {
namespace {

struct StatusCase {
    int status;
    int errnum;
    std::string name;
};

class Nfs3StatusTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(Nfs3StatusTest, MapsToErrnoAndName) {
    EXPECT_EQ(nfs3_status_to_errno(GetParam().status), GetParam().errnum);
    EXPECT_EQ(nfs3_status_name(GetParam().status), GetParam().name);
}

INSTANTIATE_TEST_SUITE_P(
    AllCodes, Nfs3StatusTest,
    ::testing::Values(
        StatusCase{1, EPERM, "NFS3ERR_PERM"}, StatusCase{2, ENOENT, "NFS3ERR_NOENT"},
        StatusCase{5, EIO, "NFS3ERR_IO"}, StatusCase{13, EACCES, "NFS3ERR_ACCES"},
        StatusCase{17, EEXIST, "NFS3ERR_EXIST"}, StatusCase{18, EXDEV, "NFS3ERR_XDEV"},
        StatusCase{20, ENOTDIR, "NFS3ERR_NOTDIR"}, StatusCase{21, EISDIR, "NFS3ERR_ISDIR"},
        StatusCase{22, EINVAL, "NFS3ERR_INVAL"}, StatusCase{27, EFBIG, "NFS3ERR_FBIG"},
        StatusCase{28, ENOSPC, "NFS3ERR_NOSPC"}, StatusCase{30, EROFS, "NFS3ERR_ROFS"},
        StatusCase{31, EMLINK, "NFS3ERR_MLINK"},
        StatusCase{63, ENAMETOOLONG, "NFS3ERR_NAMETOOLONG"},
        StatusCase{66, ENOTEMPTY, "NFS3ERR_NOTEMPTY"}, StatusCase{69, EDQUOT, "NFS3ERR_DQUOT"},
        StatusCase{70, ESTALE, "NFS3ERR_STALE"}, StatusCase{10001, ESTALE, "NFS3ERR_BADHANDLE"},
        StatusCase{10004, EOPNOTSUPP, "NFS3ERR_NOTSUPP"},
        StatusCase{10006, EIO, "NFS3ERR_SERVERFAULT"}, StatusCase{10008, EAGAIN, "NFS3ERR_JUKEBOX"},
        StatusCase{12345, EIO, "NFS3ERR_UNKNOWN"}));

}  // namespace
}  // namespace nfsfuse::nfs
