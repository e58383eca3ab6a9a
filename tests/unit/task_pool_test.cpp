// TaskPool: every task posted runs, threads start only when tasks need them and never exceed the
// bound, and the destructor runs what is still queued.
#include "util/task_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

namespace nfsfuse {
namespace {

// Holds tasks until opened, counting how many wait at once.
class Gate {
  public:
    void pass() {
        std::unique_lock lock(mutex_);
        ++waiting_;
        most_waiting_ = std::max(most_waiting_, waiting_);
        changed_.notify_all();
        changed_.wait(lock, [&] { return open_; });
        --waiting_;
    }
    void wait_for_waiting(int count) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return waiting_ >= count; });
    }
    void open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }
    int most_waiting() {
        std::lock_guard lock(mutex_);
        return most_waiting_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int waiting_ = 0;
    int most_waiting_ = 0;
    bool open_ = false;
};

TEST(TaskPoolTest, TasksThatBlockGetThreadsOfTheirOwnUpToTheBound) {
    Gate gate;
    std::atomic<int> done{0};
    {
        TaskPool pool(3);
        for (int i = 0; i < 10; ++i)
            pool.post([&] {
                gate.pass();
                ++done;
            });
        gate.wait_for_waiting(3);  // three threads, each blocked in a task
        gate.open();
    }
    EXPECT_EQ(done.load(), 10) << "the other seven ran on the same three threads";
    EXPECT_EQ(gate.most_waiting(), 3) << "never more threads than the bound";
}

TEST(TaskPoolTest, TheDestructorRunsTasksStillQueued) {
    std::atomic<int> done{0};
    Gate gate;
    {
        TaskPool pool(1);
        pool.post([&] { gate.pass(); });
        for (int i = 0; i < 5; ++i) pool.post([&] { ++done; });
        gate.wait_for_waiting(1);
        gate.open();
    }
    EXPECT_EQ(done.load(), 5);
}

}  // namespace
}  // namespace nfsfuse
