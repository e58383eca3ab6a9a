#include "nfs/nlm_connection.h"

#include "nfs/nlm_status.h"
#include "nfs/nlm_xdr.h"
#include "nfs/portmapper.h"
#include "nfs/tcp_liveness.h"
#include "nfs/time_budget.h"
#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

// Connecting is bounded even on hard mounts, as mounting is: a lock call wants an answer.
constexpr auto kHardMountConnectBound = std::chrono::milliseconds(60000);

// Errors that say nothing serves NLM where we looked: not registered with the portmapper,
// nothing listening on the port, or something there that is not NLM v4.
bool means_no_nlm_service(int errnum) {
    return errnum == ECONNREFUSED || errnum == ECONNRESET || errnum == EPROTONOSUPPORT ||
           errnum == ENOSYS;
}

RpcSettings nlm_rpc_settings(const ConnectionSettings& settings, uint16_t port,
                             std::chrono::milliseconds connect_timeout) {
    RpcSettings rpc;
    rpc.host = settings.host;
    rpc.port = port;
    rpc.program = kNlmProgram;
    rpc.version = kNlmVersion;
    rpc.credentials = AuthSys{0, settings.machine_name, settings.identity};
    rpc.connect_timeout = connect_timeout;
    // As the NFS connections: a server that vanished without a word is found out.
    rpc.liveness = tcp_liveness_for(std::chrono::milliseconds(
        settings.liveness_timeout_ms ? settings.liveness_timeout_ms : settings.call_timeout_ms));
    return rpc;
}

}  // namespace

NlmConnection::NlmConnection(const ConnectionSettings& settings, const CallContext& context)
    : call_timeout_(settings.call_timeout_ms) {
    const std::string where =
        settings.host + " NLM" +
        (settings.nlm_port ? " (port " + std::to_string(*settings.nlm_port) + ")" : "");
    const TimeBudget budget(call_timeout_.count() ? call_timeout_ : kHardMountConnectBound);
    try {
        const uint16_t port = settings.nlm_port
                                  ? *settings.nlm_port
                                  : portmapper_lookup(settings.host, kNlmProgram, kNlmVersion,
                                                      budget.left(), context);
        rpc_ = std::make_unique<RpcConnection>(nlm_rpc_settings(settings, port, budget.left()));
    } catch (const Error& error) {
        if (means_no_nlm_service(error.errnum()))
            throw Error(ENOLCK, std::string(kNoNlmServiceAdvice) + " (" + where + ": " +
                                    error.what() + ")");
        throw Error(error.errnum(), where + ": " + error.what());
    }
}

RpcReply NlmConnection::call(const CallContext& context, const char* what, uint32_t procedure,
                             std::string_view arguments) {
    try {
        return rpc_->call(context, procedure, arguments, call_timeout_);
    } catch (const Error& error) {
        // ECONNREFUSED: RpcConnection connected again after a break and found nobody there.
        if (error.errnum() == ECONNRESET || error.errnum() == ECONNREFUSED)
            broken_.store(true, std::memory_order_release);
        throw Error(error.errnum(), std::string(what) + ": " + error.what());
    }
}

}  // namespace nfsfuse::nfs
