// nfsfuse's own cache of file data (cache=full): the data of READs, kept in blocks of block_size
// (256 KiB) up to a capacity in bytes, the least recently used dropped first. It serves what the
// kernel's page cache no longer holds (pages dropped under memory pressure, or read by another
// open), and concurrent readers of a block being fetched wait for that one fetch.
//
// Which reads fill it: a read of at least half a block (the kernel's readahead sends 256 KiB to
// 1 MiB) is rounded out to whole blocks and kept; a smaller read (random access) is served from
// cached blocks when they are all there, and otherwise fetched exactly as asked and not kept, so
// a 4 KiB read never costs a 256 KiB READ. Reading ahead is left to the kernel (readahead=):
// threads of our own doing it measured slower here, at twice the CPU time.
//
// Validity: every block carries the generation of the file's data it was read under; the file's
// vfs::File moves its generation on whenever the data may have changed (a write of ours, a
// truncate, a new stamp from the server), and a read under one generation never uses a block of
// another. A fetch that finishes after a change keeps its old generation and so is never served.
// Thread-safety: all methods may be called concurrently; one mutex, never held across a fetch.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "nfs/call_context.h"
#include "nfs/types.h"

namespace nfsfuse::cache {

class BlockCache {
  public:
    // Bytes of a READ reply: `buffer` owns the memory `data` points into.
    struct Piece {
        std::shared_ptr<const nfs::ReadResult> buffer;
        const char* data = nullptr;
        size_t size = 0;
    };
    // Reads [offset, offset + length) of a file from the server. Throws nfsfuse::Error.
    using Fetch = std::function<nfs::ReadResult(const nfs::CallContext&, const nfs::FileHandle&,
                                                uint64_t offset, uint32_t length)>;

    // capacity_bytes 0: nothing is kept (every read is fetched as asked). largest_fetch: the
    // server's largest READ; a longer range is fetched in several of whole blocks, so that each
    // reply is one buffer its blocks share as it is (the client would copy the replies of
    // several READs into one). 0, or less than a block: no limit.
    BlockCache(size_t capacity_bytes, uint32_t block_size, Fetch fetch, uint32_t largest_fetch = 0);
    BlockCache(const BlockCache&) = delete;
    BlockCache& operator=(const BlockCache&) = delete;

    bool enabled() const { return capacity_ > 0; }

    // The bytes of [offset, offset + length), in order; fewer (or none) where the file ends.
    // Throws the fetch's error (nothing of a failed fetch is kept); EINTR when `context` is
    // cancelled while waiting for another reader's fetch. Only blocks read under `generation` are
    // used; others of the file are dropped.
    std::vector<Piece> read(const nfs::CallContext& context, const nfs::FileHandle& fh,
                            uint64_t generation, uint64_t offset, uint32_t length);
    // Frees the file's blocks, and keeps none fetched before now (their generation is old).
    void forget_file(const nfs::FileHandle& fh);

    // For tests and statistics.
    size_t cached_bytes() const;

  private:
    enum class State { fetching, ready, failed };
    struct Slot {
        State state = State::fetching;
        uint64_t generation = 0;  // of the file's data when its READ was sent
        Piece piece;
        bool kept = false;  // in files_ (and, when ready, in lru_)
        std::list<std::pair<nfs::FileHandle, uint64_t>>::iterator lru_position;
    };
    using SlotPtr = std::shared_ptr<Slot>;
    using Lock = std::unique_lock<std::mutex>;

    // The ranges of the fetches that bring [offset, offset + length), in order.
    std::vector<std::pair<uint64_t, uint32_t>> fetches_for(uint64_t offset, uint64_t length) const;
    std::vector<Piece> read_uncached(const nfs::CallContext& context, const nfs::FileHandle& fh,
                                     uint64_t offset, uint32_t length);
    // With the lock held (`lock` is released during the fetches): fetches blocks [first, last]
    // (in as few READs as the server allows) and fills the slots this reader claimed for them.
    void fetch_blocks(const nfs::CallContext& context, const nfs::FileHandle& fh, uint64_t first,
                      uint64_t last, const std::map<uint64_t, SlotPtr>& claimed, Lock& lock);
    SlotPtr lookup(const nfs::FileHandle& fh, uint64_t index) const;
    SlotPtr claim(const nfs::FileHandle& fh, uint64_t index, uint64_t generation);
    void drop(const nfs::FileHandle& fh, uint64_t index, Slot& slot);
    void evict_over_capacity();

    const size_t capacity_;
    const uint32_t block_size_;
    const uint32_t fetch_limit_;  // bytes of one fetch at most (whole blocks)
    const Fetch fetch_;

    mutable std::mutex mutex_;
    std::condition_variable fetched_;  // a fetch finished (or failed)
    // Guarded by mutex_:
    std::unordered_map<nfs::FileHandle, std::map<uint64_t, SlotPtr>, nfs::FileHandleHash> files_;
    std::list<std::pair<nfs::FileHandle, uint64_t>> lru_;  // ready blocks, most recent first
    size_t bytes_ = 0;                                     // of the ready blocks kept
};

}  // namespace nfsfuse::cache
