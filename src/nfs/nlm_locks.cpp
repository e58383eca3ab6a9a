#include "nfs/nlm_locks.h"

#include <spdlog/spdlog.h>
#include "nfs/libnfs_headers.h"

#include <random>
#include <thread>

#include "nfs/nlm_status.h"
#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

// How long to wait before asking a server in its grace period again. Linux's client waits in
// slices too, for ever; ours stop at the call's timeout.
constexpr auto kGraceRetryInterval = std::chrono::milliseconds(1000);
constexpr auto kCancelCheckInterval = std::chrono::milliseconds(100);
// LOCK denied, TEST then finds nobody in the way (the holder let go in between): try again this
// often before answering "held by another" without knowing by whom.
constexpr int kDeniedRounds = 3;

std::shared_ptr<spdlog::logger> logger() {
    auto existing = spdlog::get("nfs");
    return existing ? existing : spdlog::default_logger();
}

uint64_t random_mount_id() {
    std::random_device random;
    return static_cast<uint64_t>(random()) << 32 | random();
}

// The strings an nlm4_lock points into (libnfs wants mutable char*); they live as long as it.
struct WireLock {
    WireLock(const std::string& caller, const FileHandle& fh, std::string owner_handle,
             uint32_t svid, const LockRange& range)
        : caller_name(caller), handle(fh.bytes), oh(std::move(owner_handle)) {
        lock.caller_name = caller_name.data();
        lock.fh.data.data_len = static_cast<u_int>(handle.size());
        lock.fh.data.data_val = handle.data();
        lock.oh = oh.data();
        lock.svid = svid;
        lock.l_offset = range.offset;
        lock.l_len = range.length;  // 0: to the end, in NLM as in LockRange
    }
    WireLock(const WireLock&) = delete;
    WireLock& operator=(const WireLock&) = delete;

    std::string caller_name;
    std::string handle;
    std::string oh;
    nlm4_lock lock{};
};

// begin_call .. end_call of one owner around one lock, unlock or test.
class OwnerCall {
  public:
    OwnerCall(NlmLockState& state, LockOwner owner, uint32_t pid)
        : state_(state), owner_(owner), svid_(state.begin_call(owner, pid)) {}
    ~OwnerCall() { state_.end_call(owner_); }
    OwnerCall(const OwnerCall&) = delete;
    OwnerCall& operator=(const OwnerCall&) = delete;
    uint32_t svid() const { return svid_; }

  private:
    NlmLockState& state_;
    const LockOwner owner_;
    const uint32_t svid_;
};

Error lost_locks_error() {
    return Error(EIO,
                 "NLM LOCK: this owner's locks on the file were lost when the server restarted "
                 "(nfsfuse does not reclaim NFSv3 locks); what they protected may have changed");
}

}  // namespace

NlmLocks::NlmLocks(ConnectionSettings settings, CallCounters& counters)
    : settings_(std::move(settings)), counters_(counters), owners_(random_mount_id()) {}

std::shared_ptr<NlmConnection> NlmLocks::connection(const CallContext& context) {
    std::lock_guard lock(connection_mutex_);
    if (connection_ && !connection_->closed()) return connection_;
    connection_ = std::make_shared<NlmConnection>(settings_, context);
    // A new connection alone says nothing of the locks: they belong to the host, not to the
    // connection, and survive a broken connection. A restart shows in the verifier or grace.
    if (connected_before_)
        logger()->info("{}: connected to the NLM lock service again", settings_.host);
    connected_before_ = true;
    return connection_;
}

void NlmLocks::send(const CallContext& context, const char* what, const RpcDriver::Submit& submit,
                    const RpcDriver::OnReply& on_reply) {
    for (int attempt = 1;; ++attempt) {
        const auto used = connection(context);
        counters_.count(what);
        try {
            used->call(context, what, submit, on_reply);
            return;
        } catch (const Error&) {
            if (attempt > 1 || !used->closed() || context.cancelled()) throw;
        }
    }
}

int NlmLocks::send_lock(const CallContext& context, const FileHandle& fh,
                        const LockRequest& request, uint32_t svid) {
    WireLock wire(settings_.machine_name, fh, owners_.handle_of(request.owner), svid,
                  request.range);
    NLM4_LOCKargs args{};
    args.block = 0;  // nothing here waits: the layer above asks again
    args.exclusive = request.type == LockType::write;
    args.lock = wire.lock;
    args.reclaim = 0;
    args.state = 0;  // our NSM state: we run no statd
    int status = NLM4_FAILED;
    send(
        context, "NLM LOCK",
        [&](rpc_context* rpc, auto cb, void* p) { return rpc_nlm4_lock_async(rpc, cb, &args, p); },
        [&](void* reply) { status = static_cast<NLM4_LOCKres*>(reply)->status; });
    return status;
}

NlmLocks::TestOutcome NlmLocks::send_test(const CallContext& context, const FileHandle& fh,
                                          const LockRequest& request, uint32_t svid) {
    WireLock wire(settings_.machine_name, fh, owners_.handle_of(request.owner), svid,
                  request.range);
    NLM4_TESTargs args{};
    args.exclusive = request.type == LockType::write;
    args.lock = wire.lock;
    TestOutcome outcome{NLM4_FAILED, std::nullopt};
    send(
        context, "NLM TEST",
        [&](rpc_context* rpc, auto cb, void* p) { return rpc_nlm4_test_async(rpc, cb, &args, p); },
        [&](void* data) {
            const auto& reply = static_cast<NLM4_TESTres*>(data)->reply;
            outcome.status = reply.status;
            if (reply.status == NLM4_DENIED)
                outcome.holder = holder_from(reply.nlm4_testreply_u.lock.holder);
        });
    return outcome;
}

int NlmLocks::send_unlock(const CallContext& context, const FileHandle& fh, LockOwner owner,
                          const LockRange& range, uint32_t svid) {
    WireLock wire(settings_.machine_name, fh, owners_.handle_of(owner), svid, range);
    NLM4_UNLOCKargs args{};
    args.lock = wire.lock;
    int status = NLM4_FAILED;
    send(
        context, "NLM UNLOCK",
        [&](rpc_context* rpc, auto cb, void* p) {
            return rpc_nlm4_unlock_async(rpc, cb, &args, p);
        },
        [&](void* reply) { status = static_cast<NLM4_UNLOCKres*>(reply)->status; });
    return status;
}

LockHolder NlmLocks::holder_from(const nlm4_holder& holder) const {
    LockHolder result;
    result.type = holder.exclusive ? LockType::write : LockType::read;
    result.range = {holder.l_offset, holder.l_len};
    result.pid = owners_.holder_pid(holder.oh ? holder.oh : "", holder.svid);
    return result;
}

void NlmLocks::server_restarted(const char* how) {
    const size_t lost = state_.mark_all_lost();
    if (lost == 0) return;
    logger()->warn(
        "{}: {}: the server restarted and lost the locks of {} owner(s) and file(s) of this "
        "mount; nfsfuse does not reclaim NFSv3 locks, so each such owner's next lock on such a "
        "file fails with EIO",
        settings_.host, how, lost);
}

void NlmLocks::note_write_verifier(uint64_t verifier) {
    {
        std::lock_guard lock(verifier_mutex_);
        const bool changed = verifier_ && *verifier_ != verifier;
        verifier_ = verifier;
        if (!changed) return;
    }
    server_restarted("a new write verifier");
}

void NlmLocks::wait_out_grace(const CallContext& context, Clock::time_point started,
                              const char* what) const {
    const auto waited = Clock::now() - started;
    if (settings_.call_timeout_ms && waited >= std::chrono::milliseconds(settings_.call_timeout_ms))
        throw Error(ETIMEDOUT, std::string(what) +
                                   ": the server is still in its grace period after a restart");
    const auto until = Clock::now() + kGraceRetryInterval;
    while (Clock::now() < until) {
        if (context.cancelled()) throw Error(EINTR, std::string(what) + ": interrupted");
        std::this_thread::sleep_for(kCancelCheckInterval);
    }
}

std::optional<LockHolder> NlmLocks::lock(const CallContext& context, const FileHandle& fh, OpenId,
                                         const LockRequest& request) {
    const OwnerCall call(state_, request.owner, request.pid);
    if (state_.take_lost(request.owner, fh)) throw lost_locks_error();
    const auto started = Clock::now();
    for (int denied_rounds = 0;;) {
        int status = NLM4_FAILED;
        try {
            status = send_lock(context, fh, request, call.svid());
        } catch (const Error& error) {
            // No answer: the server may have granted it. Remember it, so that the owner's
            // unlock (at the latest at close) releases it there.
            if (error.errnum() != ENOLCK) state_.granted(request.owner, fh, request.range);
            throw;
        }
        switch (status) {
            case NLM4_GRANTED:
                state_.granted(request.owner, fh, request.range);
                return std::nullopt;
            case NLM4_DENIED: {
                // LOCK's reply does not say who is in the way; TEST does.
                const TestOutcome test = send_test(context, fh, request, call.svid());
                if (test.holder) return test.holder;
                if (++denied_rounds < kDeniedRounds) continue;
                throw Error(EAGAIN, "NLM LOCK: denied, but the holder let go before NLM TEST");
            }
            case NLM4_DENIED_GRACE_PERIOD:
                // Only a restarted server is in its grace period: it lost our locks. It takes
                // only reclaims now, which we do not make: wait, as Linux's client does.
                server_restarted("NLM LOCK refused for the grace period");
                if (state_.take_lost(request.owner, fh)) throw lost_locks_error();
                wait_out_grace(context, started, "NLM LOCK");
                continue;
            default:
                throw nlm4_status_error(status, "NLM LOCK");
        }
    }
}

void NlmLocks::unlock(const CallContext& context, const FileHandle& fh, OpenId, LockOwner owner,
                      const LockRange& range) {
    const OwnerCall call(state_, owner, 0);
    // The layer above unlocks every owner at close: no call (and no connection) for owners that
    // never locked here.
    if (!state_.holds(owner, fh, range)) {
        state_.released(owner, fh, range);
        return;
    }
    const int status = send_unlock(context, fh, owner, range, call.svid());
    if (status == NLM4_DENIED_GRACE_PERIOD) {
        // A server in grace restarted and holds nothing of ours: released all the same.
        server_restarted("NLM UNLOCK refused for the grace period");
    } else if (status != NLM4_GRANTED) {
        throw nlm4_status_error(status, "NLM UNLOCK");
    }
    state_.released(owner, fh, range);
}

std::optional<LockHolder> NlmLocks::test(const CallContext& context, const FileHandle& fh, OpenId,
                                         const LockRequest& request) {
    // The owner's own svid: the server leaves the owner's own locks out of the answer.
    const OwnerCall call(state_, request.owner, request.pid);
    const auto started = Clock::now();
    for (;;) {
        const TestOutcome outcome = send_test(context, fh, request, call.svid());
        switch (outcome.status) {
            case NLM4_GRANTED:
                return std::nullopt;
            case NLM4_DENIED:
                return outcome.holder;
            case NLM4_DENIED_GRACE_PERIOD:
                server_restarted("NLM TEST refused for the grace period");
                wait_out_grace(context, started, "NLM TEST");
                continue;
            default:
                throw nlm4_status_error(outcome.status, "NLM TEST");
        }
    }
}

}  // namespace nfsfuse::nfs
