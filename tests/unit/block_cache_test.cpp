// Block cache policy with a fake server: block-sized reads are kept up to the capacity in bytes and
// the least recently used go first; small reads of uncached data cost exactly their bytes;
// concurrent misses on one block cost one fetch; a failed fetch is not kept; blocks of another
// stamp, and blocks of a file we wrote, are dropped.
#include "cache/block_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "util/error.h"

namespace nfsfuse::cache {
namespace {

using namespace std::chrono_literals;
using nfs::CallContext;
using nfs::FileHandle;

constexpr uint32_t kBlock = 8;

// Serves a file of `size` bytes whose byte i is 'a' + i % 26, at stamp `stamp_size`; counts and
// optionally holds fetches (so a test can line up concurrent callers behind one).
class FakeFile {
  public:
    nfs::ReadResult read(const FileHandle&, uint64_t offset, uint32_t length) {
        std::unique_lock lock(mutex_);
        ++fetches_;
        bytes_requested_ += length;
        arrived_.notify_all();
        released_.wait(lock, [this] { return !hold_; });
        if (fail_) throw Error(EIO, "READ: server said NFS3ERR_IO");
        std::string bytes;
        for (uint64_t i = offset; i < std::min<uint64_t>(size_, offset + length); ++i)
            bytes.push_back(static_cast<char>('a' + i % 26));
        nfs::ReadResult result = nfs::ReadResult::holding(std::move(bytes));
        result.eof = offset + length >= size_;
        return result;
    }
    BlockCache::Fetch fetch() {
        return [this](const CallContext&, const FileHandle& fh, uint64_t offset, uint32_t length) {
            return read(fh, offset, length);
        };
    }
    int fetches() {
        std::lock_guard lock(mutex_);
        return fetches_;
    }
    uint64_t bytes_requested() {
        std::lock_guard lock(mutex_);
        return bytes_requested_;
    }
    void hold(bool on) {
        {
            std::lock_guard lock(mutex_);
            hold_ = on;
        }
        released_.notify_all();
    }
    void wait_for_fetches(int count) {
        std::unique_lock lock(mutex_);
        ASSERT_TRUE(arrived_.wait_for(lock, 10s, [&] { return fetches_ >= count; }));
    }
    void fail(bool on) {
        std::lock_guard lock(mutex_);
        fail_ = on;
    }

    uint64_t size_ = 100;

  private:
    std::mutex mutex_;
    std::condition_variable arrived_, released_;
    int fetches_ = 0;
    uint64_t bytes_requested_ = 0;
    bool hold_ = false;
    bool fail_ = false;
};

// What a read returned, as one string.
std::string text(const std::vector<BlockCache::Piece>& pieces) {
    std::string joined;
    for (const auto& piece : pieces) joined.append(piece.data, piece.size);
    return joined;
}

class BlockCacheTest : public ::testing::Test {
  protected:
    std::string read(uint64_t offset, uint32_t length) {
        return text(cache_.read(cancel_, file_, generation_, offset, length));
    }

    FakeFile server_;
    BlockCache cache_{/*capacity_bytes=*/3 * kBlock, kBlock, server_.fetch()};
    CallContext cancel_;
    FileHandle file_{"file"};
    uint64_t generation_ = 1;
};

TEST_F(BlockCacheTest, BlockSizedReadsAreKeptAndAHitCostsNoFetch) {
    EXPECT_EQ(read(8, 8), "ijklmnop");
    EXPECT_EQ(read(8, 8), "ijklmnop");
    EXPECT_EQ(read(10, 3), "klm") << "a small read inside a cached block";
    EXPECT_EQ(server_.fetches(), 1);
}

TEST_F(BlockCacheTest, SmallReadsOfUncachedDataAreFetchedExactlyAndNotKept) {
    EXPECT_EQ(read(17, 2), "rs");
    EXPECT_EQ(read(17, 2), "rs");
    EXPECT_EQ(server_.fetches(), 2);
    EXPECT_EQ(server_.bytes_requested(), 4u) << "a small read cost a whole block";
    EXPECT_EQ(cache_.cached_bytes(), 0u);
}

TEST_F(BlockCacheTest, AReadIsRoundedOutToWholeBlocksInOneFetch) {
    EXPECT_EQ(read(4, 8), "efghijkl");  // blocks 0 and 1
    EXPECT_EQ(server_.fetches(), 1);
    EXPECT_EQ(cache_.cached_bytes(), 2 * kBlock);
    EXPECT_EQ(read(0, 16), "abcdefghijklmnop");
    EXPECT_EQ(server_.fetches(), 1);
}

TEST_F(BlockCacheTest, TheLeastRecentlyUsedBlockGoesWhenFull) {
    for (uint64_t index : {0, 1, 2}) read(index * kBlock, kBlock);
    read(0, kBlock);           // 1 is now the oldest
    read(3 * kBlock, kBlock);  // over 3 blocks: 1 goes
    EXPECT_EQ(cache_.cached_bytes(), 3 * kBlock);
    const int fetches = server_.fetches();
    read(0, kBlock);
    read(2 * kBlock, kBlock);
    read(3 * kBlock, kBlock);
    EXPECT_EQ(server_.fetches(), fetches) << "a recently used block was dropped";
    read(1 * kBlock, kBlock);
    EXPECT_EQ(server_.fetches(), fetches + 1) << "the oldest block was kept";
}

TEST_F(BlockCacheTest, TheFileEndsInAShortBlock) {
    server_.size_ = 20;
    EXPECT_EQ(read(16, 8), "qrst");
    EXPECT_EQ(cache_.cached_bytes(), 4u);
    EXPECT_EQ(read(16, 8), "qrst");
    EXPECT_EQ(read(24, 8), "") << "past the end";
}

TEST_F(BlockCacheTest, ConcurrentReadersOfABlockShareOneFetch) {
    server_.hold(true);
    std::vector<std::thread> readers;
    std::vector<std::string> seen(4);
    for (size_t i = 0; i < seen.size(); ++i)
        readers.emplace_back(
            [&, i] { seen[i] = text(cache_.read(CallContext{}, file_, 1, 0, 8)); });
    server_.wait_for_fetches(1);
    std::this_thread::sleep_for(50ms);  // the others arrive meanwhile (and must not fetch)
    server_.hold(false);
    for (auto& reader : readers) reader.join();
    EXPECT_EQ(server_.fetches(), 1);
    for (const auto& data : seen) EXPECT_EQ(data, "abcdefgh");
}

TEST_F(BlockCacheTest, AFailedFetchIsNotKeptAndTheNextReaderTriesAgain) {
    server_.fail(true);
    EXPECT_THROW(read(0, 8), Error);
    EXPECT_EQ(cache_.cached_bytes(), 0u);
    server_.fail(false);
    EXPECT_EQ(read(0, 8), "abcdefgh");
    EXPECT_EQ(server_.fetches(), 2);
}

TEST_F(BlockCacheTest, AReadUnderANewGenerationNeverUsesBlocksOfTheOldOne) {
    read(0, 8);
    read(0, 8);
    EXPECT_EQ(server_.fetches(), 1) << "same generation: still good";
    generation_ = 2;
    read(0, 8);
    EXPECT_EQ(server_.fetches(), 2) << "a block of the old generation was served";
    EXPECT_EQ(cache_.cached_bytes(), 8u) << "the old block was not dropped";
}

// A fetch sent before the file changed comes back after: the block it brings is of the old
// generation and never served to a read under the new one.
TEST_F(BlockCacheTest, AFetchUnderWayWhenTheGenerationMovesIsNotServedAfter) {
    server_.hold(true);
    std::thread reader([&] { cache_.read(CallContext{}, file_, 1, 0, 8); });
    server_.wait_for_fetches(1);
    server_.hold(false);
    reader.join();
    generation_ = 2;
    read(0, 8);
    EXPECT_EQ(server_.fetches(), 2);
}

TEST_F(BlockCacheTest, ForgettingAFileDropsItsBlocksAndAFetchUnderWay) {
    const FileHandle other{"other"};
    cache_.read(cancel_, other, 1, 0, 8);
    server_.hold(true);
    std::thread reader([&] { cache_.read(CallContext{}, file_, 1, 8, 8); });
    server_.wait_for_fetches(2);
    cache_.forget_file(file_);  // while its block is on the wire: it must not be kept
    server_.hold(false);
    reader.join();
    EXPECT_EQ(cache_.cached_bytes(), 8u) << "only the other file's block stays";
}

TEST_F(BlockCacheTest, ACancelledWaitEndsWithEintr) {
    server_.hold(true);
    std::thread reader([&] { cache_.read(CallContext{}, file_, 1, 0, 8); });
    server_.wait_for_fetches(1);
    CallContext context;
    context.cancel();
    try {
        cache_.read(context, file_, 1, 0, 8);
        ADD_FAILURE() << "a cancelled wait returned";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), EINTR);
    }
    server_.hold(false);
    reader.join();
}

TEST(BlockCacheDisabledTest, CapacityZeroFetchesEveryTimeAndKeepsNothing) {
    FakeFile server;
    BlockCache cache(0, kBlock, server.fetch());
    CallContext context;
    cache.read(context, FileHandle{"f"}, 1, 0, 8);
    cache.read(context, FileHandle{"f"}, 1, 0, 8);
    EXPECT_EQ(server.fetches(), 2);
    EXPECT_EQ(cache.cached_bytes(), 0u);
}

// The server's largest READ is 2 blocks and 3 bytes: ranges go in READs of 2 whole blocks.
class BlockCacheLargestReadTest : public ::testing::Test {
  protected:
    std::vector<BlockCache::Piece> read(uint64_t offset, uint32_t length) {
        return cache_.read(cancel_, file_, 1, offset, length);
    }
    static std::string expected(uint64_t offset, uint64_t end) {
        std::string bytes;
        for (uint64_t i = offset; i < end; ++i) bytes.push_back(static_cast<char>('a' + i % 26));
        return bytes;
    }

    FakeFile server_;
    BlockCache cache_{/*capacity_bytes=*/10 * kBlock, kBlock, server_.fetch(), 2 * kBlock + 3};
    CallContext cancel_;
    FileHandle file_{"file"};
};

TEST_F(BlockCacheLargestReadTest, ALongerRangeIsFetchedInReadsOfWholeBlocksTheBlocksShare) {
    const std::vector<BlockCache::Piece> pieces = read(0, 5 * kBlock);
    EXPECT_EQ(text(pieces), expected(0, 5 * kBlock));
    EXPECT_EQ(server_.fetches(), 3);
    EXPECT_EQ(server_.bytes_requested(), 5u * kBlock) << "whole blocks, none twice";
    ASSERT_EQ(pieces.size(), 5u);
    // Blocks of one READ point into its reply, one after the other: nothing was copied.
    EXPECT_EQ(pieces[0].buffer, pieces[1].buffer);
    EXPECT_EQ(pieces[1].data, pieces[0].data + kBlock);
    EXPECT_NE(pieces[1].buffer, pieces[2].buffer);
    EXPECT_EQ(text(read(0, 5 * kBlock)), expected(0, 5 * kBlock));
    EXPECT_EQ(server_.fetches(), 3) << "all five blocks were kept";
}

TEST_F(BlockCacheLargestReadTest, NoReadGoesBeyondTheOneThatFoundTheEnd) {
    server_.size_ = 20;  // ends 4 bytes into block 2
    EXPECT_EQ(text(read(0, 5 * kBlock)), expected(0, 20));
    EXPECT_EQ(server_.fetches(), 2) << "blocks 0-1, then 2-3, which ended short";
    EXPECT_EQ(text(read(4 * kBlock, kBlock)), "") << "block 4 is known to be past the end";
    EXPECT_EQ(server_.fetches(), 2);
}

TEST(BlockCacheDisabledTest, AReadLongerThanTheLargestIsFetchedInSeveral) {
    FakeFile server;
    BlockCache cache(0, kBlock, server.fetch(), 2 * kBlock);
    CallContext context;
    const std::vector<BlockCache::Piece> pieces = cache.read(context, FileHandle{"f"}, 1, 3, 40);
    EXPECT_EQ(text(pieces), "defghijklmnopqrstuvwxyzabcdefghijklmnopq");
    EXPECT_EQ(server.fetches(), 3);
    EXPECT_EQ(pieces.size(), 3u);
}

TEST(BlockCacheSmallReadsTest, ALargestReadBelowOneBlockLimitsNothing) {
    FakeFile server;
    BlockCache cache(4 * kBlock, kBlock, server.fetch(), kBlock / 2);
    CallContext context;
    EXPECT_EQ(text(cache.read(context, FileHandle{"f"}, 1, 0, 2 * kBlock)), "abcdefghijklmnop");
    EXPECT_EQ(server.fetches(), 1) << "the client joins its READs into whole blocks";
}

}  // namespace
}  // namespace nfsfuse::cache
