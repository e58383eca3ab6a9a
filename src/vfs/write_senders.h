// The threads that carry write-behind's WRITEs (and background flushes) to the server, so an
// application's write() returns while its data is on the wire. Jobs run in no particular order
// across threads; a File itself keeps overlapping WRITEs apart.
// Thread-safety: post() may be called from any thread. The destructor runs every job still
// queued (their writers were told "done"), then joins the threads.
// Ownership: owned by the Filesystem, outlives every File that posts to it.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nfsfuse::vfs {

class WriteSenders {
  public:
    explicit WriteSenders(size_t threads);
    ~WriteSenders();
    WriteSenders(const WriteSenders&) = delete;
    WriteSenders& operator=(const WriteSenders&) = delete;

    // Runs `job` on one of the threads, which start with the first job: nfsfuse daemonizes
    // (forks) after building the filesystem, and threads do not survive a fork.
    void post(std::function<void()> job);

  private:
    void run();

    const size_t thread_count_;
    std::once_flag started_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::function<void()>> jobs_;  // guarded by mutex_
    bool stopping_ = false;                   // guarded by mutex_
    std::vector<std::thread> threads_;
};

}  // namespace nfsfuse::vfs
