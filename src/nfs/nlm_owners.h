// How this mount's lock owners appear in NLM: the owner handle (oh) and the svid.
// oh is "nfsfuse/<mount id>/<owner>" in hex: unique to the owner among every mount, as two
// mounts of one host send the same caller_name, and text (readable in the server's logs).
// svid: the process id when known (what other hosts show for it in F_GETLK), else a value derived
// from the owner with the top bit set, which no process id has (pid_max is at most 2^22).
// Thread-safety: immutable after construction. Owned by NlmLocks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nfs/types.h"

namespace nfsfuse::nfs {

class NlmOwners {
  public:
    // `mount_id`: a random number, different for every mount.
    explicit NlmOwners(uint64_t mount_id);

    std::string handle_of(LockOwner owner) const;
    // The owner whose handle `oh` is, when it is one of this mount's.
    std::optional<LockOwner> owner_of(std::string_view oh) const;
    // What F_GETLK reports of a holder with `oh` and `svid`: its process when it is one of this
    // mount's owners and svid is a process id; 0 for another host's (no pid here).
    uint32_t holder_pid(std::string_view oh, uint32_t svid) const;

  private:
    std::string prefix_;  // "nfsfuse/<mount id>/"
};

// A svid for an owner whose process id is unknown (or taken by another owner): never a pid.
uint32_t derived_svid(LockOwner owner);
// svids with this bit are derived, not process ids.
inline constexpr uint32_t kDerivedSvidBit = 0x80000000u;

}  // namespace nfsfuse::nfs
