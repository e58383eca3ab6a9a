#include "nfs/portmapper.h"

#include <netinet/in.h>

#include <limits>

#include "nfs/rpc/rpc_connection.h"
#include "nfs/rpc/xdr.h"
#include "nfs/time_budget.h"
#include "util/error.h"

namespace nfsfuse::nfs {

std::string encode_getport_args(uint32_t program, uint32_t version) {
    XdrEncoder out;
    out.u32(program);
    out.u32(version);
    out.u32(IPPROTO_TCP);
    out.u32(0);  // the port: ignored in a question
    return out.take();
}

uint16_t decode_getport_reply(std::string_view results) {
    XdrDecoder in(results);
    const uint32_t port = in.u32("GETPORT port");
    if (port > std::numeric_limits<uint16_t>::max())
        throw Error(EIO,
                    "malformed XDR: GETPORT port " + std::to_string(port) + " is not a TCP port");
    return static_cast<uint16_t>(port);
}

std::string rpc_program_name(uint32_t program, uint32_t version) {
    const char* name = program == 100003               ? "NFS"
                       : program == 100005             ? "MOUNT"
                       : program == 100021             ? "NLM"
                       : program == kPortmapperProgram ? "portmapper"
                                                       : "program";
    return std::string(name) + " v" + std::to_string(version) + " (program " +
           std::to_string(program) + ")";
}

uint16_t portmapper_lookup(const std::string& host, uint32_t program, uint32_t version,
                           std::chrono::milliseconds timeout, const CallContext& context) {
    const std::string what =
        host + ": the portmapper's port for " + rpc_program_name(program, version);
    const TimeBudget budget(timeout);
    uint16_t port = 0;
    try {
        RpcSettings settings;
        settings.host = host;
        settings.port = kPortmapperPort;
        settings.program = kPortmapperProgram;
        settings.version = kPortmapperVersion;
        settings.credentials = AuthSys{0, "nfsfuse", {}};
        settings.connect_timeout = timeout;
        RpcConnection portmapper(std::move(settings));
        const RpcReply reply = portmapper.call(
            context, kPmapProcGetport, encode_getport_args(program, version), budget.left());
        port = decode_getport_reply(reply.results());
    } catch (const Error& error) {
        throw Error(error.errnum(), what + ": " + error.what());
    }
    if (port == 0)
        throw Error(ECONNREFUSED, host + ": " + rpc_program_name(program, version) +
                                      " is not registered with the portmapper");
    return port;
}

}  // namespace nfsfuse::nfs
