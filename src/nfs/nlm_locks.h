// NFSv3 byte-range locks through the server's NLM v4 lock service: NLM4_LOCK (never blocking:
// the layer above polls for waits), NLM4_UNLOCK and NLM4_TEST. The connection to NLM is made at
// the first call that needs the server, so mounts that never lock cost nothing.
// Server restarts: nfsfuse runs no statd, so it is never told of one and cannot reclaim locks
// (docs/ARCHITECTURE.md, "NFSv3 locks"). It notices one where it reliably can: a new write
// verifier, or a grace-period refusal; then every lock held is lost, and each owner's next
// lock() on such a file fails with EIO once.
// Thread-safety: every method is safe from any thread. Ownership: owned by Nfs3Client.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "nfs/call_counters.h"
#include "nfs/connection_settings.h"
#include "nfs/nfs_client.h"
#include "nfs/nlm_connection.h"
#include "nfs/nlm_lock_state.h"
#include "nfs/nlm_owners.h"
#include "nfs/nlm_xdr.h"

namespace nfsfuse::nfs {

class NlmLocks final : public Locks {
  public:
    // `settings`: the mount's server, NLM port, identity and timeouts. Connects nothing yet.
    // `counters`: where the calls sent are counted ("NLM LOCK", ...); must outlive this.
    NlmLocks(ConnectionSettings settings, CallCounters& counters);

    std::optional<LockHolder> lock(const CallContext& context, const FileHandle& fh, OpenId open,
                                   const LockRequest& request) override;
    void unlock(const CallContext& context, const FileHandle& fh, OpenId open, LockOwner owner,
                const LockRange& range) override;
    std::optional<LockHolder> test(const CallContext& context, const FileHandle& fh, OpenId open,
                                   const LockRequest& request) override;

    // The write verifier of a WRITE or COMMIT reply. The server picks a new one when it starts,
    // so a different one than before means it restarted and lost every lock.
    void note_write_verifier(uint64_t verifier);

  private:
    using Clock = std::chrono::steady_clock;
    struct TestOutcome {
        uint32_t status = 0;
        std::optional<LockHolder> holder;
    };

    // The connection: made at the first call, and again after it failed.
    std::shared_ptr<NlmConnection> connection(const CallContext& context);
    // Sends one call; once more on a new connection when the connection failed under it (every
    // NLM call we make may be sent twice: the same owner's lock is granted again).
    RpcReply send(const CallContext& context, const char* what, uint32_t procedure,
                  std::string_view arguments);
    uint32_t send_lock(const CallContext& context, const FileHandle& fh, const LockRequest& request,
                       uint32_t svid);
    TestOutcome send_test(const CallContext& context, const FileHandle& fh,
                          const LockRequest& request, uint32_t svid);
    uint32_t send_unlock(const CallContext& context, const FileHandle& fh, LockOwner owner,
                         const LockRange& range, uint32_t svid);
    // The nlm4_lock of `owner_handle` (which must outlive it) on `fh`.
    Nlm4Lock wire_lock(const FileHandle& fh, const std::string& owner_handle, uint32_t svid,
                       const LockRange& range) const;
    LockHolder holder_from(const Nlm4Holder& holder) const;
    // The server lost every lock (`how`: what showed it). Logs what this mount lost.
    void server_restarted(const char* how);
    // Waits before asking a server in its grace period again; throws ETIMEDOUT once the call
    // has taken its timeout (soft mounts), EINTR when cancelled.
    void wait_out_grace(const CallContext& context, Clock::time_point started,
                        const char* what) const;

    const ConnectionSettings settings_;
    CallCounters& counters_;
    const NlmOwners owners_;
    NlmLockState state_;
    std::mutex connection_mutex_;  // guards the two below; held while connecting
    std::shared_ptr<NlmConnection> connection_;
    bool connected_before_ = false;
    std::mutex verifier_mutex_;
    std::optional<uint64_t> verifier_;  // guarded by verifier_mutex_
};

}  // namespace nfsfuse::nfs
