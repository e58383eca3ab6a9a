#include "nfs/read_fully.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace nfsfuse::nfs {
namespace {

// A server whose file holds `content` and answers at most `largest_answer` bytes per READ.
struct ChunkServer {
    std::string content;
    uint32_t largest_answer = 1 << 20;
    std::vector<std::pair<uint64_t, uint32_t>> asked;

    ReadResult operator()(uint64_t offset, uint32_t length) {
        asked.emplace_back(offset, length);
        const uint64_t end =
            std::min<uint64_t>(content.size(), offset + std::min(length, largest_answer));
        ReadResult result =
            ReadResult::holding(offset < end ? content.substr(offset, end - offset) : "");
        result.eof = end >= content.size();
        return result;
    }
};

ReadResult read_through(ChunkServer& server, uint64_t offset, uint32_t count, uint32_t max_read) {
    return read_fully(offset, count, max_read,
                      [&](uint64_t at, uint32_t length) { return server(at, length); });
}

TEST(ReadFullyTest, OneReadThatBringsEverythingIsReturnedUncopied) {
    ChunkServer server{"abcdefgh", 1 << 20, {}};
    std::shared_ptr<const void> owner;
    const ReadResult result = read_fully(2, 4, 16, [&](uint64_t offset, uint32_t length) {
        ReadResult chunk = server(offset, length);
        owner = chunk.owner;
        return chunk;
    });
    EXPECT_EQ(result.data, "cdef");
    EXPECT_EQ(result.owner, owner) << "the READ's own buffer";
    EXPECT_EQ(server.asked.size(), 1u);
}

TEST(ReadFullyTest, ShortAnswersAreAskedForAgainAndJoinedUpToCountOrTheEnd) {
    ChunkServer server{"abcdefghijkl", 3, {}};
    const ReadResult result = read_through(server, 1, 8, 5);
    EXPECT_EQ(result.data, "bcdefghi");
    EXPECT_FALSE(result.eof);
    ASSERT_EQ(server.asked.size(), 3u);
    EXPECT_EQ(server.asked[0], (std::pair<uint64_t, uint32_t>{1, 5}));
    EXPECT_EQ(server.asked[1], (std::pair<uint64_t, uint32_t>{4, 5}));
    EXPECT_EQ(server.asked[2], (std::pair<uint64_t, uint32_t>{7, 2}));

    // Up to the end of the file, which comes before `count`.
    ChunkServer shorter{"abcdef", 4, {}};
    const ReadResult all = read_through(shorter, 0, 100, 64);
    EXPECT_EQ(all.data, "abcdef");
    EXPECT_TRUE(all.eof);
    EXPECT_EQ(shorter.asked.size(), 2u);
}

TEST(ReadFullyTest, NothingBeforeTheEndIsAnError) {
    try {
        read_fully(0, 8, 8, [](uint64_t, uint32_t) { return ReadResult{}; });
        ADD_FAILURE() << "an empty READ short of the end was taken";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), EIO);
    }
}

TEST(ReadFullyTest, ZeroBytesSendNoRead) {
    int reads = 0;
    const ReadResult result = read_fully(0, 0, 8, [&](uint64_t, uint32_t) {
        ++reads;
        return ReadResult{};
    });
    EXPECT_TRUE(result.data.empty());
    EXPECT_EQ(reads, 0);
}

}  // namespace
}  // namespace nfsfuse::nfs
