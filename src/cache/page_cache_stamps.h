// Close-to-open for file data (cache=full): may the kernel keep the pages it cached of a file
// when the file is opened again? Yes exactly when the server's stamp (size, mtime, ctime) is
// still the one recorded while those pages matched the server. Our own writes keep the pages in
// step with the server, so they move the stamp along, but only when the server's "before" stamp
// of the write shows that nobody else changed the file in between.
// Thread-safety: all methods are safe to call concurrently (one mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "nfs/types.h"

namespace nfsfuse::cache {

class PageCacheStamps {
  public:
    // At open, with attributes fresh from the server. Returns whether the kernel may keep its
    // cached pages, and records `now` as the stamp: when it returns false the kernel drops its
    // pages, so from here on they match `now` either way.
    bool keep_at_open(uint64_t inode, const nfs::ChangeStamp& now);
    // After a WRITE through this mount, with what the server said around it.
    void after_own_write(uint64_t inode, const std::optional<nfs::ChangeStamp>& before,
                         const std::optional<nfs::ChangeStamp>& after);
    // Anything else that changes the file or leaves us unsure: the next open drops the pages.
    void forget(uint64_t inode);

  private:
    std::mutex mutex_;
    std::unordered_map<uint64_t, nfs::ChangeStamp> stamps_;  // guarded by mutex_
};

}  // namespace nfsfuse::cache
