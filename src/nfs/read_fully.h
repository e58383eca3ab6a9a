// The loop around READ that both protocol clients need: a server may return less than asked
// without reaching the end of the file, so the rest is asked for again, in calls of at most the
// server's largest READ, until all `count` bytes are in or the file ends.
// Thread-safety: as safe as `read_chunk`.
#pragma once

#include <algorithm>
#include <cstdint>

#include "nfs/types.h"
#include "util/error.h"

namespace nfsfuse::nfs {

// `read_chunk(offset, length, result)` sends one READ of at most `length` bytes at `offset`,
// appends the data (no more than `length` bytes) to result.data, sets result.eof and
// result.stamp, and returns how many bytes it appended.
template <class ReadChunk>
ReadResult read_fully(uint64_t offset, uint32_t count, uint32_t max_read, ReadChunk&& read_chunk) {
    ReadResult result;
    result.data.reserve(count);
    while (result.data.size() < count && !result.eof) {
        const uint32_t chunk =
            std::min<uint32_t>(max_read, count - static_cast<uint32_t>(result.data.size()));
        const size_t got = read_chunk(offset + result.data.size(), chunk, result);
        if (got == 0 && !result.eof) throw Error(EIO, "READ: server returned no data before EOF");
    }
    return result;
}

}  // namespace nfsfuse::nfs
