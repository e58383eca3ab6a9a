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

// The statuses that say the server holds no state under a stateid: it restarted, expired our
// lease, or an administrator revoked it. (Not OLD_STATEID: that state exists, in a newer version.)
bool stateid_gone(Nfs4Status status);
// stateid_gone, or OLD_STATEID: the state moved on under the stateid sent. Either way a call sent
// again needs the state's stateid as it is now (reopened, reclaimed, or simply newer).
bool stateid_outdated(Nfs4Status status);

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
