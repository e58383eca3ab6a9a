#include "util/task_pool.h"

#include <utility>

namespace nfsfuse {

TaskPool::TaskPool(size_t max_threads) : max_threads_(max_threads == 0 ? 1 : max_threads) {}

TaskPool::~TaskPool() {
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        ending_ = true;
        threads.swap(threads_);
    }
    task_ready_.notify_all();
    for (auto& thread : threads) thread.join();
}

void TaskPool::post(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(task));
        if (idle_ < tasks_.size() && threads_.size() < max_threads_) {
            ++idle_;  // counted as idle until it takes its first task
            threads_.emplace_back([this] { work(); });
            return;
        }
    }
    task_ready_.notify_one();
}

void TaskPool::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        task_ready_.wait(lock, [&] { return !tasks_.empty() || ending_; });
        if (tasks_.empty()) return;  // ending, and nothing left to run
        std::function<void()> task = std::move(tasks_.front());
        tasks_.pop_front();
        --idle_;
        lock.unlock();
        task();
        lock.lock();
        ++idle_;
    }
}

}  // namespace nfsfuse
