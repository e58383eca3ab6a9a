#include "nfs/nlm_locks.h"

#include <spdlog/spdlog.h>

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
    if (connection_ && !connection_->broken()) return connection_;
    connection_ = std::make_shared<NlmConnection>(settings_, context);
    // A new connection alone says nothing of the locks: they belong to the host, not to the
    // connection, and survive a broken connection. A restart shows in the verifier or grace.
    if (connected_before_)
        logger()->info("{}: connected to the NLM lock service again", settings_.host);
    connected_before_ = true;
    return connection_;
}

RpcReply NlmLocks::send(const CallContext& context, const char* what, uint32_t procedure,
                        std::string_view arguments) {
    for (int attempt = 1;; ++attempt) {
        const auto used = connection(context);
        counters_.count(what);
        try {
            return used->call(context, what, procedure, arguments);
        } catch (const Error&) {
            if (attempt > 1 || !used->broken() || context.cancelled()) throw;
        }
    }
}

Nlm4Lock NlmLocks::wire_lock(const FileHandle& fh, const std::string& owner_handle, uint32_t svid,
                             const LockRange& range) const {
    // l_len 0: to the end, in NLM as in LockRange.
    return {settings_.machine_name, fh.bytes, owner_handle, svid, range.offset, range.length};
}

uint32_t NlmLocks::send_lock(const CallContext& context, const FileHandle& fh,
                             const LockRequest& request, uint32_t svid) {
    const std::string oh = owners_.handle_of(request.owner);
    // block = false: nothing here waits, the layer above asks again. reclaim = false, state 0:
    // we run no statd, so we have no NSM state and reclaim nothing.
    const RpcReply reply =
        send(context, "NLM LOCK", kNlm4Lock,
             encode_nlm4_lock_args(false, request.type == LockType::write,
                                   wire_lock(fh, oh, svid, request.range), false, 0));
    return decode_nlm4_res(reply.results());
}

NlmLocks::TestOutcome NlmLocks::send_test(const CallContext& context, const FileHandle& fh,
                                          const LockRequest& request, uint32_t svid) {
    const std::string oh = owners_.handle_of(request.owner);
    const RpcReply reply = send(context, "NLM TEST", kNlm4Test,
                                encode_nlm4_test_args(request.type == LockType::write,
                                                      wire_lock(fh, oh, svid, request.range)));
    const Nlm4TestResult result = decode_nlm4_testres(reply.results());
    TestOutcome outcome{result.status, std::nullopt};
    if (result.holder) outcome.holder = holder_from(*result.holder);
    return outcome;
}

uint32_t NlmLocks::send_unlock(const CallContext& context, const FileHandle& fh, LockOwner owner,
                               const LockRange& range, uint32_t svid) {
    const std::string oh = owners_.handle_of(owner);
    const RpcReply reply = send(context, "NLM UNLOCK", kNlm4Unlock,
                                encode_nlm4_unlock_args(wire_lock(fh, oh, svid, range)));
    return decode_nlm4_res(reply.results());
}

LockHolder NlmLocks::holder_from(const Nlm4Holder& holder) const {
    LockHolder result;
    result.type = holder.exclusive ? LockType::write : LockType::read;
    result.range = {holder.offset, holder.length};
    result.pid = owners_.holder_pid(holder.oh, holder.svid);
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
        uint32_t status = kNlm4Failed;
        try {
            status = send_lock(context, fh, request, call.svid());
        } catch (const Error& error) {
            // No answer: the server may have granted it. Remember it, so that the owner's
            // unlock (at the latest at close) releases it there.
            if (error.errnum() != ENOLCK) state_.granted(request.owner, fh, request.range);
            throw;
        }
        switch (status) {
            case kNlm4Granted:
                state_.granted(request.owner, fh, request.range);
                return std::nullopt;
            case kNlm4Denied: {
                // LOCK's reply does not say who is in the way; TEST does.
                const TestOutcome test = send_test(context, fh, request, call.svid());
                if (test.holder) return test.holder;
                if (++denied_rounds < kDeniedRounds) continue;
                throw Error(EAGAIN, "NLM LOCK: denied, but the holder let go before NLM TEST");
            }
            case kNlm4DeniedGracePeriod:
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
    const uint32_t status = send_unlock(context, fh, owner, range, call.svid());
    if (status == kNlm4DeniedGracePeriod) {
        // A server in grace restarted and holds nothing of ours: released all the same.
        server_restarted("NLM UNLOCK refused for the grace period");
    } else if (status != kNlm4Granted) {
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
            case kNlm4Granted:
                return std::nullopt;
            case kNlm4Denied:
                return outcome.holder;
            case kNlm4DeniedGracePeriod:
                server_restarted("NLM TEST refused for the grace period");
                wait_out_grace(context, started, "NLM TEST");
                continue;
            default:
                throw nlm4_status_error(outcome.status, "NLM TEST");
        }
    }
}

}  // namespace nfsfuse::nfs
