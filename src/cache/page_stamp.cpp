#include "cache/page_stamp.h"

namespace nfsfuse::cache {

bool PageStamp::keep_at_open(const nfs::ChangeStamp& now) {
    const bool unchanged = stamp_ && *stamp_ == now;
    stamp_ = now;
    return unchanged;
}

void PageStamp::after_own_write(const std::optional<nfs::ChangeStamp>& before,
                                const std::optional<nfs::ChangeStamp>& after) {
    // Without both sides, or when the file had changed before our write, the pages may hold
    // data older than the server's: make the next open drop them.
    if (!stamp_ || !before || !after || !(*stamp_ == *before)) {
        stamp_.reset();
        return;
    }
    stamp_ = after;
}

}  // namespace nfsfuse::cache
