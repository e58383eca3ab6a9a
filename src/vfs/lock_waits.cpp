#include "vfs/lock_waits.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "util/error.h"

namespace nfsfuse::vfs {

LockWaits::~LockWaits() {
    stop();
}

void LockWaits::stop() {
    std::vector<Waiter> left;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        left.swap(waiters_);
    }
    changed_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    for (Waiter& waiter : left) waiter.done(EINTR);
}

void LockWaits::add(std::shared_ptr<const nfs::CallContext> context, Attempt attempt, Done done) {
    bool stopping = false;
    {
        std::lock_guard lock(mutex_);
        stopping = stopping_;
        if (!stopping) {
            waiters_.push_back({std::move(context), std::move(attempt), std::move(done),
                                Clock::now() + kFirstWait, kFirstWait});
            if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
        }
    }
    if (stopping) {
        done(EINTR);  // nobody will try it any more
        return;
    }
    changed_.notify_all();
}

void LockWaits::wake() {
    changed_.notify_all();
}

size_t LockWaits::waiting() {
    std::lock_guard lock(mutex_);
    return waiters_.size();
}

bool LockWaits::try_once(Waiter& waiter) {
    if (waiter.context->cancelled()) {
        waiter.done(EINTR);
        return true;
    }
    try {
        if (!waiter.attempt(*waiter.context)) return false;
        waiter.done(0);
    } catch (const Error& error) {
        if (error.errnum() != EINTR) spdlog::warn("waiting for a lock: {}", error.what());
        waiter.done(error.errnum());
    } catch (const std::exception& error) {
        spdlog::error("waiting for a lock: unexpected failure: {}", error.what());
        waiter.done(EIO);
    }
    return true;
}

void LockWaits::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        const auto due = std::find_if(waiters_.begin(), waiters_.end(), [](const Waiter& waiter) {
            return waiter.context->cancelled() || waiter.next_try <= Clock::now();
        });
        if (due == waiters_.end()) {
            auto next = Clock::time_point::max();
            for (const Waiter& waiter : waiters_) next = std::min(next, waiter.next_try);
            if (next == Clock::time_point::max())
                changed_.wait(lock);
            else
                changed_.wait_until(lock, next);
            continue;
        }
        // Out of the list while it is tried: add() may grow the list meanwhile.
        Waiter waiter = std::move(*due);
        waiters_.erase(due);
        lock.unlock();
        const bool finished = try_once(waiter);
        lock.lock();
        if (finished) continue;
        waiter.wait = std::min(waiter.wait * 2, kLongestWait);
        waiter.next_try = Clock::now() + waiter.wait;
        if (stopping_) {
            lock.unlock();
            waiter.done(EINTR);
            lock.lock();
        } else {
            waiters_.push_back(std::move(waiter));
        }
    }
}

}  // namespace nfsfuse::vfs
