#include "nfs/rpc/rpc_message.h"

#include <algorithm>
#include <string>

#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

constexpr uint32_t kCall = 0;
constexpr uint32_t kReply = 1;
constexpr uint32_t kRpcVersion = 2;
constexpr uint32_t kAuthNone = 0;
constexpr uint32_t kAuthSys = 1;
constexpr uint32_t kMsgAccepted = 0;
constexpr uint32_t kMsgDenied = 1;
// accept_stat
constexpr uint32_t kSuccess = 0;
constexpr uint32_t kProgUnavail = 1;
constexpr uint32_t kProgMismatch = 2;
constexpr uint32_t kProcUnavail = 3;
constexpr uint32_t kGarbageArgs = 4;
constexpr uint32_t kSystemErr = 5;
// reject_stat
constexpr uint32_t kRpcMismatch = 0;
// A verifier's body is at most 400 bytes (RFC 5531 opaque_auth).
constexpr size_t kMaxAuthBody = 400;

std::string auth_error_name(uint32_t status) {
    switch (status) {
        case 1:
            return "AUTH_BADCRED";
        case 2:
            return "AUTH_REJECTEDCRED";
        case 3:
            return "AUTH_BADVERF";
        case 4:
            return "AUTH_REJECTEDVERF";
        case 5:
            return "AUTH_TOOWEAK";
        default:
            return "auth_stat " + std::to_string(status);
    }
}

}  // namespace

void encode_authsys_parms(XdrEncoder& out, const AuthSys& machine, const Credentials& who) {
    out.u32(machine.stamp);
    out.string(machine.machine_name);
    out.u32(who.uid);
    out.u32(who.gid);
    const size_t groups = std::min(who.groups.size(), kAuthSysMaxGroups);
    out.u32(static_cast<uint32_t>(groups));
    for (size_t i = 0; i < groups; ++i) out.u32(who.groups[i]);
}

void encode_call_header(XdrEncoder& out, const CallHeader& call, const AuthSys& machine,
                        const Credentials& who) {
    out.u32(call.xid);
    out.u32(kCall);
    out.u32(kRpcVersion);
    out.u32(call.program);
    out.u32(call.version);
    out.u32(call.procedure);
    XdrEncoder body;
    encode_authsys_parms(body, machine, who);
    out.u32(kAuthSys);
    out.opaque(body.bytes());
    out.u32(kAuthNone);  // verifier
    out.u32(0);
}

uint32_t reply_xid(std::string_view record) {
    XdrDecoder in(record);
    const uint32_t xid = in.u32("RPC xid");
    if (in.u32("RPC message type") != kReply)
        throw Error(EIO, "RPC: a CALL came where a REPLY was expected");
    return xid;
}

void decode_reply_header(XdrDecoder& in) {
    in.u32("RPC xid");
    if (in.u32("RPC message type") != kReply) throw Error(EIO, "RPC: not a REPLY");
    const uint32_t reply_status = in.u32("RPC reply status");
    if (reply_status == kMsgDenied) {
        const uint32_t reject = in.u32("RPC reject status");
        if (reject == kRpcMismatch) {
            const uint32_t low = in.u32("RPC version low");
            const uint32_t high = in.u32("RPC version high");
            throw Error(EPROTONOSUPPORT, "RPC: the server speaks RPC versions " +
                                             std::to_string(low) + "-" + std::to_string(high) +
                                             ", not 2");
        }
        throw Error(EACCES, "RPC: the server refused our credentials (" +
                                auth_error_name(in.u32("RPC auth status")) + ")");
    }
    if (reply_status != kMsgAccepted)
        throw Error(EIO, "RPC: unknown reply status " + std::to_string(reply_status));
    in.u32("RPC verifier flavor");
    in.opaque_view(kMaxAuthBody, "RPC verifier");
    const uint32_t accept = in.u32("RPC accept status");
    switch (accept) {
        case kSuccess:
            return;
        case kProgUnavail:
            throw Error(EPROTONOSUPPORT, "RPC: the server does not offer this program");
        case kProgMismatch: {
            const uint32_t low = in.u32("RPC program version low");
            const uint32_t high = in.u32("RPC program version high");
            throw Error(EPROTONOSUPPORT, "RPC: the server offers versions " + std::to_string(low) +
                                             "-" + std::to_string(high) + " of this program");
        }
        case kProcUnavail:
            throw Error(ENOSYS, "RPC: the server does not offer this procedure");
        case kGarbageArgs:
            throw Error(EIO, "RPC: the server could not decode our arguments (GARBAGE_ARGS)");
        case kSystemErr:
            throw Error(EIO, "RPC: the server failed (SYSTEM_ERR)");
        default:
            throw Error(EIO, "RPC: unknown accept status " + std::to_string(accept));
    }
}

}  // namespace nfsfuse::nfs
