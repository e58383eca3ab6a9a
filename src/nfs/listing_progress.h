// Keeps a directory listing read in many READDIR replies moving: a broken or hostile server
// could answer with no entries without ending the listing, hand back the cookie it gave last
// (the next READDIR starts over), or send entries for ever. The READDIR loops of both versions
// would then spin or grow without bound; they get EIO instead, naming what the server did.
// Thread-safety: one per listing, used by the thread reading it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace nfsfuse::nfs {

class ListingProgress {
  public:
    // Far beyond real directories (the kernel's listing of 10 million names is about 1 GB).
    static constexpr size_t kMaxEntries = 10'000'000;

    // After each reply: how many entries it had, the cookie of its last one, whether it ended
    // the listing, and the listing's entries so far. Throws Error(EIO) when it got nowhere.
    void reply(size_t entries, uint64_t last_cookie, bool eof, size_t total);

  private:
    std::optional<uint64_t> last_cookie_;
};

}  // namespace nfsfuse::nfs
