// Close-to-open for file data (cache=full): may the kernel keep the pages it cached of a file
// when the file is opened again? Yes exactly when the server's stamp (change attribute, or size,
// mtime and ctime) is still the one recorded while those pages matched the server. Our own
// writes keep the pages in step with the server, so they move the stamp along, but only when the
// server's "before" stamp of the write shows that nobody else changed the file in between.
// Thread-safety: none, a value; vfs::File keeps one per file under its mutex.
#pragma once

#include <optional>

#include "nfs/types.h"

namespace nfsfuse::cache {

class PageStamp {
  public:
    // At open, with attributes fresh from the server. Returns whether the kernel may keep its
    // cached pages, and records `now` as the stamp: when it returns false the kernel drops its
    // pages, so from here on they match `now` either way.
    bool keep_at_open(const nfs::ChangeStamp& now);
    // After a WRITE through this mount, with what the server said around it.
    void after_own_write(const std::optional<nfs::ChangeStamp>& before,
                         const std::optional<nfs::ChangeStamp>& after);
    // Anything else that changes the file or leaves us unsure: the next open drops the pages.
    void forget() { stamp_.reset(); }

  private:
    std::optional<nfs::ChangeStamp> stamp_;
};

}  // namespace nfsfuse::cache
