#include "vfs/write_senders.h"

#include <algorithm>

namespace nfsfuse::vfs {

WriteSenders::WriteSenders(size_t threads) : thread_count_(std::max<size_t>(1, threads)) {}

WriteSenders::~WriteSenders() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    for (std::thread& thread : threads_) thread.join();
}

void WriteSenders::post(std::function<void()> job) {
    std::call_once(started_, [this] {
        for (size_t i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { run(); });
    });
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    changed_.notify_one();
}

void WriteSenders::run() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        job();
    }
}

}  // namespace nfsfuse::vfs
