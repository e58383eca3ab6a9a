// Locks through the filesystem layer over an in-memory server that keeps them: another owner is
// refused or waits (on LockWaits' thread) until the holder lets go; a close ends the closing
// process's POSIX locks whichever descriptor took them; the release of an open file description
// ends its flock and OFD locks; shutdown ends every wait.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>

#include "fake_nfs_server.h"
#include "util/error.h"
#include "vfs/filesystem.h"

namespace nfsfuse::vfs {
namespace {

using namespace std::chrono_literals;
using nfs::CallContext;
using nfs::LockType;
using testing::FakeNfsServer;

constexpr uint64_t kRoot = 1;
constexpr nfs::LockOwner kProcessA = 0xA;
constexpr nfs::LockOwner kProcessB = 0xB;
constexpr nfs::LockRange kWhole{0, 0};

nfs::LockRequest request(nfs::LockOwner owner, LockType type, nfs::LockRange range = kWhole) {
    return {owner, type, range, static_cast<uint32_t>(owner) * 100, false};
}

int errno_of(const std::function<void()>& call) {
    try {
        call();
    } catch (const Error& error) {
        return error.errnum();
    }
    return 0;
}

class FilesystemLocksTest : public ::testing::Test {
  protected:
    uint64_t open_file(const std::string& name) {
        return fs_.create(context_, kRoot, name, 0644, O_RDWR | O_CREAT).open.handle;
    }
    void close(uint64_t handle, nfs::LockOwner closer) {
        fs_.flush(context_, handle, closer);
        fs_.release_received(handle);
        fs_.release(handle);
    }
    std::vector<std::string> held(const std::string& name) {
        return server_.locks_held(server_.resolve(name));
    }

    FakeNfsServer server_;
    Filesystem fs_{server_, {}};
    CallContext context_;
};

TEST_F(FilesystemLocksTest, AnotherOwnersConflictingLockIsRefusedWithEagain) {
    const uint64_t a = open_file("f");
    const uint64_t b = open_file("f");
    fs_.lock(context_, a, request(kProcessA, LockType::write, {0, 10}));
    EXPECT_EQ(errno_of([&] {
                  fs_.lock(context_, b, request(kProcessB, LockType::read, {5, 1}));
              }),
              EAGAIN);
    fs_.lock(context_, b, request(kProcessB, LockType::write, {10, 5}));  // beside it: fine
    const auto holder = fs_.test_lock(context_, b, request(kProcessB, LockType::read, {0, 1}));
    ASSERT_TRUE(holder);
    EXPECT_EQ(holder->type, LockType::write);
    EXPECT_EQ(holder->range, (nfs::LockRange{0, 10}));
    EXPECT_EQ(holder->pid, 1000u);
}

TEST_F(FilesystemLocksTest, AnyCloseOfTheProcessEndsItsPosixLocksOnTheFile) {
    const uint64_t first = open_file("f");
    const uint64_t second = open_file("f");
    fs_.lock(context_, first, request(kProcessA, LockType::write, {0, 10}));
    // POSIX: closing any descriptor of the file ends the process's locks on it.
    close(second, kProcessA);
    EXPECT_TRUE(held("f").empty());
    close(first, kProcessA);
    EXPECT_EQ(server_.calls("LOCKU"), 1u) << "nothing left to release at the second close";
}

TEST_F(FilesystemLocksTest, AnotherProcesssCloseLeavesTheLocksAlone) {
    const uint64_t a = open_file("f");
    const uint64_t b = open_file("f");
    fs_.lock(context_, a, request(kProcessA, LockType::read));
    close(b, kProcessB);
    EXPECT_EQ(held("f"), (std::vector<std::string>{"10:r:0-max"}));
}

TEST_F(FilesystemLocksTest, TheReleaseOfAnOpenEndsTheLocksOfItsDescription) {
    const uint64_t handle = open_file("f");
    constexpr nfs::LockOwner kDescription = 0xF11E;  // flock and OFD locks: the open's own owner
    fs_.lock(context_, handle, request(kDescription, LockType::write));
    fs_.flush(context_, handle, kProcessA);  // a close by a process sharing the description
    EXPECT_EQ(held("f").size(), 1u) << "the description is still open";
    fs_.release_received(handle);
    fs_.release(handle);
    EXPECT_TRUE(held("f").empty());
}

TEST_F(FilesystemLocksTest, AWaiterGetsTheLockOnceTheHolderLetsGo) {
    const uint64_t a = open_file("f");
    const uint64_t b = open_file("f");
    fs_.lock(context_, a, request(kProcessA, LockType::write));
    std::promise<int> outcome;
    fs_.lock_waiting(std::make_shared<CallContext>(), b, request(kProcessB, LockType::write),
                     [&](int errnum) { outcome.set_value(errnum); });
    auto result = outcome.get_future();
    EXPECT_EQ(result.wait_for(300ms), std::future_status::timeout) << "granted while held";
    fs_.unlock(context_, a, kProcessA, kWhole);
    ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(result.get(), 0);
    EXPECT_EQ(held("f"), (std::vector<std::string>{"11:w:0-max"}));
}

TEST_F(FilesystemLocksTest, AFreeLockIsGrantedAtOnceWithoutWaiting) {
    const uint64_t handle = open_file("f");
    int answer = -1;
    fs_.lock_waiting(std::make_shared<CallContext>(), handle, request(kProcessA, LockType::read),
                     [&](int errnum) { answer = errnum; });
    EXPECT_EQ(answer, 0) << "answered before lock_waiting returned";
}

TEST_F(FilesystemLocksTest, ShutdownEndsEveryWaitWithEintr) {
    const uint64_t a = open_file("f");
    const uint64_t b = open_file("f");
    fs_.lock(context_, a, request(kProcessA, LockType::write));
    std::promise<int> outcome;
    fs_.lock_waiting(std::make_shared<CallContext>(), b, request(kProcessB, LockType::read),
                     [&](int errnum) { outcome.set_value(errnum); });
    fs_.shutdown(context_);
    auto result = outcome.get_future();
    ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(result.get(), EINTR);
}

}  // namespace
}  // namespace nfsfuse::vfs
