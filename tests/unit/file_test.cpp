// vfs::File over an in-memory server that loses unstable data when it restarts: small writes
// gathered into full WRITEs sent UNSTABLE, committed at flush and sent again when the verifier
// changed; and the ordering rules of issue 11, each with the case that broke it before: data
// written while a COMMIT is on the wire stays owed, an interrupted resend leaves the rest owed,
// a truncate drops what is owed beyond the new size, a read racing a write never caches the old
// data for later, and reads see what was written even when the server lost it.
#include "vfs/file.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "fake_nfs_server.h"
#include "util/error.h"

namespace nfsfuse::vfs {
namespace {

using nfs::CallContext;
using testing::FakeNfsServer;

constexpr uint32_t kBlock = 16;

std::string text(const std::vector<cache::BlockCache::Piece>& pieces) {
    std::string joined;
    for (const auto& piece : pieces) joined.append(piece.data, piece.size);
    return joined;
}

class FileTest : public ::testing::Test {
  protected:
    FileTest() {
        server_.set_max_transfer(16);
        handle_ =
            server_.create(cancel_, server_.root(), "f", {0644}, true, nfs::OpenAccess::read_write)
                .entry.handle;
        file_ = std::make_shared<File>(handle_, context_);
    }
    ~FileTest() override {
        // No hook may run into a test's locals once it has returned.
        server_.set_before_call(nullptr);
    }

    void write(uint64_t offset, const std::string& data) { file_->write(cancel_, offset, data); }
    // 80 bytes of `fill` in five full WRITEs, sent and unstable: over the 64-byte threshold at the
    // next write.
    void write_unstable_80(char fill) {
        for (int i = 0; i < 5; ++i) write(static_cast<uint64_t>(i) * 16, std::string(16, fill));
        file_->settle(cancel_);
    }
    std::string read(uint64_t offset, uint32_t length) {
        return text(file_->read(cancel_, offset, length));
    }
    nfs::Attributes truncate(uint64_t size) {
        nfs::SetAttributes changes;
        changes.size = size;
        return file_->set_attributes(cancel_, changes,
                                     [&] { return server_.setattr(cancel_, handle_, changes); });
    }
    // Runs `action` once, at the `nth` call of `procedure` (1: the next one), before it is done.
    void at_call(const std::string& procedure, uint64_t nth, std::function<void()> action) {
        const uint64_t target = server_.calls(procedure) + nth;
        auto done = std::make_shared<std::atomic<bool>>(false);
        server_.set_before_call([this, procedure, target, done,
                                 action = std::move(action)](const std::string& called) {
            if (called == procedure && server_.calls(procedure) == target && !done->exchange(true))
                action();
        });
    }
    std::string durable() const { return server_.durable_contents(handle_); }
    std::string contents() const { return server_.contents(handle_); }

    FakeNfsServer server_;
    CallContext cancel_;
    nfs::FileHandle handle_;
    WriteSenders senders_{4};
    cache::BlockCache blocks_{
        64 * kBlock, kBlock,
        [this](const CallContext& context, const nfs::FileHandle& fh, uint64_t offset,
               uint32_t length) { return server_.read(context, fh, offset, length); }};
    FileContext context_{server_, senders_, blocks_, 16, 64, 4, false, nullptr};
    std::shared_ptr<File> file_;
};

TEST_F(FileTest, SmallContiguousWritesAreGatheredIntoFullRequests) {
    for (int i = 0; i < 8; ++i) write(static_cast<uint64_t>(i) * 4, "abcd");
    file_->settle(cancel_);
    EXPECT_EQ(server_.calls("WRITE"), 2u) << "32 bytes in two WRITEs of 16";
    EXPECT_EQ(contents(), std::string(32, 'x').replace(0, 32, "abcdabcdabcdabcdabcdabcdabcdabcd"));
    EXPECT_EQ(durable(), "") << "UNSTABLE: nothing is durable before a COMMIT";
    EXPECT_EQ(server_.calls("COMMIT"), 0u);
}

TEST_F(FileTest, FlushSendsTheRestAndCommits) {
    write(0, "0123456789abcdef");  // full: sent UNSTABLE at once
    write(16, "hello");
    EXPECT_TRUE(file_->has_pending());
    file_->flush(cancel_);
    EXPECT_EQ(durable(), "0123456789abcdefhello");
    EXPECT_EQ(server_.calls("COMMIT"), 1u);
    EXPECT_FALSE(file_->has_pending());
    file_->flush(cancel_);
    EXPECT_EQ(server_.calls("COMMIT"), 1u) << "nothing pending: no COMMIT";
}

TEST_F(FileTest, DataThatFitsOneRequestIsWrittenThroughWithoutACommit) {
    write(0, "hello");
    EXPECT_EQ(server_.calls("WRITE"), 0u) << "gathered, not sent";
    file_->flush(cancel_);
    EXPECT_EQ(durable(), "hello") << "FILE_SYNC: durable without a COMMIT";
    EXPECT_EQ(server_.calls("COMMIT"), 0u);
    write(5, " world");
    file_->settle(cancel_);  // before a GETATTR or SETATTR: likewise written through
    EXPECT_EQ(durable(), "hello world");
    file_->flush(cancel_);
    EXPECT_EQ(server_.calls("COMMIT"), 0u);
}

TEST_F(FileTest, AGapOrAJumpBackSendsWhatWasGathered) {
    write(0, "aaaa");
    write(100, "bbbb");  // not contiguous: "aaaa" goes
    write(50, "cc");     // backwards: "bbbb" goes
    write(52, "dd");     // continues "cc"
    file_->settle(cancel_);
    EXPECT_EQ(server_.calls("WRITE"), 3u);
    EXPECT_EQ(contents().substr(0, 4), "aaaa");
    EXPECT_EQ(contents().substr(50, 4), "ccdd");
    EXPECT_EQ(contents().substr(100, 4), "bbbb");
}

TEST_F(FileTest, OverlappingRewritesReachTheServerInOrder) {
    for (int round = 0; round < 50; ++round) {
        const std::string text = "round " + std::to_string(round) + std::string(10, '.');
        write(0, text.substr(0, 16));  // full: on the wire at once
    }
    file_->flush(cancel_);
    EXPECT_EQ(durable(), ("round 49" + std::string(10, '.')).substr(0, 16));
}

TEST_F(FileTest, AChangedVerifierAtCommitSendsEverythingAgain) {
    write(0, "0123456789abcdef");  // sent at once (full)
    write(16, "0123456789ABCDEF");
    write(32, "tail");
    at_call("COMMIT", 1, [&] { server_.restart(); });
    file_->flush(cancel_);
    EXPECT_EQ(server_.calls("COMMIT"), 2u);
    EXPECT_EQ(durable(), "0123456789abcdef0123456789ABCDEFtail") << "lost data was not resent";
}

// A newer write of a range that was sent under an old verifier: the resend sends the newer bytes,
// never the old ones over them.
TEST_F(FileTest, AResendNeverSendsBytesOlderThanALaterWrite) {
    write(0, "old old old old!");
    file_->settle(cancel_);
    server_.restart();  // the old bytes are lost; their WRITE's verifier is the old one
    write(4, "NEW!");
    file_->flush(cancel_);
    EXPECT_EQ(durable(), "old NEW!old old!");
}

// Waits up to `limit` for `done`; false if it never came.
bool within(std::chrono::milliseconds limit, const std::function<bool()>& done) {
    for (auto waited = std::chrono::milliseconds(0); waited < limit && !done();
         waited += std::chrono::milliseconds(10))
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return done();
}

bool eventually(const std::function<bool()>& done) {
    return within(std::chrono::seconds(10), done);
}

TEST_F(FileTest, UnstableDataIsCommittedOnceOverTheThreshold) {
    write_unstable_80('x');
    EXPECT_EQ(server_.calls("COMMIT"), 0u);
    write(80, "y");  // the next write sees more than 64 unstable bytes
    EXPECT_TRUE(eventually([&] { return server_.calls("COMMIT") == 1; }));
    EXPECT_TRUE(eventually([&] { return durable() == std::string(80, 'x'); }));
    EXPECT_TRUE(file_->has_pending()) << "the gathered \"y\" is still owed";
    file_->flush(cancel_);  // and the COMMIT's thread is done with the file
}

// The COMMIT over the threshold goes from a sender thread: the writer does not wait for the
// server to make 64 MiB durable (a 512 MiB dd stalled 20-30 ms at each), and goes on writing
// while it is on the wire, up to twice the threshold.
TEST_F(FileTest, AWriterDoesNotWaitForTheCommitOverTheThreshold) {
    auto release = std::make_shared<std::promise<void>>();
    std::shared_future<void> released = release->get_future().share();
    server_.set_before_call([released](const std::string& procedure) {
        if (procedure == "COMMIT") released.wait();
    });
    write_unstable_80('x');
    auto writer = std::async(std::launch::async, [&] { write(80, std::string(16, 'y')); });
    const bool returned = writer.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    release->set_value();
    writer.get();
    EXPECT_TRUE(returned) << "write() waited for the COMMIT";
    file_->flush(cancel_);
    EXPECT_EQ(durable(), std::string(80, 'x') + std::string(16, 'y'));
    EXPECT_FALSE(file_->has_pending());
}

// A server that restarts while the background COMMIT is on the wire answers it with a new
// verifier: what it lost is sent again, and the next flush makes it durable.
TEST_F(FileTest, WhatARestartLostUnderABackgroundCommitIsSentAgain) {
    write_unstable_80('a');
    at_call("COMMIT", 1, [&] { server_.restart(); });
    write(80, "b");  // over the threshold: the COMMIT goes, and finds the server restarted
    EXPECT_TRUE(eventually([&] { return server_.calls("COMMIT") >= 1; }));
    file_->flush(cancel_);
    EXPECT_EQ(durable(), std::string(80, 'a') + "b");
}

// Found by the model test: a flush whose own COMMIT raced a background one that came back with
// a new verifier found nothing unstable left in its snapshot (the background one had made it
// dirty again) and took the data for durable. A flush waits for a COMMIT on the wire first.
TEST_F(FileTest, AFlushWaitsForTheBackgroundCommitsOutcome) {
    write_unstable_80('a');
    // The interleaving that lost data: the background COMMIT finds the server restarted and
    // makes the bytes dirty again; their resend is held back while the flush's COMMIT, sent
    // meanwhile, is answered (with nothing durable). Each hold gives up after half a second, so
    // a flush that waits instead goes through.
    struct Race {
        std::atomic<int> commits{0};
        std::atomic<bool> restarted{false}, resend_started{false}, second_commit_done{false};
        std::atomic<std::thread::id> second_commit_thread{};
    };
    auto race = std::make_shared<Race>();
    const auto hold_until = [](const std::atomic<bool>& flag) {
        within(std::chrono::milliseconds(500), [&] { return flag.load(); });
    };
    server_.set_before_call([this, race, hold_until](const std::string& procedure) {
        if (procedure == "COMMIT") {
            const int n = ++race->commits;
            if (n == 1) {  // the background one
                within(std::chrono::milliseconds(500), [&] { return race->commits >= 2; });
                server_.restart();
                race->restarted = true;
            } else if (n == 2) {  // the flush's
                race->second_commit_thread = std::this_thread::get_id();
                hold_until(race->resend_started);
            }
        } else if (procedure == "WRITE" && race->restarted) {
            race->resend_started = true;
            hold_until(race->second_commit_done);
        }
    });
    server_.set_after_call([race](const std::string& procedure) {
        if (procedure == "COMMIT" && race->second_commit_thread == std::this_thread::get_id())
            race->second_commit_done = true;
    });
    // Over the threshold: the background COMMIT goes. A write of nothing new, so that all that
    // is unstable is in its snapshot (what a flush's snapshot has beyond it is caught anyway).
    write(80, "");
    ASSERT_TRUE(eventually([&] { return race->commits >= 1; })) << "no background COMMIT";
    file_->flush(cancel_);
    server_.set_before_call(nullptr);
    server_.set_after_call(nullptr);
    EXPECT_EQ(durable(), std::string(80, 'a')) << "fsync answered with data not durable";
}

// Found by the model test: a background COMMIT that comes back with a new verifier while a
// truncate's SETATTR is on the wire must not send the bytes it made dirty then: a WRITE beyond
// the new size landing after the SETATTR would bring the cut data back.
TEST_F(FileTest, ABackgroundCommitNeverSendsCutDataAcrossATruncate) {
    write_unstable_80('a');
    auto release = std::make_shared<std::promise<void>>();
    std::shared_future<void> released = release->get_future().share();
    server_.set_before_call([this, released](const std::string& procedure) {
        if (procedure != "COMMIT") return;
        released.wait();
        server_.restart();  // the 80 bytes are lost: the COMMIT makes them dirty again
    });
    server_.set_after_call([release](const std::string& procedure) {
        if (procedure != "SETATTR") return;
        release->set_value();  // the COMMIT returns while the SETATTR is still on its way back
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    });
    write(80, "b");  // over the threshold: the COMMIT goes, and waits
    truncate(16);
    server_.set_after_call(nullptr);
    server_.set_before_call(nullptr);
    file_->flush(cancel_);
    EXPECT_EQ(durable(), std::string(16, 'a'));
    EXPECT_EQ(contents(), std::string(16, 'a'));
}

TEST_F(FileTest, AFailedSendIsReportedAtFlushOnceAndRefusesLaterWrites) {
    server_.set_before_call([](const std::string& procedure) {
        if (procedure == "WRITE") throw Error(ENOSPC, "WRITE: no space");
    });
    write(0, "0123456789abcdef");  // full: fails on the wire
    file_->settle(cancel_);
    try {
        write(16, "more");
        ADD_FAILURE() << "a write after a failure was accepted";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), ENOSPC);
    }
    server_.set_before_call(nullptr);
    try {
        file_->flush(cancel_);
        ADD_FAILURE() << "flush did not report the failed write";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), ENOSPC);
    }
    file_->flush(cancel_);  // reported once; the file works again
    write(0, "ok");
    file_->flush(cancel_);
    EXPECT_EQ(durable(), "ok");
}

// Issue 11, case 1: a COMMIT settles only what was unstable when it was sent. Data another
// descriptor wrote while it was on the wire stays owed: a server restart after this flush must
// not lose it at the next one.
TEST_F(FileTest, DataWrittenWhileACommitIsOnTheWireStaysOwed) {
    write(0, "0123456789abcdef");
    at_call("COMMIT", 1, [&] {
        write(16, "written meanwhi!");  // another descriptor, during the COMMIT
        file_->settle(cancel_);         // on the server, unstable, under the same verifier
    });
    file_->flush(cancel_);
    EXPECT_TRUE(file_->has_pending()) << "the later write was taken as committed";
    server_.restart();
    file_->flush(cancel_);
    EXPECT_EQ(durable(), "0123456789abcdefwritten meanwhi!");
}

// Issue 11, case 2: a flush interrupted while it sends again what a restart lost leaves the rest
// owed; the next flush sends and commits it.
TEST_F(FileTest, AnInterruptedResendLeavesTheRestOwed) {
    CallContext interrupted;
    for (int i = 0; i < 4; ++i)
        write(static_cast<uint64_t>(i) * 16, std::string(16, static_cast<char>('a' + i)));
    file_->settle(cancel_);
    const uint64_t writes = server_.calls("WRITE");
    at_call("COMMIT", 1, [&] { server_.restart(); });
    server_.set_after_call([&](const std::string& procedure) {
        // The first WRITE of the resend: the application is interrupted.
        if (procedure == "WRITE" && server_.calls("WRITE") == writes + 1) interrupted.cancel();
    });
    try {
        file_->flush(interrupted);
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), EINTR);
    }
    server_.set_after_call(nullptr);
    server_.restart();  // whatever the resend put there is lost again
    file_->flush(cancel_);
    EXPECT_EQ(durable(), "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd");
}

// Issue 11, case 3 (the measured one): truncated data is never sent again, not even after a
// server restart makes the writes before the truncate look lost.
TEST_F(FileTest, DataOwedBeyondATruncateIsNeverSentAgain) {
    for (int i = 0; i < 4; ++i) write(static_cast<uint64_t>(i) * 16, std::string(16, 'x'));
    write(64, "gathered");
    truncate(0);
    server_.restart();
    file_->flush(cancel_);
    EXPECT_EQ(contents(), "") << "truncated data came back";
    EXPECT_EQ(durable(), "");
}

TEST_F(FileTest, ATruncateKeepsWhatIsOwedBelowTheNewSize) {
    for (int i = 0; i < 4; ++i)
        write(static_cast<uint64_t>(i) * 16, std::string(16, static_cast<char>('a' + i)));
    truncate(24);
    server_.restart();
    file_->flush(cancel_);
    EXPECT_EQ(durable(), std::string(16, 'a') + std::string(8, 'b'));
}

// Issue 11, case 5: a read that fetched the old data while a write was gathered never serves it
// after the write.
TEST_F(FileTest, AReadRacingAWriteNeverCachesOldDataForLater) {
    write(0, std::string(16, 'o'));
    file_->flush(cancel_);
    // Shorter than a WRITE: gathered, so the READ on the wire surely brings the old bytes.
    at_call("READ", 1, [&] { write(0, std::string(8, 'n')); });
    read(0, kBlock);  // old or new: it raced the write
    EXPECT_EQ(read(0, kBlock), std::string(8, 'n') + std::string(8, 'o'));
}

TEST_F(FileTest, AnotherClientsChangeSeenInItsStampDropsCachedBlocks) {
    write(0, std::string(16, 'o'));
    file_->flush(cancel_);
    EXPECT_EQ(read(0, kBlock), std::string(16, 'o'));
    server_.write_as_another_client(handle_, 0, std::string(16, 'x'));
    EXPECT_EQ(read(0, kBlock), std::string(16, 'o')) << "no new stamp seen yet: cached";
    file_->server_stamp(nfs::change_stamp_of(server_.getattr(cancel_, handle_)));
    EXPECT_EQ(read(0, kBlock), std::string(16, 'x'));
}

TEST_F(FileTest, ReadsSeeWhatWasWrittenWhileTheServerHasLostIt) {
    write(0, "0123456789abcdef");
    write(16, "tail");
    file_->settle(cancel_);
    server_.restart();
    EXPECT_EQ(contents(), "") << "the fake server did not lose the unstable data";
    EXPECT_EQ(read(0, 64), "0123456789abcdeftail");
    EXPECT_EQ(file_->size_seen(0), 20u);
    file_->flush(cancel_);
    EXPECT_EQ(durable(), "0123456789abcdeftail");
}

TEST_F(FileTest, OwedDataIsSentAndCommittedAsItsWriterWhoeverFlushes) {
    const nfs::Credentials writer{1000, 100, {4, 27}};
    const CallContext as_writer(writer);
    file_->write(as_writer, 0, std::string(40, 'w'));  // two full WRITEs go in the background
    file_->flush(cancel_);                             // the mount's own identity flushes
    EXPECT_EQ(server_.last_caller("WRITE"), writer);
    EXPECT_EQ(server_.last_caller("COMMIT"), writer);
    EXPECT_EQ(durable(), std::string(40, 'w'));
}

TEST_F(FileTest, OpensCountAndTheLastCloseHandsBackTheHiddenName) {
    EXPECT_FALSE(file_->hide({server_.root(), ".hidden", {}})) << "not open: nothing to hide";
    file_->opened();
    file_->opened();
    EXPECT_TRUE(file_->hide({server_.root(), ".hidden", {}}));
    EXPECT_FALSE(file_->released().has_value()) << "still open once";
    const auto removal = file_->released();
    ASSERT_TRUE(removal.has_value());
    EXPECT_EQ(removal->name, ".hidden");
    EXPECT_FALSE(file_->is_open());
    EXPECT_TRUE(file_->idle());
}

TEST_F(FileTest, InterruptedWhileWaitingForRoomTakesNothing) {
    server_.set_before_call(
        [](const std::string&) { std::this_thread::sleep_for(std::chrono::milliseconds(100)); });
    for (int i = 0; i < 4; ++i) write(static_cast<uint64_t>(i) * 16, std::string(16, 'a'));
    CallContext interrupted;
    interrupted.cancel();
    EXPECT_THROW(file_->write(interrupted, 64, std::string(16, 'z')), Error);
    server_.set_before_call(nullptr);
    file_->flush(cancel_);
    EXPECT_EQ(durable(), std::string(64, 'a')) << "an interrupted write() wrote something";
}

}  // namespace
}  // namespace nfsfuse::vfs
