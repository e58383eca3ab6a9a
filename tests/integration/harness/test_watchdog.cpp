#include "harness/test_watchdog.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "harness/emergency_cleanup.h"

namespace nfsfuse::it {

TestWatchdog::TestWatchdog(std::chrono::seconds budget_per_test)
    : budget_(budget_per_test), thread_([this] { watch(); }) {}

TestWatchdog::~TestWatchdog() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void TestWatchdog::OnTestStart(const ::testing::TestInfo& test) {
    {
        std::lock_guard lock(mutex_);
        deadline_ = std::chrono::steady_clock::now() + budget_;
        current_test_ = std::string(test.test_suite_name()) + "." + test.name();
    }
    changed_.notify_all();
}

void TestWatchdog::OnTestEnd(const ::testing::TestInfo&) {
    {
        std::lock_guard lock(mutex_);
        deadline_.reset();
    }
    changed_.notify_all();
}

void TestWatchdog::watch() {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (stopping_) return;
        if (!deadline_) {
            changed_.wait(lock);
            continue;
        }
        const auto deadline = *deadline_;
        if (changed_.wait_until(lock, deadline) == std::cv_status::no_timeout) continue;
        if (!deadline_ || *deadline_ != deadline || stopping_) continue;
        std::cerr << "\n[watchdog] " << current_test_ << " is still running after "
                  << budget_.count() << " s (a hung mount?). Killing nfsfuse, unmounting, "
                  << "stopping ganesha, aborting the test process.\n"
                  << std::flush;
        lock.unlock();
        EmergencyCleanup::instance().run();
        std::cerr << "[watchdog] "
                  << "FAILED: " << current_test_ << " timed out\n"
                  << std::flush;
        ::_exit(124);
    }
}

std::chrono::seconds test_budget_from_environment() {
    if (const char* value = std::getenv("NFSFUSE_IT_TEST_TIMEOUT"); value && *value)
        return std::chrono::seconds(std::strtol(value, nullptr, 10));
    return std::chrono::seconds(300);
}

}  // namespace nfsfuse::it
