// How long the kernel may trust what nfsfuse tells it: the attr_timeout and entry_timeout of FUSE
// replies, chosen like the kernel NFS client's attribute cache (acregmin..acregmax for files,
// acdirmin..acdirmax for directories). Within those bounds an object changed recently is trusted
// for a shorter time than one untouched for long: a tenth of the time since its last change.
// Thread-safety: pure functions.
#pragma once

#include <ctime>

#include "nfs/types.h"
#include "options/mount_options.h"

namespace nfsfuse::cache {

struct CacheTimeouts {
    double attributes_s = 0;  // FUSE attr_timeout
    double entry_s = 0;       // FUSE entry_timeout: how long a name -> inode mapping holds
};

// For an object with `attributes`, at wall-clock time `now`. cache=none trusts nothing.
CacheTimeouts cache_timeouts(const options::AttributeCacheTimes& times, options::CacheMode mode,
                             const nfs::Attributes& attributes, timespec now);

// How long "this name does not exist" may be remembered (a negative dentry): the directory's
// shortest time, since the name appearing is a change of the directory. 0 turns it off.
double negative_entry_timeout_s(const options::AttributeCacheTimes& times, options::CacheMode mode);

}  // namespace nfsfuse::cache
