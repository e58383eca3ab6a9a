#include "nfs/rpc_driver.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "nfs/libnfs_headers.h"

#include <algorithm>
#include <memory>

#include "nfs/rpc_error_text.h"
#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

constexpr auto kServicePollInterval = std::chrono::milliseconds(100);
// Pause between reconnect attempts while the server cannot be reached: short at first so a
// restarted server is found quickly, at most a second so a long outage costs nothing.
constexpr auto kMinReconnectBackoff = std::chrono::milliseconds(50);
constexpr auto kMaxReconnectBackoff = std::chrono::milliseconds(1000);
// libnfs drops a timed-out request itself; our own deadline is a backstop slightly later.
constexpr auto kDeadlineSlack = std::chrono::milliseconds(1500);

std::shared_ptr<spdlog::logger> logger() {
    auto existing = spdlog::get("nfs");
    return existing ? existing : spdlog::default_logger();
}

}  // namespace

// One request in flight. Shared by the waiting caller and the libnfs callback, so whichever
// finishes last frees it; `abandoned` keeps the callback from touching a caller that gave up.
struct RpcDriver::PendingCall {
    RpcDriver* driver = nullptr;
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;                  // guarded by mutex
    bool abandoned = false;             // guarded by mutex
    int rpc_status = 0;                 // guarded by mutex
    std::string rpc_error;              // guarded by mutex
    std::exception_ptr reply_error;     // guarded by mutex
    const OnReply* on_reply = nullptr;  // valid while !abandoned

    bool is_done() {
        std::lock_guard lock(mutex);
        return done;
    }
};

RpcDriver::RpcDriver(rpc_context* rpc, std::function<void()> release,
                     const ConnectionSettings& settings, std::string label, Reconnect reconnect)
    : settings_(settings),
      label_(std::move(label)),
      reconnect_(reconnect),
      liveness_(tcp_liveness_for(std::chrono::milliseconds(
          settings.liveness_timeout_ms ? settings.liveness_timeout_ms : settings.call_timeout_ms))),
      release_(std::move(release)),
      rpc_(rpc) {
    try {
        wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wake_fd_ < 0) throw Error(errno, label_ + ": eventfd failed");
        use_credentials(settings.identity);
    } catch (...) {
        if (wake_fd_ >= 0) close(wake_fd_);
        release_();
        throw;
    }
    apply_liveness();
}

RpcDriver::~RpcDriver() {
    {
        std::lock_guard lock(context_mutex_);
        stopping_ = true;
        service_cv_.notify_all();
    }
    wake_poller();
    if (service_thread_.joinable()) service_thread_.join();
    // Releasing the context fails every request still queued (callbacks see RPC_STATUS_CANCEL);
    // the callbacks count them off under the lock, as always.
    std::lock_guard lock(context_mutex_);
    release_();
    close(wake_fd_);
}

void RpcDriver::start() {
    service_thread_ = std::thread([this] { service_loop(); });
}

bool RpcDriver::closed() {
    std::lock_guard lock(context_mutex_);
    return closed_;
}

void RpcDriver::wake_poller() {
    const uint64_t one = 1;
    // A full eventfd counter still wakes the poll, so a failed write loses nothing.
    [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof one);
}

void RpcDriver::note_connection_state(bool failed, short revents) {
    if (failed && reconnect_ == Reconnect::never) {
        if (closed_) return;
        logger()->info("{}: connection lost ({}); a new one is made at the next call", label_,
                       rpc_error_text(rpc_));
        // Fails whatever is still queued or on the wire: libnfs would keep it for ever.
        rpc_disconnect(rpc_, "the connection failed");
        closed_ = true;
    } else if (failed && !failing_) {
        logger()->warn("{}: connection lost ({}), reconnecting", label_, rpc_error_text(rpc_));
        failing_ = true;
    } else if (!failed && failing_ && (revents & POLLIN)) {
        logger()->info("{}: connection works again", label_);
        failing_ = false;
    }
}

bool RpcDriver::service_once(int timeout_ms, short& revents) {
    pollfd fds[2];
    // POLLRDHUP: the server closed the connection, which libnfs replaces (see below).
    fds[0] = {rpc_get_fd(rpc_), static_cast<short>(rpc_which_events(rpc_) | POLLRDHUP), 0};
    fds[1] = {wake_fd_, POLLIN, 0};
    context_mutex_.unlock();
    // The periodic wake-up also lets libnfs time out requests (it checks inside rpc_service).
    if (poll(fds, 2, timeout_ms) < 0 && errno != EINTR)
        logger()->error("{}: poll on the connection failed: {}", label_, strerror(errno));
    if (fds[1].revents) {
        uint64_t drained;
        [[maybe_unused]] ssize_t got = read(wake_fd_, &drained, sizeof drained);
    }
    context_mutex_.lock();
    revents = fds[0].revents;
    if (stopping_ || closed_) return !closed_;
    // libnfs reconnects inside rpc_service when the socket broke, and reports success; with the
    // server down the new connect fails at once, so the service thread paces the attempts.
    const bool broken = (revents & (POLLERR | POLLHUP)) != 0;
    const bool failed = rpc_service(rpc_, static_cast<short>(revents & ~POLLRDHUP)) < 0 || broken;
    // libnfs made a new socket, or will on the next turn: it knows nothing of keepalive.
    if (failed || (revents & POLLRDHUP)) apply_liveness();
    note_connection_state(failed, revents);
    return !failed;
}

void RpcDriver::apply_liveness() {
    const int fd = rpc_get_fd(rpc_);
    if (fd < 0) return;  // no socket right now: set on the next one
    if (const int failed = apply_tcp_liveness(fd, liveness_))
        logger()->warn("{}: no TCP keepalive on the connection: {}", label_, strerror(failed));
}

void RpcDriver::service_loop() {
    auto backoff = std::chrono::milliseconds(0);  // pause before the next reconnect attempt
    std::unique_lock lock(context_mutex_);
    while (!stopping_) {
        // A driving caller owns the socket; with nothing outstanding there is nothing to read,
        // and a closed connection has nothing at all.
        if (driver_active_ || closed_ || (outstanding_ == 0 && !failing_)) {
            service_cv_.wait_for(lock, kServicePollInterval);
            continue;
        }
        service_polling_ = true;
        if (backoff.count() > 0) {
            // While the server is unreachable every reconnect attempt fails at once; without a
            // pause this loop would spin a core. New requests wait in libnfs's queue meanwhile.
            lock.unlock();
            pollfd wake{wake_fd_, POLLIN, 0};
            poll(&wake, 1, static_cast<int>(backoff.count()));
            lock.lock();
        }
        short revents = 0;
        const bool ok = service_once(static_cast<int>(kServicePollInterval.count()), revents);
        service_polling_ = false;
        if (!ok)
            backoff = std::min(std::max(backoff * 2, kMinReconnectBackoff), kMaxReconnectBackoff);
        else if (revents != 0)
            backoff = std::chrono::milliseconds(0);
    }
}

void RpcDriver::on_rpc_done(rpc_context* rpc, int status, void* data, void* private_data) {
    auto* holder = static_cast<std::shared_ptr<PendingCall>*>(private_data);
    std::shared_ptr<PendingCall> pending = std::move(*holder);
    delete holder;
    --pending->driver->outstanding_;  // the caller of rpc_service holds context_mutex_
    std::lock_guard lock(pending->mutex);
    pending->done = true;
    pending->rpc_status = status;
    if (pending->abandoned) return;
    if (status == RPC_STATUS_SUCCESS) {
        try {
            (*pending->on_reply)(data);
        } catch (...) {
            pending->reply_error = std::current_exception();
        }
    } else {
        pending->rpc_error = (status == RPC_STATUS_ERROR && data) ? static_cast<const char*>(data)
                                                                  : rpc_error_text(rpc);
    }
    pending->done_cv.notify_all();
}

void RpcDriver::drive_until_done(const CallContext& context, Clock::time_point deadline,
                                 PendingCall& pending) {
    const bool soft = settings_.call_timeout_ms != 0;
    std::unique_lock lock(context_mutex_);
    while (!pending.is_done() && !stopping_ && !failing_ && !closed_ && !context.cancelled() &&
           !(soft && Clock::now() >= deadline)) {
        short revents = 0;
        service_once(static_cast<int>(kServicePollInterval.count()), revents);
    }
    // Whatever the others still wait for goes to the service thread (after a failure: with the
    // reconnecting).
    driver_active_ = false;
    if (outstanding_ > 0 || failing_) service_cv_.notify_one();
}

void RpcDriver::use_credentials(const Credentials& who) {
    if (credentials_in_use_ == who) return;
    std::vector<uint32_t> groups(who.groups.begin(),
                                 who.groups.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                          who.groups.size(), kAuthSysMaxGroups)));
    AUTH* auth = libnfs_authunix_create(settings_.machine_name.c_str(), who.uid, who.gid,
                                        static_cast<uint32_t>(groups.size()), groups.data());
    if (!auth)
        throw Error(ENOMEM, "cannot make AUTH_SYS credentials for uid " + std::to_string(who.uid));
    rpc_set_auth(rpc_, auth);  // frees the previous one
    credentials_in_use_ = who;
}

void RpcDriver::call(const CallContext& context, const char* what, const Submit& submit,
                     const OnReply& on_reply) {
    auto pending = std::make_shared<PendingCall>();
    pending->driver = this;
    pending->on_reply = &on_reply;
    const bool soft = settings_.call_timeout_ms != 0;
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(settings_.call_timeout_ms) + kDeadlineSlack;
    bool drive = false;
    {
        std::lock_guard lock(context_mutex_);
        if (closed_)
            throw Error(ECONNRESET,
                        std::string(what) + ": the connection to " + label_ + " is closed");
        use_credentials(context.credentials() ? *context.credentials() : settings_.identity);
        auto* holder = new std::shared_ptr<PendingCall>(pending);
        if (submit(rpc_, &RpcDriver::on_rpc_done, holder) != 0) {
            delete holder;
            throw Error(EIO,
                        std::string(what) + ": cannot queue the request: " + rpc_error_text(rpc_));
        }
        ++outstanding_;
        // Only one thread polls the socket: become the driver only if nobody does yet.
        drive = !driver_active_ && !service_polling_ && !failing_ && !stopping_;
        if (drive) driver_active_ = true;
    }
    if (drive)
        drive_until_done(context, deadline, *pending);
    else
        wake_poller();  // the driver or the service thread sends the request

    std::unique_lock lock(pending->mutex);
    while (!pending->done) {
        if (context.cancelled()) {
            pending->abandoned = true;
            throw Error(EINTR, std::string(what) + ": interrupted");
        }
        if (soft && Clock::now() >= deadline) {
            pending->abandoned = true;
            throw Error(ETIMEDOUT, std::string(what) + ": no reply from " + label_);
        }
        pending->done_cv.wait_for(lock, kServicePollInterval);
    }
    if (pending->reply_error) std::rethrow_exception(pending->reply_error);
    switch (pending->rpc_status) {
        case RPC_STATUS_SUCCESS:
            return;
        case RPC_STATUS_TIMEOUT:
            throw Error(ETIMEDOUT, std::string(what) + ": no reply from " + label_);
        default:
            throw Error(EIO, std::string(what) + ": " + pending->rpc_error);
    }
}

}  // namespace nfsfuse::nfs
