#include "nfs/nlm_connection.h"

#include "nfs/libnfs_headers.h"

#include <chrono>

#include "nfs/nlm_status.h"
#include "nfs/rpc_error_text.h"
#include "nfs/rpc_wait.h"
#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

// Connecting is bounded even on hard mounts, as mounting is: a lock call wants an answer.
constexpr auto kHardMountConnectBound = std::chrono::milliseconds(60000);

// The outcome of connecting, filled in by libnfs's callback.
struct ConnectOutcome {
    bool done = false;
    bool connected = false;
    std::string error;
};

void on_connected(rpc_context* rpc, int status, void* data, void* private_data) {
    auto* outcome = static_cast<ConnectOutcome*>(private_data);
    outcome->done = true;
    outcome->connected = status == RPC_STATUS_SUCCESS;
    if (!outcome->connected)
        outcome->error = (status == RPC_STATUS_ERROR && data) ? static_cast<const char*>(data)
                                                              : rpc_error_text(rpc);
}

}  // namespace

NlmConnection::NlmConnection(const ConnectionSettings& settings, const CallContext& context) {
    const std::string where =
        settings.host + " NLM" +
        (settings.nlm_port ? " (port " + std::to_string(*settings.nlm_port) + ")" : "");
    rpc_context* rpc = rpc_init_context();
    if (!rpc) throw Error(ENOMEM, where + ": cannot create an RPC context");
    ConnectOutcome outcome;
    try {
        const int queued =
            settings.nlm_port
                ? rpc_connect_port_async(rpc, settings.host.c_str(), *settings.nlm_port,
                                         NLM_PROGRAM, NLM_V4, on_connected, &outcome)
                : rpc_connect_program_async(rpc, settings.host.c_str(), NLM_PROGRAM, NLM_V4,
                                            on_connected, &outcome);
        if (queued != 0)
            throw Error(ENOLCK, std::string(kNoNlmServiceAdvice) + " (" + where + ": " +
                                    rpc_error_text(rpc) + ")");
        const auto bound = settings.call_timeout_ms
                               ? std::chrono::milliseconds(settings.call_timeout_ms)
                               : kHardMountConnectBound;
        try {
            service_until(
                rpc, [&] { return outcome.done; }, std::chrono::steady_clock::now() + bound,
                context, where);
        } catch (const Error& error) {
            if (error.errnum() != ECONNREFUSED) throw;
            outcome.error = error.what();
        }
        // Not registered with the portmapper, or nothing listens on the port.
        if (!outcome.connected)
            throw Error(ENOLCK, std::string(kNoNlmServiceAdvice) + " (" + where + ": " +
                                    outcome.error + ")");
    } catch (...) {
        rpc_destroy_context(rpc);
        throw;
    }
    driver_ = std::make_unique<RpcDriver>(
        rpc, [rpc] { rpc_destroy_context(rpc); }, settings, where, RpcDriver::Reconnect::never);
    driver_->start();
}

}  // namespace nfsfuse::nfs
