// The loop around READ that both protocol clients need: a server may return less than asked
// without reaching the end of the file, so the rest is asked for again, in calls of at most the
// server's largest READ, until all `count` bytes are in or the file ends.
// Thread-safety: as safe as `read_chunk`.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "nfs/types.h"
#include "util/error.h"

namespace nfsfuse::nfs {

// `read_chunk(offset, length)` sends one READ of at most `length` bytes at `offset` and returns
// its result (no more than `length` bytes). One READ that brings everything (the usual case: the
// block cache asks for at most the largest READ) is returned as it is, its data not copied; the
// data of several are joined into one copy.
template <class ReadChunk>
ReadResult read_fully(uint64_t offset, uint32_t count, uint32_t max_read, ReadChunk&& read_chunk) {
    if (count == 0) return {};
    const auto next = [&](uint64_t done) {
        ReadResult chunk = read_chunk(
            offset + done, std::min<uint32_t>(max_read, count - static_cast<uint32_t>(done)));
        if (chunk.data.empty() && !chunk.eof)
            throw Error(EIO, "READ: server returned no data before EOF");
        return chunk;
    };
    ReadResult first = next(0);
    if (first.data.size() >= count || first.eof) return first;
    std::string joined;
    joined.reserve(count);
    joined.append(first.data);
    ReadResult last = std::move(first);
    while (joined.size() < count && !last.eof) {
        ReadResult chunk = next(joined.size());
        joined.append(chunk.data);
        last = std::move(chunk);
    }
    ReadResult result = ReadResult::holding(std::move(joined));
    result.eof = last.eof;
    return result;
}

}  // namespace nfsfuse::nfs
