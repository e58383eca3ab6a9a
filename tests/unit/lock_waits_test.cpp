// Blocking lock requests wait on one thread, not the caller's: asked again until the lock is
// taken, a failure ends the wait with its errno, and a caller that gives up is answered EINTR at
// once (wake), as is every waiter when the filesystem stops.
#include "vfs/lock_waits.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

#include "util/error.h"

namespace nfsfuse::vfs {
namespace {

using namespace std::chrono_literals;

// The errno a wait ended with, once it ends.
struct Outcome {
    std::promise<int> promise;
    std::future<int> future = promise.get_future();
    LockWaits::Done done() {
        return [this](int errnum) { promise.set_value(errnum); };
    }
};

TEST(LockWaitsTest, AsksAgainUntilTheLockIsTaken) {
    LockWaits waits;
    std::atomic<int> tries{0};
    Outcome outcome;
    waits.add(
        std::make_shared<nfs::CallContext>(), [&](const nfs::CallContext&) { return ++tries == 3; },
        outcome.done());
    ASSERT_EQ(outcome.future.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(outcome.future.get(), 0);
    EXPECT_EQ(tries.load(), 3);
    EXPECT_EQ(waits.waiting(), 0u);
}

TEST(LockWaitsTest, AFailedTryEndsTheWaitWithItsErrno) {
    LockWaits waits;
    Outcome outcome;
    waits.add(
        std::make_shared<nfs::CallContext>(),
        [](const nfs::CallContext&) -> bool { throw Error(ENOLCK, "no lock service"); },
        outcome.done());
    ASSERT_EQ(outcome.future.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(outcome.future.get(), ENOLCK);
}

TEST(LockWaitsTest, ACallerWhoGivesUpIsAnsweredAtOnce) {
    LockWaits waits;
    auto context = std::make_shared<nfs::CallContext>();
    Outcome outcome;
    waits.add(
        context, [](const nfs::CallContext&) { return false; }, outcome.done());
    std::this_thread::sleep_for(LockWaits::kFirstWait * 3);  // into the back-off
    const auto gave_up = std::chrono::steady_clock::now();
    context->cancel();
    waits.wake();
    ASSERT_EQ(outcome.future.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(outcome.future.get(), EINTR);
    EXPECT_LT(std::chrono::steady_clock::now() - gave_up, LockWaits::kLongestWait)
        << "answered only at the next try";
}

TEST(LockWaitsTest, TheCallersCredentialsGoWithEveryTry) {
    LockWaits waits;
    Outcome outcome;
    std::optional<nfs::Credentials> seen;
    waits.add(
        std::make_shared<nfs::CallContext>(nfs::Credentials{1000, 100, {}}),
        [&](const nfs::CallContext& context) {
            seen = context.credentials();
            return true;
        },
        outcome.done());
    ASSERT_EQ(outcome.future.wait_for(5s), std::future_status::ready);
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->uid, 1000u);
}

TEST(LockWaitsTest, StoppingEndsEveryWaitWithEintrAndRefusesNewOnes) {
    LockWaits waits;
    Outcome first;
    Outcome second;
    Outcome late;
    waits.add(
        std::make_shared<nfs::CallContext>(), [](const nfs::CallContext&) { return false; },
        first.done());
    waits.add(
        std::make_shared<nfs::CallContext>(), [](const nfs::CallContext&) { return false; },
        second.done());
    waits.stop();
    EXPECT_EQ(first.future.get(), EINTR);
    EXPECT_EQ(second.future.get(), EINTR);
    waits.add(
        std::make_shared<nfs::CallContext>(), [](const nfs::CallContext&) { return true; },
        late.done());
    EXPECT_EQ(late.future.get(), EINTR);
}

}  // namespace
}  // namespace nfsfuse::vfs
