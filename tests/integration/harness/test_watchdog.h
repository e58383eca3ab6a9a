// Aborts the test process when one test runs longer than its budget (a hung mount blocks forever),
// after tearing down what the process started (EmergencyCleanup), so a hang leaves no mount and no
// ganesha behind and ctest gets a clear message instead of its own timeout.
// Thread-safety: the gtest callbacks run on the test thread; the watchdog thread only waits and,
// on expiry, cleans up and calls _exit.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace nfsfuse::it {

class TestWatchdog : public ::testing::EmptyTestEventListener {
  public:
    explicit TestWatchdog(std::chrono::seconds budget_per_test);
    ~TestWatchdog() override;

    void OnTestStart(const ::testing::TestInfo& test) override;
    void OnTestEnd(const ::testing::TestInfo& test) override;

  private:
    void watch();

    const std::chrono::seconds budget_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<std::chrono::steady_clock::time_point> deadline_;  // guarded by mutex_
    std::string current_test_;                                       // guarded by mutex_
    bool stopping_ = false;                                          // guarded by mutex_
    std::thread thread_;
};

// The budget: NFSFUSE_IT_TEST_TIMEOUT seconds if set, else 300 s.
std::chrono::seconds test_budget_from_environment();

}  // namespace nfsfuse::it
