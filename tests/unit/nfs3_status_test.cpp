// The NFSv3 status -> errno table: every code maps to the errno a POSIX program expects, unknown
// codes become EIO (libnfs itself maps some to ERANGE, which applications never expect).
#include <gtest/gtest.h>
#include "nfs/libnfs_headers.h"

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
    ::testing::Values(StatusCase{NFS3ERR_PERM, EPERM, "NFS3ERR_PERM"},
                      StatusCase{NFS3ERR_NOENT, ENOENT, "NFS3ERR_NOENT"},
                      StatusCase{NFS3ERR_IO, EIO, "NFS3ERR_IO"},
                      StatusCase{NFS3ERR_ACCES, EACCES, "NFS3ERR_ACCES"},
                      StatusCase{NFS3ERR_EXIST, EEXIST, "NFS3ERR_EXIST"},
                      StatusCase{NFS3ERR_XDEV, EXDEV, "NFS3ERR_XDEV"},
                      StatusCase{NFS3ERR_NOTDIR, ENOTDIR, "NFS3ERR_NOTDIR"},
                      StatusCase{NFS3ERR_ISDIR, EISDIR, "NFS3ERR_ISDIR"},
                      StatusCase{NFS3ERR_INVAL, EINVAL, "NFS3ERR_INVAL"},
                      StatusCase{NFS3ERR_FBIG, EFBIG, "NFS3ERR_FBIG"},
                      StatusCase{NFS3ERR_NOSPC, ENOSPC, "NFS3ERR_NOSPC"},
                      StatusCase{NFS3ERR_ROFS, EROFS, "NFS3ERR_ROFS"},
                      StatusCase{NFS3ERR_MLINK, EMLINK, "NFS3ERR_MLINK"},
                      StatusCase{NFS3ERR_NAMETOOLONG, ENAMETOOLONG, "NFS3ERR_NAMETOOLONG"},
                      StatusCase{NFS3ERR_NOTEMPTY, ENOTEMPTY, "NFS3ERR_NOTEMPTY"},
                      StatusCase{NFS3ERR_DQUOT, EDQUOT, "NFS3ERR_DQUOT"},
                      StatusCase{NFS3ERR_STALE, ESTALE, "NFS3ERR_STALE"},
                      StatusCase{NFS3ERR_BADHANDLE, ESTALE, "NFS3ERR_BADHANDLE"},
                      StatusCase{NFS3ERR_NOTSUPP, EOPNOTSUPP, "NFS3ERR_NOTSUPP"},
                      StatusCase{NFS3ERR_SERVERFAULT, EIO, "NFS3ERR_SERVERFAULT"},
                      StatusCase{NFS3ERR_JUKEBOX, EAGAIN, "NFS3ERR_JUKEBOX"},
                      StatusCase{12345, EIO, "NFS3ERR_UNKNOWN"}));

}  // namespace
}  // namespace nfsfuse::nfs
