#include "fusefs/request_loop.h"

#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace nfsfuse::fusefs {
namespace {

// What the signal handler needs, and all it may touch: a signal handler has no other way to reach
// the loop. Set only while a loop runs (one per process).
std::atomic<int> signal_stop_fd{-1};
std::atomic<int> stopping_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "used from a signal handler");

constexpr std::array kStopSignals{SIGINT, SIGTERM, SIGHUP};

void on_stop_signal(int signal) {
    const int saved_errno = errno;
    stopping_signal.store(signal);
    const uint64_t one = 1;
    if (const int fd = signal_stop_fd.load(); fd >= 0) {
        [[maybe_unused]] const ssize_t written = ::write(fd, &one, sizeof one);
    }
    errno = saved_errno;
}

// Installs the stop handler for the loop's lifetime and puts back what was there before.
class StopSignals {
  public:
    explicit StopSignals(int stop_fd) {
        stopping_signal.store(0);
        signal_stop_fd.store(stop_fd);
        struct sigaction action {};
        action.sa_handler = on_stop_signal;
        // Restarted: the signal may land in a thread in the middle of an NFS call.
        action.sa_flags = SA_RESTART;
        sigemptyset(&action.sa_mask);
        for (size_t i = 0; i < kStopSignals.size(); ++i)
            ::sigaction(kStopSignals[i], &action, &previous_[i]);
    }
    ~StopSignals() {
        for (size_t i = 0; i < kStopSignals.size(); ++i)
            ::sigaction(kStopSignals[i], &previous_[i], nullptr);
        signal_stop_fd.store(-1);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

  private:
    std::array<struct sigaction, kStopSignals.size()> previous_{};
};

// Gives the adapter and the filesystem the loop's device while the loop runs, and no longer.
class DeviceAttachment {
  public:
    DeviceAttachment(FuseAdapter& adapter, FuseDevice& device) : adapter_(adapter) {
        adapter_.set_device(&device);
        adapter_.filesystem().set_release_barrier([&device] { device.settle(); });
    }
    ~DeviceAttachment() {
        adapter_.filesystem().set_release_barrier(nullptr);
        adapter_.set_device(nullptr);
    }
    DeviceAttachment(const DeviceAttachment&) = delete;
    DeviceAttachment& operator=(const DeviceAttachment&) = delete;

  private:
    FuseAdapter& adapter_;
};

int make_stop_fd() {
    const int fd = ::eventfd(0, EFD_CLOEXEC);
    if (fd < 0) throw Error(errno, "cannot create an eventfd for the FUSE loop");
    return fd;
}

}  // namespace

RequestLoop::RequestLoop(FuseAdapter& adapter, size_t max_threads, ReleaseObserver on_release,
                         FuseDevice::Settings device_settings)
    : adapter_(adapter),
      session_(adapter.session()),
      device_settings_(device_settings),
      max_threads_(max_threads == 0 ? 1 : max_threads),
      on_release_(std::move(on_release)),
      stop_fd_(make_stop_fd()) {}

RequestLoop::~RequestLoop() {
    ::close(stop_fd_);
}

RequestLoop::Outcome RequestLoop::run() {
    const StopSignals signals(stop_fd_);
    // Non-blocking: a request the kernel withdraws (its caller was interrupted) between our poll
    // and our read must not leave the reader stuck in read(), deaf to a stop.
    const int fuse_fd = fuse_session_fd(session_);
    if (::fcntl(fuse_fd, F_SETFL, ::fcntl(fuse_fd, F_GETFL) | O_NONBLOCK) != 0)
        throw Error(errno, "cannot make the FUSE device non-blocking");

    FuseDevice device(
        fuse_fd, device_settings_, [this](UringRequest request) { serve_from_queue(request); },
        on_release_);
    if (const int result = fuse_session_custom_io(session_, &FuseDevice::io(), fuse_fd);
        result != 0)
        throw Error(-result, "libfuse refused the FUSE device's I/O");
    const DeviceAttachment attachment(adapter_, device);

    {
        std::lock_guard lock(receive_mutex_);
        start_worker();
    }
    pollfd stop_wait{.fd = stop_fd_, .events = POLLIN, .revents = 0};
    while (::poll(&stop_wait, 1, -1) < 0 && errno == EINTR) {
    }
    fuse_session_exit(session_);

    std::vector<std::thread> workers;
    {
        // Once the stop is visible no worker takes another request, so none starts another.
        std::lock_guard lock(receive_mutex_);
        workers.swap(workers_);
    }
    for (auto& worker : workers) worker.join();
    device.stop();
    return Outcome{.signal = stopping_signal.load(), .error = read_error_.load()};
}

void RequestLoop::start_worker() {
    ++idle_workers_;
    workers_.emplace_back([this] { work(); });
}

void RequestLoop::work() {
    fuse_buf buffer{};  // libfuse allocates its memory at the first read
    for (;;) {
        std::unique_lock lock(receive_mutex_);
        const int received = receive(buffer);
        if (received <= 0) {
            if (received < 0) read_error_.store(-received);
            stop();
            break;
        }
        announce_if_release(buffer);
        // Someone must be reading while this thread is busy.
        if (--idle_workers_ == 0 && workers_.size() < max_threads_) start_worker();
        lock.unlock();

        fuse_session_process_buf(session_, &buffer);
        ++idle_workers_;
    }
    std::free(buffer.mem);
}

int RequestLoop::receive(fuse_buf& buffer) {
    std::array<pollfd, 2> waits{
        pollfd{.fd = stop_fd_, .events = POLLIN, .revents = 0},
        pollfd{.fd = fuse_session_fd(session_), .events = POLLIN, .revents = 0}};
    for (;;) {
        if (fuse_session_exited(session_)) return 0;
        if (::poll(waits.data(), waits.size(), -1) < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (waits[0].revents != 0) return 0;
        // Also when the device reports an error: the read then says which (ENODEV: unmounted).
        const int received = fuse_session_receive_buf(session_, &buffer);
        if (received == -EAGAIN || received == -EINTR) continue;
        if (received < 0)
            spdlog::error("reading from the FUSE device: {}", std::strerror(-received));
        return received;
    }
}

void RequestLoop::announce_if_release(const fuse_buf& buffer) const {
    // The session never asks for spliced reads (see op_init), so requests are in memory; were one
    // not, it could not be announced, and saying so beats a silent wrong link count.
    if ((buffer.flags & FUSE_BUF_IS_FD) != 0) {
        spdlog::error("a FUSE request arrived through a pipe: its RELEASE cannot be announced");
        return;
    }
    const auto* header = static_cast<const fuse_in_header*>(buffer.mem);
    if (header->opcode != FUSE_RELEASE) return;
    if (buffer.size < sizeof(fuse_in_header) + sizeof(fuse_release_in)) return;
    const auto* release = reinterpret_cast<const fuse_release_in*>(header + 1);
    if (release->fh != 0) on_release_(release->fh);
}

void RequestLoop::serve_from_queue(UringRequest request) {
    fuse_buf buffer{};
    buffer.mem = request.memory;
    buffer.size = request.size;
    fuse_session_process_buf(session_, &buffer);
}

void RequestLoop::stop() {
    fuse_session_exit(session_);
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(stop_fd_, &one, sizeof one);
}

}  // namespace nfsfuse::fusefs
