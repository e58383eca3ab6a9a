#include "driver/connection_threads.h"

#include <spdlog/spdlog.h>

#include <system_error>
#include <thread>
#include <utility>

namespace nfsfuse::driver {

ConnectionThreads::ConnectionThreads(size_t max_threads) : max_threads_(max_threads) {}

ConnectionThreads::~ConnectionThreads() {
    shutdown();
}

void ConnectionThreads::enqueue(std::function<void()> connection) {
    {
        std::lock_guard lock(mutex_);
        if (running_ >= max_threads_) {
            waiting_.push_back(std::move(connection));
            return;
        }
        ++running_;
    }
    try {
        std::thread(&ConnectionThreads::serve, this, connection).detach();
    } catch (const std::system_error& error) {
        // No thread to be had (EAGAIN): served here, on the accepting thread, rather than lost.
        spdlog::warn("cannot start a thread for a plugin connection: {}", error.what());
        {
            std::lock_guard lock(mutex_);
            --running_;
        }
        connection();
        std::lock_guard lock(mutex_);
        if (running_ == 0 && waiting_.empty()) all_done_.notify_all();
    }
}

void ConnectionThreads::serve(std::function<void()> connection) {
    for (;;) {
        connection();  // httplib's task: reads requests, answers, closes the connection
        std::lock_guard lock(mutex_);
        if (waiting_.empty()) {
            if (--running_ == 0) all_done_.notify_all();
            return;
        }
        connection = std::move(waiting_.front());
        waiting_.pop_front();
    }
}

void ConnectionThreads::shutdown() {
    std::unique_lock lock(mutex_);
    all_done_.wait(lock, [this] { return running_ == 0 && waiting_.empty(); });
}

}  // namespace nfsfuse::driver
