// Locks that hold across hosts (issue 12): two mounts of one export stand for two hosts. Each
// lock kind (fcntl POSIX, OFD, flock) taken through one mount excludes the other mount; shared
// locks coexist; ranges, upgrades and downgrades behave as POSIX has them; a waiter gets the
// lock when the holder unlocks, closes or is killed, and can be interrupted; more waiters than
// nfsfuse has request threads do not stop the holder from unlocking; F_GETLK names the holder.
// local_lock= keeps a kind of lock on its host. Runs over NFSv4.1 (LOCK) and NFSv3 (NLM).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "harness/file_data.h"
#include "harness/forked_child.h"
#include "harness/mounted_test.h"
#include "harness/nfs_version.h"
#include "harness/own_server_test.h"
#include "harness/shared_memory.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// fcntl(F_SETLK/F_SETLKW/F_OFD_SETLK...) of [start, start + length); returns errno or 0.
int fcntl_lock(int fd, int command, short type, off_t start = 0, off_t length = 0) {
    struct flock lock {};
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    lock.l_start = start;
    lock.l_len = length;
    return ::fcntl(fd, command, &lock) == 0 ? 0 : errno;
}

struct flock query(int fd, short type, off_t start = 0, off_t length = 0, int command = F_GETLK) {
    struct flock lock {};
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    lock.l_start = start;
    lock.l_len = length;
    if (::fcntl(fd, command, &lock) != 0) throw std::runtime_error("F_GETLK: " + errno_text(errno));
    return lock;
}

// Close-on-exec: a server the test restarts must not inherit descriptors of the mounts.
int open_or_throw(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("open " + path.string() + ": " + errno_text(errno));
    return fd;
}

// A descriptor closed at the end of the scope.
class Fd {
  public:
    explicit Fd(const std::filesystem::path& path) : fd_(open_or_throw(path)) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    void close() {
        ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_;
};

// A process that takes a lock on `path` and holds it until killed: `ready` turns 1 once held.
struct Holder {
    SharedMemory<int> ready;
    std::unique_ptr<ForkedChild> child;

    Holder(const std::filesystem::path& path, short type) {
        int* flag = &*ready;
        child = std::make_unique<ForkedChild>([path, type, flag] {
            const int fd = open_or_throw(path);
            child_require(fcntl_lock(fd, F_SETLK, type) == 0, "the holder's lock");
            *flag = 1;
            for (;;) ::pause();
        });
        const auto deadline = Clock::now() + 20s;
        while (*ready == 0 && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
        if (*ready == 0) throw std::runtime_error("the holder did not get its lock");
    }
};

// The last close of an open file description ends its flock and OFD locks when the kernel's
// RELEASE reaches nfsfuse, which FUSE sends a moment after close(2) returned
// (docs/SEMANTICS.md): true once a whole-file write lock (command F_OFD_SETLK, or 0 for flock)
// is granted to `fd`, within 2 s.
::testing::AssertionResult free_soon(int fd, int command) {
    const auto deadline = Clock::now() + 2s;
    for (;;) {
        const int result = command == 0 ? (::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno)
                                        : fcntl_lock(fd, command, F_WRLCK);
        if (result == 0) return ::testing::AssertionSuccess();
        if (result != EAGAIN || Clock::now() > deadline)
            return ::testing::AssertionFailure() << "still locked: " << errno_text(result);
        std::this_thread::sleep_for(20ms);
    }
}

class LocksTest : public MountedTest {
  protected:
    void SetUp() override {
        MountedTest::SetUp();
        other_host_ = mount_export({});
    }
    void TearDown() override {
        other_host_.reset();
        MountedTest::TearDown();
    }
    // The same path as mnt(name), through the second mount: another host.
    std::filesystem::path elsewhere(const std::string& name) const {
        return other_host_->path() / work_name() / name;
    }

    std::unique_ptr<NfsfuseMount> other_host_;
};

TEST_F(LocksTest, APosixLockExcludesTheOtherHost) {
    Fd here(mnt("f"));
    Fd there(elsewhere("f"));
    ASSERT_EQ(fcntl_lock(here.get(), F_SETLK, F_WRLCK), 0);
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK), EAGAIN);
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_RDLCK), EAGAIN);
    const struct flock holder = query(there.get(), F_RDLCK, 100, 1);
    EXPECT_EQ(holder.l_type, F_WRLCK);
    EXPECT_EQ(holder.l_start, 0);
    EXPECT_EQ(holder.l_len, 0) << "the whole file";
    ASSERT_EQ(fcntl_lock(here.get(), F_SETLK, F_UNLCK), 0);
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK), 0);
    EXPECT_EQ(query(here.get(), F_WRLCK).l_type, F_WRLCK) << "and now the other way round";
}

TEST_F(LocksTest, SharedLocksCoexistAndExcludeAWriter) {
    Fd here(mnt("f"));
    Fd there(elsewhere("f"));
    ASSERT_EQ(fcntl_lock(here.get(), F_SETLK, F_RDLCK), 0);
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_RDLCK), 0);
    ForkedChild another_process([path = mnt("f")] {
        const int fd = open_or_throw(path);
        child_require(fcntl_lock(fd, F_SETLK, F_WRLCK) == EAGAIN, "a writer among readers");
    });
    const auto outcome = another_process.wait(30s);
    ASSERT_TRUE(outcome && outcome->ok()) << (outcome ? outcome->describe() : "hangs");
}

TEST_F(LocksTest, RangesUpgradesAndDowngrades) {
    Fd here(mnt("f"));
    Fd there(elsewhere("f"));
    ASSERT_EQ(fcntl_lock(here.get(), F_SETLK, F_WRLCK, 0, 10), 0);
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK, 10, 10), 0) << "the next range is free";
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_RDLCK, 5, 10), EAGAIN) << "overlaps [0, 10)";
    // Downgrade [0, 10) to shared: the other host may read-lock it, not write-lock it.
    ASSERT_EQ(fcntl_lock(here.get(), F_SETLK, F_RDLCK, 0, 10), 0);
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_RDLCK, 0, 5), 0);
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK, 0, 5), EAGAIN) << "an upgrade over ours";
    // Upgrade back: refused while the other host shares part of it, granted once it lets go.
    EXPECT_EQ(fcntl_lock(here.get(), F_SETLK, F_WRLCK, 0, 10), EAGAIN);
    ASSERT_EQ(fcntl_lock(there.get(), F_SETLK, F_UNLCK, 0, 5), 0);
    EXPECT_EQ(fcntl_lock(here.get(), F_SETLK, F_WRLCK, 0, 10), 0);
    // Unlocking the middle splits the lock.
    ASSERT_EQ(fcntl_lock(here.get(), F_SETLK, F_UNLCK, 3, 4), 0);
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK, 3, 4), 0);
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK, 2, 1), EAGAIN);
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK, 7, 1), EAGAIN);
}

TEST_F(LocksTest, FlockExcludesTheOtherHost) {
    Fd here(mnt("f"));
    Fd there(elsewhere("f"));
    ASSERT_EQ(::flock(here.get(), LOCK_EX), 0) << errno_text(errno);
    EXPECT_NE(::flock(there.get(), LOCK_EX | LOCK_NB), 0);
    EXPECT_EQ(errno, EWOULDBLOCK);
    EXPECT_NE(::flock(there.get(), LOCK_SH | LOCK_NB), 0);
    ASSERT_EQ(::flock(here.get(), LOCK_SH), 0) << "downgrade";
    EXPECT_EQ(::flock(there.get(), LOCK_SH | LOCK_NB), 0) << errno_text(errno);
    ASSERT_EQ(::flock(there.get(), LOCK_UN), 0);
    here.close();  // closing the description releases its flock
    EXPECT_TRUE(free_soon(there.get(), 0));
}

TEST_F(LocksTest, OfdLocksExcludeTheOtherHostAndEndWithTheirDescription) {
    Fd here(mnt("f"));
    Fd there(elsewhere("f"));
    ASSERT_EQ(fcntl_lock(here.get(), F_OFD_SETLK, F_WRLCK, 0, 100), 0);
    EXPECT_EQ(fcntl_lock(there.get(), F_OFD_SETLK, F_WRLCK, 50, 1), EAGAIN);
    EXPECT_EQ(query(there.get(), F_WRLCK, 50, 1, F_OFD_GETLK).l_type, F_WRLCK);
    here.close();
    EXPECT_TRUE(free_soon(there.get(), F_OFD_SETLK));
}

TEST_F(LocksTest, ClosingAnyDescriptorEndsTheProcesssPosixLocks) {
    Fd first(mnt("f"));
    Fd second(mnt("f"));
    Fd there(elsewhere("f"));
    ASSERT_EQ(fcntl_lock(first.get(), F_SETLK, F_WRLCK), 0);
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK), EAGAIN);
    second.close();  // POSIX: the lock taken through `first` goes too
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK), 0);
}

TEST_F(LocksTest, GetlkNamesAHolderOnTheSameHost) {
    Holder holder(mnt("f"), F_WRLCK);
    Fd here(mnt("f"));
    const struct flock found = query(here.get(), F_WRLCK);
    EXPECT_EQ(found.l_type, F_WRLCK);
    EXPECT_EQ(found.l_pid, holder.child->pid());
}

TEST_F(LocksTest, AWaiterGetsTheLockWhenTheHolderUnlocks) {
    Fd here(mnt("f"));
    ASSERT_EQ(fcntl_lock(here.get(), F_SETLK, F_WRLCK), 0);
    ForkedChild waiter([path = elsewhere("f")] {
        const int fd = open_or_throw(path);
        const int result = fcntl_lock(fd, F_SETLKW, F_WRLCK);
        child_require(result == 0, "waiting: " + errno_text(result));
    });
    EXPECT_FALSE(waiter.wait(1s)) << "granted while held";
    ASSERT_EQ(fcntl_lock(here.get(), F_SETLK, F_UNLCK), 0);
    const auto outcome = waiter.wait(10s);
    ASSERT_TRUE(outcome) << "still waiting after the holder unlocked";
    EXPECT_TRUE(outcome->ok()) << outcome->describe();
}

TEST_F(LocksTest, AKilledHoldersLocksGoAndAWaiterGetsThem) {
    Holder holder(mnt("f"), F_WRLCK);
    ForkedChild waiter([path = elsewhere("f")] {
        const int fd = open_or_throw(path);
        const int result = fcntl_lock(fd, F_SETLKW, F_RDLCK);
        child_require(result == 0, "waiting: " + errno_text(result));
    });
    EXPECT_FALSE(waiter.wait(1s)) << "granted while held";
    holder.child->signal(SIGKILL);
    const auto outcome = waiter.wait(10s);
    ASSERT_TRUE(outcome) << "still waiting after the holder was killed";
    EXPECT_TRUE(outcome->ok()) << outcome->describe();
}

TEST_F(LocksTest, AWaitIsInterruptedByASignal) {
    Fd here(mnt("f"));
    ASSERT_EQ(fcntl_lock(here.get(), F_SETLK, F_WRLCK), 0);
    ForkedChild waiter([path = elsewhere("f")] {
        struct sigaction on_alarm {};
        on_alarm.sa_handler = [](int) {};  // no SA_RESTART: the wait must end with EINTR
        ::sigaction(SIGALRM, &on_alarm, nullptr);
        const int fd = open_or_throw(path);
        ::alarm(1);
        const int result = fcntl_lock(fd, F_SETLKW, F_WRLCK);
        child_require(result == EINTR, "the interrupted wait: " + errno_text(result));
    });
    const auto outcome = waiter.wait(10s);
    ASSERT_TRUE(outcome) << "a signal did not end the wait";
    EXPECT_TRUE(outcome->ok()) << outcome->describe();
    EXPECT_EQ(query(here.get(), F_WRLCK).l_type, F_UNLCK) << "ours is still ours alone";
}

// nfsfuse serves requests on at most 32 threads: waiters must not hold them, or the holder's
// unlock would never be served. (Readers, so that all of them get in at their next try.)
TEST_F(LocksTest, ManyWaitersDoNotStopTheHolderFromUnlocking) {
    constexpr int kWaiters = 40;
    Fd holder(mnt("f"));
    ASSERT_EQ(fcntl_lock(holder.get(), F_SETLK, F_WRLCK), 0);
    std::vector<std::unique_ptr<ForkedChild>> waiters;
    for (int i = 0; i < kWaiters; ++i) {
        waiters.push_back(std::make_unique<ForkedChild>([path = mnt("f")] {
            const int fd = open_or_throw(path);
            const int result = fcntl_lock(fd, F_SETLKW, F_RDLCK);
            child_require(result == 0, "waiting: " + errno_text(result));
        }));
    }
    std::this_thread::sleep_for(1s);
    const auto unlock_started = Clock::now();
    ASSERT_EQ(fcntl_lock(holder.get(), F_SETLK, F_UNLCK), 0);
    EXPECT_LT(Clock::now() - unlock_started, 5s) << "the unlock waited for a request thread";
    for (auto& waiter : waiters) {
        const auto outcome = waiter->wait(120s);
        ASSERT_TRUE(outcome) << "a waiter never got the lock";
        EXPECT_TRUE(outcome->ok()) << outcome->describe();
    }
}

class LocalLockTest : public LocksTest {
  protected:
    std::vector<std::string> extra_mount_options() const override { return {"local_lock=flock"}; }
};

TEST_F(LocalLockTest, LocalFlocksStayOnTheirHostWhileFcntlLocksStillGoToTheServer) {
    Fd here(mnt("f"));
    Fd there(elsewhere("f"));
    ASSERT_EQ(::flock(here.get(), LOCK_EX), 0);
    EXPECT_EQ(::flock(there.get(), LOCK_EX | LOCK_NB), 0) << "a local flock reached the server";
    ASSERT_EQ(::flock(there.get(), LOCK_UN), 0);  // the other host's is on the server
    ASSERT_EQ(fcntl_lock(here.get(), F_SETLK, F_WRLCK), 0);
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK), EAGAIN);
    Fd again(mnt("f"));
    EXPECT_NE(::flock(again.get(), LOCK_EX | LOCK_NB), 0) << "the kernel keeps it on its host";
}

// Two hosts of a server of their own (settings by the subclass).
class TwoHostsOwnServerTest : public OwnServerTest {
  protected:
    void SetUp() override {
        OwnServerTest::SetUp();
        other_host_ = mount_export({});
    }
    void TearDown() override {
        other_host_.reset();
        OwnServerTest::TearDown();
    }
    std::filesystem::path elsewhere(const std::string& name) const {
        return other_host_->path() / work_name() / name;
    }

    std::unique_ptr<NfsfuseMount> other_host_;
};

// A 5 s lease: the holder must keep its lease alive, and the locks with it.
class LockLeaseTest : public TwoHostsOwnServerTest {
  protected:
    GaneshaSettings server_settings() const override { return {.lease_seconds = 5}; }
};

// A 10 s grace period after a restart, in which the holder reclaims its locks.
class LockRecoveryTest : public TwoHostsOwnServerTest {
  protected:
    GaneshaSettings server_settings() const override {
        return {.lease_seconds = 5, .grace_seconds = 10};
    }
};

TEST_F(LockLeaseTest, LocksOutliveLeaseRenewals) {
    Fd here(mnt("f"));
    Fd there(elsewhere("f"));
    ASSERT_EQ(fcntl_lock(here.get(), F_SETLK, F_WRLCK), 0);
    std::this_thread::sleep_for(12s);  // over two leases without a call of ours
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK), EAGAIN);
    EXPECT_EQ(query(there.get(), F_WRLCK).l_type, F_WRLCK);
}

TEST_F(LockRecoveryTest, ALockIsReclaimedInTheGracePeriodAfterAServerRestart) {
    if (nfs_version_under_test() == NfsVersion::v3)
        GTEST_SKIP() << "NFSv3 locks are not reclaimed after a server restart (no statd "
                        "callback service; docs/SEMANTICS.md, Locks)";
    Fd here(mnt("f"));
    Fd there(elsewhere("f"));
    ASSERT_EQ(fcntl_lock(here.get(), F_SETLK, F_WRLCK, 0, 10), 0);
    server().stop();
    server().start();
    // Until the holder has reclaimed it, the other host is refused (grace) or finds it held.
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK, 5, 1), EAGAIN);
    EXPECT_EQ(query(there.get(), F_RDLCK, 0, 1).l_type, F_WRLCK) << "the reclaimed lock";
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK, 10, 10), 0) << "the rest is free";
    ASSERT_EQ(fcntl_lock(here.get(), F_SETLK, F_UNLCK, 0, 10), 0);
    EXPECT_EQ(fcntl_lock(there.get(), F_SETLK, F_WRLCK, 0, 10), 0);
}

}  // namespace
}  // namespace nfsfuse::it
