#include "nfs/listing_progress.h"

#include <string>

#include "util/error.h"

namespace nfsfuse::nfs {

void ListingProgress::reply(size_t entries, uint64_t last_cookie, bool eof, size_t total) {
    if (total > kMaxEntries)
        throw Error(EIO, "READDIR: the server listed more than " + std::to_string(kMaxEntries) +
                             " entries in one directory; giving up");
    if (eof) return;
    if (entries == 0)
        throw Error(EIO, "READDIR: the server's reply had no entries and did not end the listing");
    if (last_cookie_ == last_cookie)
        throw Error(EIO,
                    "READDIR: the server gave the same cookie twice; the listing would "
                    "start over for ever");
    last_cookie_ = last_cookie;
}

}  // namespace nfsfuse::nfs
