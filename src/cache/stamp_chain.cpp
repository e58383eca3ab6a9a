#include "cache/stamp_chain.h"

namespace nfsfuse::cache {

bool StampChain::still(const nfs::ChangeStamp& now) {
    const bool unchanged = stamp_ && *stamp_ == now;
    stamp_ = now;
    return unchanged;
}

void StampChain::after_own_write(const std::optional<nfs::ChangeStamp>& before,
                                 const std::optional<nfs::ChangeStamp>& after) {
    // Without both sides, or when the file had changed before our write, what matched may be
    // older than the server's data: the next still() is false.
    if (!stamp_ || !before || !after || !(*stamp_ == *before)) {
        stamp_.reset();
        return;
    }
    stamp_ = after;
}

}  // namespace nfsfuse::cache
