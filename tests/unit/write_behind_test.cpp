// Write-behind logic with a fake server: small writes gathered into full requests, sent UNSTABLE,
// committed at flush, sent again when the server's verifier changes, and failures reported once
// at flush (and refused at the next write) instead of being lost.
#include "cache/write_behind.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "util/error.h"

namespace nfsfuse::cache {
namespace {

using nfs::CancelToken;
using nfs::FileHandle;

// Records WRITEs and COMMITs; everything else is not used by write-behind. WRITEs come from the
// sender threads: the recorded state is read by the test only after WriteBehind waited for them
// (send, flush), which orders it; the mutex keeps the fake itself race-free.
class FakeServer : public nfs::NfsClient {
  public:
    struct Write {
        uint64_t offset;
        std::string data;
        nfs::Stability stability;
    };

    nfs::WriteResult write(const CancelToken&, const FileHandle&, uint64_t offset,
                           std::string_view data, nfs::Stability stability) override {
        std::lock_guard lock(mutex);
        if (fail_writes) throw Error(ENOSPC, "WRITE: server said NFS3ERR_NOSPC");
        writes.push_back({offset, std::string(data), stability});
        if (contents.size() < offset + data.size()) contents.resize(offset + data.size());
        contents.replace(offset, data.size(), data);
        nfs::WriteResult result;
        result.verifier = verifier;
        result.stable = stability == nfs::Stability::file_sync;
        return result;
    }
    uint64_t commit(const CancelToken&, const FileHandle&) override {
        std::lock_guard lock(mutex);
        ++commits;
        if (restart_before_next_commit) {
            restart_before_next_commit = false;
            verifier += 1;
            contents.clear();  // what was not committed is lost with the restart
        }
        return verifier;
    }

    std::mutex mutex;
    std::vector<Write> writes;
    std::string contents;
    int commits = 0;
    uint64_t verifier = 100;
    bool fail_writes = false;
    bool restart_before_next_commit = false;

    // --- unused ---
    const FileHandle& root() const override { return root_; }
    uint32_t max_read() const override { return 1024; }
    uint32_t max_write() const override { return 1024; }
    nfs::Attributes getattr(const CancelToken&, const FileHandle&) override { unused(); }
    nfs::Attributes setattr(const CancelToken&, const FileHandle&,
                            const nfs::SetAttributes&) override {
        unused();
    }
    nfs::Entry lookup(const CancelToken&, const FileHandle&, const std::string&) override {
        unused();
    }
    uint32_t access(const CancelToken&, const FileHandle&, uint32_t) override { unused(); }
    std::string readlink(const CancelToken&, const FileHandle&) override { unused(); }
    nfs::ReadResult read(const CancelToken&, const FileHandle&, uint64_t, uint32_t) override {
        unused();
    }
    nfs::OpenedFile open(const CancelToken&, const FileHandle&, nfs::OpenAccess) override {
        unused();
    }
    void close(nfs::OpenId) noexcept override {}
    nfs::CreatedFile create(const CancelToken&, const FileHandle&, const std::string&,
                            const nfs::NewObjectAttributes&, bool, nfs::OpenAccess) override {
        unused();
    }
    nfs::Entry mkdir(const CancelToken&, const FileHandle&, const std::string&,
                     const nfs::NewObjectAttributes&) override {
        unused();
    }
    nfs::Entry symlink(const CancelToken&, const FileHandle&, const std::string&,
                       const std::string&, const nfs::NewObjectAttributes&) override {
        unused();
    }
    nfs::Entry mkfifo(const CancelToken&, const FileHandle&, const std::string&,
                      const nfs::NewObjectAttributes&) override {
        unused();
    }
    nfs::Entry link(const CancelToken&, const FileHandle&, const FileHandle&,
                    const std::string&) override {
        unused();
    }
    nfs::DirectoryChange remove(const CancelToken&, const FileHandle&,
                                const std::string&) override {
        unused();
    }
    nfs::DirectoryChange rmdir(const CancelToken&, const FileHandle&, const std::string&) override {
        unused();
    }
    nfs::RenameChanges rename(const CancelToken&, const FileHandle&, const std::string&,
                              const FileHandle&, const std::string&) override {
        unused();
    }
    std::vector<nfs::DirectoryEntry> readdir(const CancelToken&, const FileHandle&) override {
        unused();
    }
    nfs::FsStats statfs(const CancelToken&, const FileHandle&) override { unused(); }
    std::map<std::string, uint64_t> call_counts() const override { return {}; }

  private:
    [[noreturn]] static void unused() { throw Error(ENOSYS, "not used by write-behind"); }
    FileHandle root_{"root"};
};

class WriteBehindTest : public ::testing::Test {
  protected:
    void write(uint64_t offset, const std::string& data) {
        behind_.write(cancel_, file_, offset, data);
    }

    FakeServer server_;
    std::mutex reported_mutex_;  // the callback runs on the sender threads
    std::vector<nfs::WriteResult> reported_;
    WriteBehind behind_{server_, /*gather_limit=*/16, /*commit_threshold=*/64,
                        [this](const FileHandle&, const nfs::WriteResult& result) {
                            std::lock_guard lock(reported_mutex_);
                            reported_.push_back(result);
                        }};
    CancelToken cancel_;
    FileHandle file_{"file"};
};

TEST_F(WriteBehindTest, SmallContiguousWritesAreGatheredIntoFullRequests) {
    for (int i = 0; i < 8; ++i) write(static_cast<uint64_t>(i) * 4, "abcd");
    behind_.send(cancel_, file_);          // waits for the requests on the wire
    ASSERT_EQ(server_.writes.size(), 2u);  // 32 bytes in two requests of 16
    // Both are on the wire at once (they do not overlap): either may arrive first.
    std::map<uint64_t, std::string> sent;
    for (const auto& w : server_.writes) {
        sent[w.offset] = w.data;
        EXPECT_EQ(w.stability, nfs::Stability::unstable);
    }
    EXPECT_EQ(sent,
              (std::map<uint64_t, std::string>{{0, "abcdabcdabcdabcd"}, {16, "abcdabcdabcdabcd"}}));
    EXPECT_EQ(reported_.size(), 2u);
    EXPECT_EQ(server_.commits, 0);
}

TEST_F(WriteBehindTest, FlushSendsTheRestAndCommits) {
    write(0, "0123456789abcdef");  // full: sent UNSTABLE at once
    write(16, "hello");
    EXPECT_TRUE(behind_.has_pending(file_));
    behind_.flush(cancel_, file_);
    ASSERT_EQ(server_.writes.size(), 2u);
    for (const auto& w : server_.writes) EXPECT_EQ(w.stability, nfs::Stability::unstable);
    EXPECT_EQ(server_.contents, "0123456789abcdefhello");
    EXPECT_EQ(server_.commits, 1);
    EXPECT_FALSE(behind_.has_pending(file_));
    behind_.flush(cancel_, file_);
    EXPECT_EQ(server_.commits, 1) << "nothing pending: no COMMIT";
}

TEST_F(WriteBehindTest, DataThatFitsOneRequestIsWrittenThroughWithoutACommit) {
    write(0, "hello");
    EXPECT_TRUE(server_.writes.empty());
    behind_.flush(cancel_, file_);
    ASSERT_EQ(server_.writes.size(), 1u);
    EXPECT_EQ(server_.writes[0].stability, nfs::Stability::file_sync);
    EXPECT_EQ(server_.contents, "hello");
    EXPECT_EQ(server_.commits, 0) << "FILE_SYNC data needs no COMMIT";
    EXPECT_FALSE(behind_.has_pending(file_));

    write(5, " world");
    behind_.send(cancel_, file_);  // before a GETATTR or SETATTR: likewise written through
    EXPECT_EQ(server_.writes.back().stability, nfs::Stability::file_sync);
    behind_.flush(cancel_, file_);
    EXPECT_EQ(server_.commits, 0);
    EXPECT_EQ(server_.contents, "hello world");
}

TEST_F(WriteBehindTest, AGapOrAJumpBackSendsWhatWasGathered) {
    write(0, "aaaa");
    write(100, "bbbb");  // not contiguous: "aaaa" goes
    write(50, "cc");     // backwards: "bbbb" goes
    write(52, "dd");     // continues "cc"
    behind_.send(cancel_, file_);
    ASSERT_EQ(server_.writes.size(), 3u);
    std::map<uint64_t, std::string> sent;
    for (const auto& w : server_.writes) sent[w.offset] = w.data;
    EXPECT_EQ(sent, (std::map<uint64_t, std::string>{{0, "aaaa"}, {50, "ccdd"}, {100, "bbbb"}}));
    EXPECT_EQ(server_.commits, 0) << "send makes the server see the data, no more";
}

TEST_F(WriteBehindTest, OverlappingRewritesReachTheServerInOrder) {
    for (int round = 0; round < 50; ++round) {
        const std::string text = "round " + std::to_string(round) + std::string(10, '.');
        write(0, text.substr(0, 16));  // full: on the wire at once
    }
    behind_.flush(cancel_, file_);
    EXPECT_EQ(server_.contents, ("round 49" + std::string(10, '.')).substr(0, 16));
}

TEST_F(WriteBehindTest, AChangedVerifierAtCommitSendsEverythingAgain) {
    write(0, "0123456789abcdef");  // sent at once (full)
    write(16, "tail");
    server_.restart_before_next_commit = true;
    behind_.flush(cancel_, file_);
    EXPECT_EQ(server_.commits, 2);
    EXPECT_EQ(server_.contents, "0123456789abcdeftail") << "lost data was not sent again";
}

TEST_F(WriteBehindTest, VerifiersThatDifferBetweenWritesAreSentAgainToo) {
    write(0, "0123456789abcdef");
    behind_.send(cancel_, file_);
    {
        std::lock_guard lock(server_.mutex);
        server_.verifier = 7;  // a restart between two writes
    }
    write(16, "0123456789abcdef");
    const size_t before = server_.writes.size();
    behind_.flush(cancel_, file_);
    EXPECT_GT(server_.writes.size(), before) << "the writes of the old verifier may be lost";
}

TEST_F(WriteBehindTest, UncommittedDataIsCommittedOnceOverTheThreshold) {
    for (int i = 0; i < 5; ++i) write(static_cast<uint64_t>(i) * 16, std::string(16, 'x'));
    behind_.send(cancel_, file_);  // 80 bytes sent, uncommitted
    EXPECT_EQ(server_.commits, 0);
    write(80, "y");  // the next write sees more than 64 uncommitted bytes
    EXPECT_EQ(server_.commits, 1);
}

TEST_F(WriteBehindTest, AFailedSendIsReportedAtFlushOnceAndRefusesLaterWrites) {
    server_.fail_writes = true;
    write(0, "will fail");
    EXPECT_THROW(behind_.send(cancel_, file_), Error);
    try {
        write(9, "more");
        ADD_FAILURE() << "a write after a failure was accepted";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), ENOSPC);
    }
    server_.fail_writes = false;
    try {
        behind_.flush(cancel_, file_);
        ADD_FAILURE() << "flush did not report the failed write";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), ENOSPC);
    }
    behind_.flush(cancel_, file_);  // reported once; the file works again
    write(0, "ok");
    behind_.flush(cancel_, file_);
    EXPECT_EQ(server_.contents, "ok");
}

TEST_F(WriteBehindTest, FilesAreIndependentAndForgottenWhenClean) {
    const FileHandle other{"other"};
    write(0, "one");
    behind_.write(cancel_, other, 0, "two");
    behind_.flush(cancel_, other);
    EXPECT_TRUE(behind_.has_pending(file_));
    behind_.forget_if_clean(file_);
    EXPECT_TRUE(behind_.has_pending(file_)) << "forgot a file with pending data";
    behind_.flush(cancel_, file_);
    behind_.forget_if_clean(file_);
    EXPECT_FALSE(behind_.has_pending(file_));
    write(0, "again");  // a forgotten file can be written again
    behind_.flush(cancel_, file_);
    EXPECT_EQ(server_.contents, "again");
}

}  // namespace
}  // namespace nfsfuse::cache
