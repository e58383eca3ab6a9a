// cpp-httplib's task queue for the plugin socket: one thread per connection, up to a limit.
// A Mount of a server that does not answer holds its connection's thread for as long as the
// mount attempt lasts (up to timeo x retrans, minutes); with httplib's fixed pool (8 threads on a
// small host) a few such Mounts would queue Get, List and Path behind them until dockerd gives up
// on the plugin. With a thread per connection the quick calls never wait for a slow one; the limit
// only guards against a client opening connections without end (beyond it, connections wait).
// Thread-safety: enqueue() from httplib's accept thread, shutdown() once, after the last enqueue.
// Ownership: owned by the httplib::Server (new_task_queue); shutdown() waits for every thread.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace nfsfuse::driver {

class ConnectionThreads final : public httplib::TaskQueue {
  public:
    explicit ConnectionThreads(size_t max_threads);
    ~ConnectionThreads() override;

    void enqueue(std::function<void()> connection) override;
    // Serves what is queued, then returns once every thread has finished.
    void shutdown() override;

  private:
    // A thread's life: its first connection, then queued ones, until none is left.
    void serve(std::function<void()> connection);

    const size_t max_threads_;
    std::mutex mutex_;
    std::condition_variable all_done_;
    size_t running_ = 0;                         // guarded by mutex_
    std::deque<std::function<void()>> waiting_;  // guarded by mutex_
};

}  // namespace nfsfuse::driver
