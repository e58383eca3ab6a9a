// The names of this mount's lock owners on the server: lock_owner4's opaque part for a FUSE lock
// owner id. Unique to the mount (a random mount number goes first, so two mounts that share a
// client id, or a mount after a restart of nfsfuse, never name the same owner) and the same for
// the life of the mount (it outlives new client ids after server restarts, so a lock reclaimed
// under a new client id keeps its owner). Reading a name back tells our owners (whose pid we
// know) from other hosts' and other mounts'.
// Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nfs/types.h"

namespace nfsfuse::nfs::v4 {

class LockOwnerNames {
  public:
    // `mount`: a number no other mount of the server uses (Nfs4Client draws it at random).
    explicit LockOwnerNames(uint64_t mount) : mount_(mount) {}

    std::string name_of(LockOwner owner) const;
    // The owner named `name`, when it is one of this mount's.
    std::optional<LockOwner> owner_of(std::string_view name) const;

  private:
    uint64_t mount_;
};

}  // namespace nfsfuse::nfs::v4
