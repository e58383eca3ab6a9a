// NFSv4.1 byte-range locks through Nfs4Client against a real nfs-ganesha: two clients stand for
// two hosts (each its own client id), owners are FUSE lock owner ids. What one client holds,
// the other is denied and told about; locks outlive lease renewals; a close releases them; after a
// server restart they are reclaimed in the grace period, or reported lost without one.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "harness/ganesha_server.h"
#include "harness/mounted_test.h"
#include "harness/process_resources.h"
#include "harness/thrown_errno.h"
#include "nfs/v4/nfs4_client.h"
#include "util/error.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;
using nfs::CallContext;
using nfs::LockHolder;
using nfs::LockRange;
using nfs::LockRequest;
using nfs::LockType;
using nfs::OpenAccess;
using nfs::OpenId;
using nfs::v4::Nfs4Client;

constexpr LockType R = LockType::read;
constexpr LockType W = LockType::write;
constexpr LockRange kWholeFile{0, 0};

LockRequest request(nfs::LockOwner owner, LockType type, LockRange range, uint32_t pid = 0) {
    return {owner, type, range, pid, false};
}

// What nfsfuse logged while it lives, to check a close went through without complaint.
class LogCapture {
  public:
    LogCapture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)) {
        spdlog::default_logger()->sinks().push_back(sink_);
    }
    ~LogCapture() {
        auto& sinks = spdlog::default_logger()->sinks();
        std::erase(sinks, sink_);
    }
    std::string text() const {
        std::string all;
        for (const std::string& line : sink_->last_formatted()) all += line;
        return all;
    }

  private:
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

// One client each for "here" and "there" (two hosts), a file both opened for reading and
// writing. The server is the process's shared one unless a test needs its own settings.
class Nfs4LockTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (own_settings()) {
            own_server_ = std::make_unique<GaneshaServer>(scratch_root() / current_test_dir_name(),
                                                          *own_settings());
        }
        here_ = connect("here");
        there_ = connect("there");
        const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        const nfs::CreatedFile created =
            here_->create(cancel_, here_->root(), name, {0666}, true, OpenAccess::read_write);
        fh_ = created.entry.handle;
        here_open_ = created.id;
        there_open_ = there_->open(cancel_, fh_, OpenAccess::read_write).id;
    }
    void TearDown() override {
        if (own_server_ && !own_server_->running()) own_server_->start();
        here_.reset();
        there_.reset();
        own_server_.reset();
    }

    // A test that needs a server of its own says how.
    virtual std::optional<GaneshaSettings> own_settings() const { return std::nullopt; }
    GaneshaServer& server() { return own_server_ ? *own_server_ : shared_server(); }

    std::unique_ptr<Nfs4Client> connect(const std::string& host) {
        nfs::v4::SessionSettings settings;
        settings.rpc.host = "127.0.0.1";
        settings.rpc.port = server().nfs_port();
        settings.rpc.credentials.machine_name = "nfsfuse-lock-test-" + host;
        settings.owner_id = "nfsfuse-lock-test-" + host + "-" + current_test_dir_name();
        settings.call_timeout = 60s;
        auto client = std::make_unique<Nfs4Client>(settings, server().export_dir().string());
        client->start();  // renews the lease, as a mount does: locks must outlive a grace period
        return client;
    }

    std::optional<LockHolder> lock_here(nfs::LockOwner owner, LockType type, LockRange range,
                                        uint32_t pid = 0) {
        return here_->lock(cancel_, fh_, here_open_, request(owner, type, range, pid));
    }
    std::optional<LockHolder> lock_there(nfs::LockOwner owner, LockType type, LockRange range) {
        return there_->lock(cancel_, fh_, there_open_, request(owner, type, range));
    }
    uint64_t calls(const Nfs4Client& client, const std::string& what) const {
        const auto counts = client.call_counts();
        const auto found = counts.find(what);
        return found == counts.end() ? 0 : found->second;
    }

    CallContext cancel_;
    std::unique_ptr<GaneshaServer> own_server_;
    std::unique_ptr<Nfs4Client> here_;
    std::unique_ptr<Nfs4Client> there_;
    nfs::FileHandle fh_;
    OpenId here_open_ = 0;
    OpenId there_open_ = 0;
};

void expect_holder(const std::optional<LockHolder>& holder, LockType type, LockRange range,
                   uint32_t pid = 0) {
    ASSERT_TRUE(holder) << "expected the lock to be denied";
    EXPECT_EQ(holder->type, type);
    EXPECT_EQ(holder->range, range);
    EXPECT_EQ(holder->pid, pid);
}

// The same, where the server may name only the part of the lock in the way (ganesha 4.3 does
// after an up- or downgrade): a range within `held`.
void expect_holder_within(const std::optional<LockHolder>& holder, LockType type, LockRange held) {
    ASSERT_TRUE(holder) << "expected the lock to be denied";
    EXPECT_EQ(holder->type, type);
    EXPECT_GE(holder->range.offset, held.offset);
    ASSERT_NE(holder->range.length, 0u) << "the lock in the way reaches past " << held.offset;
    EXPECT_LE(holder->range.offset + holder->range.length, held.offset + held.length);
}

TEST_F(Nfs4LockTest, AWriteLockExcludesTheOtherHostUntilItIsUnlocked) {
    EXPECT_EQ(lock_here(1, W, kWholeFile), std::nullopt);
    expect_holder(lock_there(2, W, {100, 10}), W, kWholeFile);
    expect_holder(lock_there(2, R, {0, 1}), W, kWholeFile);
    expect_holder(there_->test(cancel_, fh_, there_open_, request(2, R, {5, 5})), W, kWholeFile);

    here_->unlock(cancel_, fh_, here_open_, 1, kWholeFile);
    EXPECT_EQ(there_->test(cancel_, fh_, there_open_, request(2, W, kWholeFile)), std::nullopt);
    EXPECT_EQ(lock_there(2, W, {100, 10}), std::nullopt);
    expect_holder(lock_here(1, R, {105, 1}), W, {100, 10});
}

TEST_F(Nfs4LockTest, ReadLocksAreSharedAcrossHosts) {
    EXPECT_EQ(lock_here(1, R, kWholeFile), std::nullopt);
    EXPECT_EQ(lock_there(2, R, {0, 100}), std::nullopt);
    expect_holder(lock_there(3, W, {50, 1}), R, kWholeFile);
    // Both hosts' read locks stand in the way; the server names one.
    const std::optional<LockHolder> holder = lock_here(4, W, {50, 1});
    ASSERT_TRUE(holder);
    EXPECT_EQ(holder->type, R);
}

// One owner's locks never conflict: the server upgrades, downgrades and splits them, and the
// other host sees the result.
TEST_F(Nfs4LockTest, AnOwnerUpgradesAndDowngradesItsOwnLocks) {
    EXPECT_EQ(lock_here(1, R, {0, 100}), std::nullopt);
    EXPECT_EQ(lock_there(2, R, {0, 10}), std::nullopt);
    // The upgrade of the part the other host does not read.
    EXPECT_EQ(lock_here(1, W, {50, 50}), std::nullopt);
    expect_holder_within(lock_there(2, R, {60, 1}), W, {50, 50});
    EXPECT_EQ(lock_there(2, R, {20, 10}), std::nullopt);
    // Back down: the other host reads it again, but may not write where we read.
    EXPECT_EQ(lock_here(1, R, {50, 50}), std::nullopt);
    EXPECT_EQ(lock_there(2, R, {60, 1}), std::nullopt);
    expect_holder_within(lock_there(3, W, {90, 1}), R, {0, 100});
    // An unlock in the middle splits the lock.
    here_->unlock(cancel_, fh_, here_open_, 1, {40, 20});
    there_->unlock(cancel_, fh_, there_open_, 2, kWholeFile);
    EXPECT_EQ(lock_there(3, W, {40, 20}), std::nullopt);
    expect_holder_within(lock_there(3, W, {39, 1}), R, {0, 40});
    expect_holder_within(lock_there(3, W, {60, 1}), R, {60, 40});
}

TEST_F(Nfs4LockTest, LocksOfDisjointRangesCoexistAndOverlapsConflict) {
    EXPECT_EQ(lock_here(1, W, {0, 10}), std::nullopt);
    EXPECT_EQ(lock_there(2, W, {10, 10}), std::nullopt);
    expect_holder(lock_there(2, W, {5, 10}), W, {0, 10});
    expect_holder(lock_here(1, R, {19, 5}), W, {10, 10});
    expect_holder(here_->test(cancel_, fh_, here_open_, request(7, R, {0, 0})), W, {0, 10});
}

// Owners of one mount see each other's pid, as F_GETLK on a local file shows it; another host's
// owners have none here.
TEST_F(Nfs4LockTest, TheHolderIsReportedWithItsPidToOwnersOfTheSameMount) {
    EXPECT_EQ(lock_here(1, W, {0, 10}, 4242), std::nullopt);
    expect_holder(here_->test(cancel_, fh_, here_open_, request(2, W, {5, 1})), W, {0, 10}, 4242);
    expect_holder(lock_here(2, R, {0, 1}, 77), W, {0, 10}, 4242);
    expect_holder(there_->test(cancel_, fh_, there_open_, request(1, W, {5, 1})), W, {0, 10}, 0);
    // The owner's own lock does not stand in its way.
    EXPECT_EQ(here_->test(cancel_, fh_, here_open_, request(1, W, {0, 10})), std::nullopt);
}

TEST_F(Nfs4LockTest, AWriteLockThroughAReadOnlyOpenIsRefusedWithEbadf) {
    const OpenId reader = here_->open(cancel_, fh_, OpenAccess::read).id;
    EXPECT_EQ(errno_of([&] { here_->lock(cancel_, fh_, reader, request(5, W, {0, 1})); }), EBADF);
    EXPECT_EQ(here_->lock(cancel_, fh_, reader, request(5, R, {0, 1})), std::nullopt);
    here_->close(reader);
    EXPECT_EQ(lock_there(2, W, {0, 1}), std::nullopt) << "the close released the read lock";
}

// Unlocking what an owner does not hold costs no call; the last unlock frees the lock state.
TEST_F(Nfs4LockTest, UnlocksSendOnlyWhatIsNeeded) {
    here_->unlock(cancel_, fh_, here_open_, 9, kWholeFile);
    EXPECT_EQ(calls(*here_, "LOCKU"), 0u);
    EXPECT_EQ(lock_here(9, W, {0, 10}), std::nullopt);
    EXPECT_EQ(lock_here(9, W, {20, 10}), std::nullopt);  // the same lock state
    here_->unlock(cancel_, fh_, here_open_, 9, {0, 10});
    EXPECT_EQ(calls(*here_, "FREE_STATEID"), 0u) << "the owner still holds [20, 30)";
    here_->unlock(cancel_, fh_, here_open_, 9, {20, 10});
    EXPECT_EQ(calls(*here_, "LOCKU"), 2u);
    EXPECT_EQ(calls(*here_, "FREE_STATEID"), 1u);
    EXPECT_EQ(lock_there(2, W, kWholeFile), std::nullopt);
}

// A later lock of the owner goes through another open of the file under the same lock state;
// closing the open the state grew from releases it, and the CLOSE is not refused
// (NFS4ERR_LOCKS_HELD would be logged).
TEST_F(Nfs4LockTest, ACloseWithLocksHeldSucceedsAndFreesThemForTheOtherHost) {
    const LogCapture log;
    const OpenId second = here_->open(cancel_, fh_, OpenAccess::read_write).id;
    EXPECT_EQ(lock_here(1, W, {0, 10}), std::nullopt);
    EXPECT_EQ(here_->lock(cancel_, fh_, second, request(1, W, {20, 10})), std::nullopt);
    expect_holder(lock_there(2, W, {20, 1}), W, {20, 10});
    here_->close(here_open_);
    EXPECT_EQ(lock_there(2, W, kWholeFile), std::nullopt);
    EXPECT_EQ(calls(*here_, "FREE_STATEID"), 1u);
    here_->close(second);
    EXPECT_EQ(log.text().find("CLOSE"), std::string::npos) << log.text();
    EXPECT_EQ(log.text().find("releasing"), std::string::npos) << log.text();
}

class Nfs4LockLeaseTest : public Nfs4LockTest {
  protected:
    static constexpr unsigned kLease = 5;
    std::optional<GaneshaSettings> own_settings() const override {
        return GaneshaSettings{.lease_seconds = kLease};
    }
};

// The session renews the lease (a SEQUENCE a third of a lease after the last call): the lock
// stays the holder's while it does nothing for more than two leases.
TEST_F(Nfs4LockLeaseTest, LocksOutliveLeaseRenewals) {
    EXPECT_EQ(lock_here(1, W, kWholeFile), std::nullopt);
    std::this_thread::sleep_for(std::chrono::seconds(2 * kLease + 3));
    expect_holder(lock_there(2, W, {0, 1}), W, kWholeFile);
    here_->unlock(cancel_, fh_, here_open_, 1, kWholeFile);
    EXPECT_EQ(lock_there(2, W, {0, 1}), std::nullopt);
}

class Nfs4LockGraceTest : public Nfs4LockTest {
  protected:
    std::optional<GaneshaSettings> own_settings() const override {
        return GaneshaSettings{.lease_seconds = 5, .grace_seconds = 10};
    }
};

// In the grace period after a restart the holder reclaims its lock (it finds out at its next
// call): the other host is denied, and the holder can still unlock it.
TEST_F(Nfs4LockGraceTest, ALockIsReclaimedAfterAServerRestart) {
    EXPECT_EQ(lock_here(1, W, {0, 10}, 99), std::nullopt);
    EXPECT_EQ(lock_here(1, R, {20, 0}, 99), std::nullopt);
    server().stop();
    server().start();
    here_->getattr(cancel_, fh_);  // recovery: new client id, opens and locks reclaimed
    expect_holder(lock_there(2, W, {5, 1}), W, {0, 10});
    expect_holder(lock_there(2, W, {25, 1}), R, {20, 0});
    expect_holder(here_->test(cancel_, fh_, here_open_, request(3, W, {5, 1})), W, {0, 10}, 99);
    here_->unlock(cancel_, fh_, here_open_, 1, kWholeFile);
    EXPECT_EQ(lock_there(2, W, kWholeFile), std::nullopt);
    // The reclaimed open works for I/O.
    here_->write(cancel_, fh_, 0, "x", nfs::Stability::file_sync);
}

// Without a grace period the server refuses reclaims: the lock is lost, the other host takes
// it, and the holder is told once (EIO); after that its locks work as usual.
class Nfs4LockGracelessTest : public Nfs4LockTest {
  protected:
    std::optional<GaneshaSettings> own_settings() const override { return GaneshaSettings{}; }
};

TEST_F(Nfs4LockGracelessTest, ALockLostInARestartIsReportedOnceAndTheOtherHostTakesIt) {
    EXPECT_EQ(lock_here(1, W, kWholeFile), std::nullopt);
    server().stop();
    server().start();
    here_->getattr(cancel_, fh_);  // recovery: the reclaim is refused
    EXPECT_EQ(lock_there(2, W, {0, 10}), std::nullopt);
    EXPECT_EQ(errno_of([&] { lock_here(1, W, kWholeFile); }), EIO);
    expect_holder(lock_here(1, W, kWholeFile), W, {0, 10});
    EXPECT_EQ(lock_here(1, W, {10, 0}), std::nullopt);
    here_->unlock(cancel_, fh_, here_open_, 1, kWholeFile);
    there_->unlock(cancel_, fh_, there_open_, 2, kWholeFile);
    EXPECT_EQ(lock_there(2, W, kWholeFile), std::nullopt);
}

// unlock() of a lost lock forgets it and succeeds, and the close after it goes through.
TEST_F(Nfs4LockGracelessTest, UnlockAndCloseOfALostLockSucceed) {
    EXPECT_EQ(lock_here(1, W, kWholeFile), std::nullopt);
    server().stop();
    server().start();
    here_->getattr(cancel_, fh_);
    here_->unlock(cancel_, fh_, here_open_, 1, kWholeFile);
    const uint64_t unlocks = calls(*here_, "LOCKU");
    here_->close(here_open_);
    EXPECT_EQ(calls(*here_, "LOCKU"), unlocks) << "nothing left to release at the close";
    EXPECT_EQ(lock_there(2, W, kWholeFile), std::nullopt);
}

}  // namespace
}  // namespace nfsfuse::it
