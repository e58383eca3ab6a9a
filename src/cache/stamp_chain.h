// A file's server stamp (change attribute, or size, mtime and ctime) as something of ours last
// matched it, followed along our own writes: a write moves it on only when the server's "before"
// stamp shows that nobody else changed the file in between. vfs::File keeps two: the stamp the
// kernel's cached pages match (close-to-open: may the kernel keep them at open?), and the one its
// cached blocks match.
// Thread-safety: none, a value; vfs::File keeps them under its mutex.
#pragma once

#include <optional>

#include "nfs/types.h"

namespace nfsfuse::cache {

class StampChain {
  public:
    // With attributes fresh from the server: returns whether `now` is the stamp recorded, and
    // records it. When it returns false the caller drops what it holds (the kernel its pages at
    // open), so from here on that matches `now` either way.
    bool still(const nfs::ChangeStamp& now);
    // After a WRITE through this mount, with what the server said around it.
    void after_own_write(const std::optional<nfs::ChangeStamp>& before,
                         const std::optional<nfs::ChangeStamp>& after);
    // Anything else that changes the file or leaves us unsure: the next still() is false.
    void forget() { stamp_.reset(); }

  private:
    std::optional<nfs::ChangeStamp> stamp_;
};

}  // namespace nfsfuse::cache
