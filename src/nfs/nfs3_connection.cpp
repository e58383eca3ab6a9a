#include "nfs/nfs3_connection.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "nfs/libnfs_headers.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>

#include "nfs/mount_protocol.h"
#include "nfs/tcp_liveness.h"
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
// The largest READ/WRITE we ask for: libnfs caps replies at 1 MiB + 4 KiB.
constexpr uint32_t kMaxTransfer = 1024 * 1024;

std::shared_ptr<spdlog::logger> logger() {
    auto existing = spdlog::get("nfs");
    return existing ? existing : spdlog::default_logger();
}

}  // namespace

// One request in flight. Shared by the waiting caller and the libnfs callback, so whichever
// finishes last frees it; `abandoned` keeps the callback from touching a caller that gave up.
struct Nfs3Connection::PendingCall {
    Nfs3Connection* connection = nullptr;
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

Nfs3Connection::Nfs3Connection(const ConnectionSettings& settings)
    : settings_(settings),
      liveness_(tcp_liveness_for(std::chrono::milliseconds(settings.liveness_timeout_ms
                                                               ? settings.liveness_timeout_ms
                                                               : settings.call_timeout_ms))) {
    const std::string where = settings.host + ":" + settings.export_path;
    const uint32_t uid = settings.identity.uid;
    const uint32_t gid = settings.identity.gid;
    // Mounting is bounded even on hard mounts: a user waiting at `mount` wants an answer.
    const auto mount_timeout =
        std::chrono::milliseconds(settings.call_timeout_ms ? settings.call_timeout_ms : 60000);
    root_ = mount_export(
        {settings.host, settings.export_path, settings.mount_port, uid, gid, mount_timeout});

    context_ = nfs_init_context();
    if (!context_) throw Error(ENOMEM, where + ": cannot create an NFS context");
    nfs_set_uid(context_, static_cast<int>(uid));
    nfs_set_gid(context_, static_cast<int>(gid));
    nfs_set_version(context_, NFS_V3);
    // libnfs takes whole seconds; round up so a short timeo never becomes "no timeout".
    nfs_set_timeout(context_, static_cast<int>((mount_timeout.count() + 999) / 1000 * 1000));
    if (settings.nfs_port || settings.mount_port) {
        // Ports can only be set through URL arguments; the URL's own server/path are unused.
        std::string url = "nfs://127.0.0.1/?";
        if (settings.nfs_port) url += "nfsport=" + std::to_string(*settings.nfs_port) + "&";
        if (settings.mount_port) url += "mountport=" + std::to_string(*settings.mount_port);
        nfs_url* parsed = nfs_parse_url_incomplete(context_, url.c_str());
        if (!parsed) {
            std::string message = nfs_get_error(context_);
            nfs_destroy_context(context_);
            throw Error(EINVAL, where + ": cannot set ports: " + message);
        }
        nfs_destroy_url(parsed);
    }
    if (nfs_mount(context_, settings.host.c_str(), settings.export_path.c_str()) != 0) {
        std::string message = nfs_get_error(context_);
        nfs_destroy_context(context_);
        throw Error(EIO, where + ": cannot connect: " + message);
    }
    // From here on: reconnect for ever (a server restart must not kill the mount), and bound each
    // call by the soft timeout, or not at all on a hard mount.
    nfs_set_autoreconnect(context_, -1);
    nfs_set_timeout(context_, settings.call_timeout_ms
                                  ? static_cast<int>((settings.call_timeout_ms + 999) / 1000 * 1000)
                                  : -1);
    rpc_ = nfs_get_rpc_context(context_);
    use_credentials(settings.identity);
    apply_liveness();
    max_read_ = static_cast<uint32_t>(std::min<uint64_t>(nfs_get_readmax(context_), kMaxTransfer));
    max_write_ =
        static_cast<uint32_t>(std::min<uint64_t>(nfs_get_writemax(context_), kMaxTransfer));
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) {
        nfs_destroy_context(context_);
        throw Error(errno, "eventfd failed");
    }
    logger()->info("{}: connected (NFSv3, read {} KiB, write {} KiB)", where, max_read_ / 1024,
                   max_write_ / 1024);
}

Nfs3Connection::~Nfs3Connection() {
    {
        std::lock_guard lock(context_mutex_);
        stopping_ = true;
        service_cv_.notify_all();
    }
    wake_poller();
    if (service_thread_.joinable()) service_thread_.join();
    // Destroying the context fails every request still queued (callbacks see RPC_STATUS_CANCEL);
    // the callbacks count them off under the lock, as always.
    std::lock_guard lock(context_mutex_);
    if (context_) nfs_destroy_context(context_);
    if (wake_fd_ >= 0) close(wake_fd_);
}

void Nfs3Connection::start() {
    service_thread_ = std::thread([this] { service_loop(); });
}

void Nfs3Connection::wake_poller() {
    const uint64_t one = 1;
    // A full eventfd counter still wakes the poll, so a failed write loses nothing.
    [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof one);
}

void Nfs3Connection::note_connection_state(bool failed, short revents) {
    if (failed && !failing_) {
        logger()->warn("{}: connection lost ({}), reconnecting", settings_.host,
                       rpc_get_error(rpc_));
        failing_ = true;
    } else if (!failed && failing_ && (revents & POLLIN)) {
        logger()->info("{}: connection works again", settings_.host);
        failing_ = false;
    }
}

bool Nfs3Connection::service_once(int timeout_ms, short& revents) {
    pollfd fds[2];
    // POLLRDHUP: the server closed the connection, which libnfs replaces (see below).
    fds[0] = {rpc_get_fd(rpc_), static_cast<short>(rpc_which_events(rpc_) | POLLRDHUP), 0};
    fds[1] = {wake_fd_, POLLIN, 0};
    context_mutex_.unlock();
    // The periodic wake-up also lets libnfs time out requests (it checks inside rpc_service).
    if (poll(fds, 2, timeout_ms) < 0 && errno != EINTR)
        logger()->error("poll on the NFS connection failed: {}", strerror(errno));
    if (fds[1].revents) {
        uint64_t drained;
        [[maybe_unused]] ssize_t got = read(wake_fd_, &drained, sizeof drained);
    }
    context_mutex_.lock();
    revents = fds[0].revents;
    if (stopping_) return true;
    // libnfs reconnects inside rpc_service when the socket broke, and reports success; with the
    // server down the new connect fails at once, so the service thread paces the attempts.
    const bool broken = (revents & (POLLERR | POLLHUP)) != 0;
    const bool failed = rpc_service(rpc_, static_cast<short>(revents & ~POLLRDHUP)) < 0 || broken;
    // libnfs made a new socket, or will on the next turn: it knows nothing of keepalive.
    if (failed || (revents & POLLRDHUP)) apply_liveness();
    note_connection_state(failed, revents);
    return !failed;
}

void Nfs3Connection::apply_liveness() {
    const int fd = rpc_get_fd(rpc_);
    if (fd < 0) return;  // no socket right now: set on the next one
    if (const int failed = apply_tcp_liveness(fd, liveness_))
        logger()->warn("{}: no TCP keepalive on the connection: {}", settings_.host,
                       strerror(failed));
}

void Nfs3Connection::service_loop() {
    auto backoff = std::chrono::milliseconds(0);  // pause before the next reconnect attempt
    std::unique_lock lock(context_mutex_);
    while (!stopping_) {
        // A driving caller owns the socket; with nothing outstanding there is nothing to read.
        if (driver_active_ || (outstanding_ == 0 && !failing_)) {
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

void Nfs3Connection::on_rpc_done(rpc_context* rpc, int status, void* data, void* private_data) {
    auto* holder = static_cast<std::shared_ptr<PendingCall>*>(private_data);
    std::shared_ptr<PendingCall> pending = std::move(*holder);
    delete holder;
    --pending->connection->outstanding_;  // the caller of rpc_service holds context_mutex_
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
                                                                  : rpc_get_error(rpc);
    }
    pending->done_cv.notify_all();
}

void Nfs3Connection::drive_until_done(const CallContext& context, Clock::time_point deadline,
                                      PendingCall& pending) {
    const bool soft = settings_.call_timeout_ms != 0;
    std::unique_lock lock(context_mutex_);
    while (!pending.is_done() && !stopping_ && !failing_ && !context.cancelled() &&
           !(soft && Clock::now() >= deadline)) {
        short revents = 0;
        service_once(static_cast<int>(kServicePollInterval.count()), revents);
    }
    // Whatever the others still wait for goes to the service thread (after a failure: with the
    // reconnecting).
    driver_active_ = false;
    if (outstanding_ > 0 || failing_) service_cv_.notify_one();
}

void Nfs3Connection::use_credentials(const Credentials& who) {
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

void Nfs3Connection::call(const CallContext& context, const char* what, const Submit& submit,
                          const OnReply& on_reply) {
    auto pending = std::make_shared<PendingCall>();
    pending->connection = this;
    pending->on_reply = &on_reply;
    const bool soft = settings_.call_timeout_ms != 0;
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(settings_.call_timeout_ms) + kDeadlineSlack;
    bool drive = false;
    {
        std::lock_guard lock(context_mutex_);
        use_credentials(context.credentials() ? *context.credentials() : settings_.identity);
        auto* holder = new std::shared_ptr<PendingCall>(pending);
        if (submit(rpc_, &Nfs3Connection::on_rpc_done, holder) != 0) {
            delete holder;
            throw Error(EIO,
                        std::string(what) + ": cannot queue the request: " + rpc_get_error(rpc_));
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
            throw Error(ETIMEDOUT, std::string(what) + ": no reply from " + settings_.host);
        }
        pending->done_cv.wait_for(lock, kServicePollInterval);
    }
    if (pending->reply_error) std::rethrow_exception(pending->reply_error);
    switch (pending->rpc_status) {
        case RPC_STATUS_SUCCESS:
            return;
        case RPC_STATUS_TIMEOUT:
            throw Error(ETIMEDOUT, std::string(what) + ": no reply from " + settings_.host);
        default:
            throw Error(EIO, std::string(what) + ": " + pending->rpc_error);
    }
}

}  // namespace nfsfuse::nfs
