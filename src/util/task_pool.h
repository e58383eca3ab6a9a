// Runs tasks on up to `max_threads` threads, started as they are needed (one more whenever a task
// comes and none is idle; none before the first, so a pool made before nfsfuse daemonizes, which
// forks, still works) and kept until the pool ends. Tasks run in no particular order; each may
// block its thread for as long as its NFS calls take (write-behind's WRITEs: vfs::WriteSenders).
// Thread-safety: post() from any thread. The destructor runs every task posted, then joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nfsfuse {

class TaskPool {
  public:
    explicit TaskPool(size_t max_threads);
    ~TaskPool();
    TaskPool(const TaskPool&) = delete;
    TaskPool& operator=(const TaskPool&) = delete;

    void post(std::function<void()> task);

  private:
    void work();

    const size_t max_threads_;
    std::mutex mutex_;
    std::condition_variable task_ready_;
    std::deque<std::function<void()>> tasks_;  // guarded by mutex_
    std::vector<std::thread> threads_;         // guarded by mutex_
    size_t idle_ = 0;                          // guarded by mutex_
    bool ending_ = false;                      // guarded by mutex_
};

}  // namespace nfsfuse
