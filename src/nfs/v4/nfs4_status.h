// NFSv4 status codes (nfsstat4) as errno values and names: the one place this mapping lives, and
// Nfs4Error, the error a failed operation throws. It keeps the nfsstat4 because the session layer
// must tell apart codes that all reach applications as EIO (BADSESSION, DELAY, GRACE, EXPIRED...).
// Thread-safety: pure functions; Nfs4Error is immutable.
#pragma once

#include <string>

#include "nfs/v4/nfs4_constants.h"
#include "util/error.h"

namespace nfsfuse::nfs::v4 {

// errno for a non-OK nfsstat4 (0 for NFS4_OK); unknown codes become EIO (never ERANGE).
int nfs4_status_to_errno(Nfs4Status status);
// The protocol name of the status, e.g. "NFS4ERR_NOENT"; "NFS4ERR_UNKNOWN" for codes RFC 8881
// lacks.
const char* nfs4_status_name(Nfs4Status status);

class Nfs4Error : public Error {
  public:
    // `operation`: who failed, e.g. "LOOKUP". The message reads "LOOKUP: server said
    // NFS4ERR_NOENT".
    Nfs4Error(Nfs4Status status, const std::string& operation);

    Nfs4Status status() const noexcept { return status_; }

  private:
    Nfs4Status status_;
};

}  // namespace nfsfuse::nfs::v4
