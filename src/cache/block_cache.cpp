#include "cache/block_cache.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "util/error.h"

namespace nfsfuse::cache {
namespace {

// How often a wait for another reader's fetch looks at its CallContext.
constexpr auto kCancelPoll = std::chrono::milliseconds(50);

BlockCache::Piece piece_of(std::shared_ptr<const nfs::ReadResult> buffer, size_t begin,
                           size_t length) {
    if (!buffer) return {};  // never fetched: the file ended before
    const size_t size = buffer->data.size();
    const size_t start = std::min(begin, size);
    const size_t count = std::min(length, size - start);
    const char* data = buffer->data.data() + start;
    return {std::move(buffer), data, count};
}

// Whole blocks: a block's bytes must come in one fetch. Below one block, no limit: the client
// joins the replies of several READs for each fetch.
uint32_t fetch_limit_of(uint32_t largest_fetch, uint32_t block_size) {
    if (largest_fetch < block_size) return std::numeric_limits<uint32_t>::max();
    return largest_fetch / block_size * block_size;
}

}  // namespace

BlockCache::BlockCache(size_t capacity_bytes, uint32_t block_size, Fetch fetch,
                       uint32_t largest_fetch)
    : capacity_(capacity_bytes),
      block_size_(block_size),
      fetch_limit_(fetch_limit_of(largest_fetch, block_size)),
      fetch_(std::move(fetch)) {}

std::vector<std::pair<uint64_t, uint32_t>> BlockCache::fetches_for(uint64_t offset,
                                                                   uint64_t length) const {
    std::vector<std::pair<uint64_t, uint32_t>> fetches;
    for (uint64_t done = 0; done < length;) {
        const auto size = static_cast<uint32_t>(std::min<uint64_t>(fetch_limit_, length - done));
        fetches.emplace_back(offset + done, size);
        done += size;
    }
    return fetches;
}

BlockCache::SlotPtr BlockCache::lookup(const nfs::FileHandle& fh, uint64_t index) const {
    const auto file = files_.find(fh);
    if (file == files_.end()) return nullptr;
    const auto block = file->second.find(index);
    return block == file->second.end() ? nullptr : block->second;
}

BlockCache::SlotPtr BlockCache::claim(const nfs::FileHandle& fh, uint64_t index,
                                      uint64_t generation) {
    auto slot = std::make_shared<Slot>();
    slot->kept = true;
    slot->generation = generation;
    files_[fh][index] = slot;
    return slot;
}

void BlockCache::drop(const nfs::FileHandle& fh, uint64_t index, Slot& slot) {
    if (!slot.kept) return;
    slot.kept = false;
    if (slot.state == State::ready) {
        lru_.erase(slot.lru_position);
        bytes_ -= slot.piece.size;
    }
    const auto file = files_.find(fh);
    if (file == files_.end()) return;
    file->second.erase(index);
    if (file->second.empty()) files_.erase(file);
}

void BlockCache::evict_over_capacity() {
    while (bytes_ > capacity_ && !lru_.empty()) {
        const auto [fh, index] = lru_.back();
        drop(fh, index, *lookup(fh, index));
    }
}

std::vector<BlockCache::Piece> BlockCache::read_uncached(const nfs::CallContext& context,
                                                         const nfs::FileHandle& fh, uint64_t offset,
                                                         uint32_t length) {
    std::vector<Piece> pieces;
    for (const auto& [at, size] : fetches_for(offset, length)) {
        auto buffer = std::make_shared<const nfs::ReadResult>(fetch_(context, fh, at, size));
        const bool short_of_it = buffer->data.size() < size;
        Piece piece = piece_of(std::move(buffer), 0, size);
        if (piece.size > 0) pieces.push_back(std::move(piece));
        if (short_of_it) break;  // the file ends here
    }
    return pieces;
}

void BlockCache::fetch_blocks(const nfs::CallContext& context, const nfs::FileHandle& fh,
                              uint64_t first, uint64_t last,
                              const std::map<uint64_t, SlotPtr>& claimed, Lock& lock) {
    lock.unlock();
    // The reply that holds each block, by the offset its fetch began at.
    std::map<uint64_t, std::shared_ptr<const nfs::ReadResult>> buffers;
    std::exception_ptr failure;
    try {
        for (const auto& [at, size] :
             fetches_for(first * block_size_, (last - first + 1) * block_size_)) {
            auto buffer = std::make_shared<const nfs::ReadResult>(fetch_(context, fh, at, size));
            const bool short_of_it = buffer->data.size() < size;
            buffers.emplace(at, std::move(buffer));
            if (short_of_it) break;  // the file ends here: blocks beyond are empty
        }
    } catch (...) {
        failure = std::current_exception();
    }
    lock.lock();
    for (const auto& [index, slot] : claimed) {
        if (failure) {
            // Waiters see `failed` and read for themselves: their own call decides their error.
            drop(fh, index, *slot);
            slot->state = State::failed;
            continue;
        }
        const uint64_t begin = index * block_size_;
        auto holder = buffers.upper_bound(begin);
        if (holder == buffers.begin()) {
            slot->piece = {};
        } else {
            --holder;
            slot->piece = piece_of(holder->second, begin - holder->first, block_size_);
        }
        slot->state = State::ready;
        if (slot->kept) {  // not forgotten meanwhile
            lru_.emplace_front(fh, index);
            slot->lru_position = lru_.begin();
            bytes_ += slot->piece.size;
        }
    }
    evict_over_capacity();
    fetched_.notify_all();
    if (failure) std::rethrow_exception(failure);
}

std::vector<BlockCache::Piece> BlockCache::read(const nfs::CallContext& context,
                                                const nfs::FileHandle& fh, uint64_t generation,
                                                uint64_t offset, uint32_t length) {
    if (!enabled() || length == 0) return read_uncached(context, fh, offset, length);
    const uint64_t first = offset / block_size_;
    const uint64_t last = (offset + length - 1) / block_size_;
    const bool keeps_blocks = length >= block_size_ / 2;

    Lock lock(mutex_);
    std::map<uint64_t, SlotPtr> slots;    // every block of the range
    std::map<uint64_t, SlotPtr> claimed;  // the ones this reader fetches
    for (uint64_t index = first; index <= last; ++index) {
        SlotPtr slot = lookup(fh, index);
        if (slot && slot->generation != generation) {
            drop(fh, index, *slot);  // of older data (or, being fetched, newer: read our own)
            slot = nullptr;
        }
        if (!slot) {
            if (!keeps_blocks) {
                lock.unlock();
                return read_uncached(context, fh, offset, length);
            }
            slot = claim(fh, index, generation);
            claimed[index] = slot;
        }
        slots[index] = slot;
    }
    if (!claimed.empty()) {
        // One READ from the first block missing to the last (blocks in between that others
        // hold are read again rather than split the READ).
        fetch_blocks(context, fh, claimed.begin()->first, claimed.rbegin()->first, claimed, lock);
    }
    // Blocks other readers fetch: wait for them rather than ask the server twice.
    for (const auto& [index, slot] : slots) {
        while (slot->state == State::fetching) {
            if (context.cancelled()) throw Error(EINTR, "interrupted while a block was read");
            fetched_.wait_for(lock, kCancelPoll);
        }
        if (slot->state == State::failed) {  // that reader's fetch failed: read it ourselves
            lock.unlock();
            return read_uncached(context, fh, offset, length);
        }
        if (slot->kept) lru_.splice(lru_.begin(), lru_, slot->lru_position);
    }
    lock.unlock();

    std::vector<Piece> pieces;
    uint64_t position = offset;
    size_t remaining = length;
    for (const auto& [index, slot] : slots) {
        const Piece& block = slot->piece;
        const uint64_t begin = position - index * block_size_;
        if (begin >= block.size) break;  // the file ends before
        const size_t count = std::min<size_t>(block.size - begin, remaining);
        pieces.push_back({block.buffer, block.data + begin, count});
        position += count;
        remaining -= count;
        if (remaining == 0 || block.size < block_size_) break;  // done, or the file ends here
    }
    return pieces;
}

void BlockCache::forget_file(const nfs::FileHandle& fh) {
    std::lock_guard lock(mutex_);
    const auto file = files_.find(fh);
    if (file == files_.end()) return;
    // Copied: drop() erases from the map being walked.
    const std::map<uint64_t, SlotPtr> blocks = file->second;
    for (const auto& [index, slot] : blocks) drop(fh, index, *slot);
}

size_t BlockCache::cached_bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

}  // namespace nfsfuse::cache
