#include "nfs/nfs3_connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "nfs/mount_protocol.h"
#include "nfs/nfs3_status.h"
#include "nfs/portmapper.h"
#include "nfs/v3/nfs3_results.h"
#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The largest READ/WRITE we ask for, whatever the server offers.
constexpr uint32_t kMaxTransfer = 1024 * 1024;
// A server's rtmax/wtmax below this is ignored, as Linux does (nfs_server_set_fsinfo).
constexpr uint32_t kSmallestTransferLimit = 512;
// Mounting is bounded even on hard mounts.
constexpr milliseconds kHardMountSetupBound{60000};
// Connecting is bounded by this (or the soft timeout) each time; a hard mount then tries again.
constexpr milliseconds kConnectBound{15000};
// Pauses between attempts while the server cannot be reached: short first (a restart), then
// up to a few seconds (an outage must not cost CPU).
constexpr milliseconds kFirstPause{100};
constexpr milliseconds kLongestPause{2000};

std::shared_ptr<spdlog::logger> logger() {
    auto existing = spdlog::get("nfs");
    return existing ? existing : spdlog::default_logger();
}

// Errors after which the same call is sent again on a new connection: those of the connection,
// and connecting that timed out (a hard mount keeps trying).
bool connection_failed(int errnum) {
    return is_connection_failure(errnum) || errnum == ETIMEDOUT;
}

milliseconds setup_bound(const ConnectionSettings& settings) {
    return settings.call_timeout_ms ? milliseconds(settings.call_timeout_ms) : kHardMountSetupBound;
}

RpcSettings rpc_settings(const ConnectionSettings& settings, uint16_t port) {
    RpcSettings rpc;
    rpc.host = settings.host;
    rpc.port = port;
    rpc.program = v3::kNfsProgram;
    rpc.version = v3::kNfsVersion;
    rpc.credentials.machine_name = settings.machine_name;
    rpc.credentials.credentials = settings.identity;
    rpc.connect_timeout = settings.call_timeout_ms
                              ? std::min(kConnectBound, milliseconds(settings.call_timeout_ms))
                              : kConnectBound;
    rpc.liveness = tcp_liveness_for(milliseconds(
        settings.liveness_timeout_ms ? settings.liveness_timeout_ms : settings.call_timeout_ms));
    return rpc;
}

// Sleeps `pause`, in slices, so that a caller who gives up is answered within one.
void pause_unless_cancelled(const CallContext& context, milliseconds pause) {
    const auto until = Clock::now() + pause;
    while (!context.cancelled() && Clock::now() < until)
        std::this_thread::sleep_for(
            std::min(kFirstPause, std::chrono::duration_cast<milliseconds>(until - Clock::now())));
}

}  // namespace

Nfs3Connection::Nfs3Connection(const ConnectionSettings& settings) : settings_(settings) {
    const std::string where = settings.host + ":" + settings.export_path;
    const milliseconds bound = setup_bound(settings);
    const CallContext uncancelled;
    root_ = mount_export({settings.host, settings.export_path, settings.mount_port,
                          settings.identity.uid, settings.identity.gid, bound});
    const uint16_t port = settings.nfs_port
                              ? *settings.nfs_port
                              : portmapper_lookup(settings.host, v3::kNfsProgram, v3::kNfsVersion,
                                                  bound, uncancelled);
    try {
        rpc_ = std::make_unique<RpcConnection>(rpc_settings(settings, port));
        XdrEncoder arguments;
        v3::encode_handle(arguments, root_);
        const RpcReply reply =
            call(uncancelled, v3::Procedure::fsinfo, arguments.bytes(), {}, bound);
        XdrDecoder in(reply.results());
        const uint32_t status = v3::decode_status(in);
        if (status != kNfs3Ok) throw nfs3_status_error(status, "FSINFO");
        const v3::ServerLimits limits = v3::decode_fsinfo(in);
        const auto limit = [](uint32_t offered) {
            return offered >= kSmallestTransferLimit ? std::min(offered, kMaxTransfer)
                                                     : kMaxTransfer;
        };
        max_read_ = limit(limits.max_read);
        max_write_ = limit(limits.max_write);
    } catch (const Error& error) {
        throw Error(error.errnum(), where + ": " + error.what());
    }
    logger()->info("{}: connected (NFSv3, port {}, read {} KiB, write {} KiB)", where, port,
                   max_read_ / 1024, max_write_ / 1024);
}

RpcReply Nfs3Connection::call(const CallContext& context, v3::Procedure procedure,
                              std::string_view arguments, std::string_view payload) {
    return call(context, procedure, arguments, payload, milliseconds(settings_.call_timeout_ms));
}

RpcReply Nfs3Connection::call(const CallContext& context, v3::Procedure procedure,
                              std::string_view arguments, std::string_view payload,
                              milliseconds timeout) {
    const bool bounded = timeout.count() > 0;
    const auto deadline = Clock::now() + timeout;
    const auto remaining = [&] {
        return std::max(milliseconds(1),
                        std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    };
    const char* what = v3::procedure_name(procedure);
    const uint32_t xid = rpc_->take_xid();
    milliseconds pause = kFirstPause;
    for (bool first = true;; first = false) {
        try {
            RpcReply reply = rpc_->call(context, xid, static_cast<uint32_t>(procedure), arguments,
                                        payload, bounded ? remaining() : milliseconds(0));
            if (unreachable_logged_.exchange(false))
                logger()->warn("{}: the server answers again", settings_.host);
            return reply;
        } catch (const Error& error) {
            if (!connection_failed(error.errnum())) throw;
            // A soft call's time is up: its own wait ended, or connecting took the rest.
            if (bounded && (error.errnum() == ETIMEDOUT || Clock::now() >= deadline))
                throw Error(ETIMEDOUT, std::string(what) + ": no reply from " + settings_.host +
                                           " (" + error.what() + ")");
            if (context.cancelled()) throw Error(EINTR, std::string(what) + ": interrupted");
            if (!unreachable_logged_.exchange(true))
                logger()->warn("{}: {}; trying again", settings_.host, error.what());
            // The first resend goes at once: a broken connection is usually made again at once.
            if (!first) {
                pause_unless_cancelled(context, bounded ? std::min(pause, remaining()) : pause);
                pause = std::min(pause * 2, kLongestPause);
            }
        }
    }
}

}  // namespace nfsfuse::nfs
