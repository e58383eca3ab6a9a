// ONC-RPC version 2 messages (RFC 5531) as nfsfuse's NFSv4.1 client sends and receives them: a
// CALL header with AUTH_SYS credentials (RFC 5531 appendix A) and no verifier, and the REPLY
// header, whose refusals become errors here so callers only ever see a procedure's results.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/credentials.h"
#include "nfs/rpc/xdr.h"

namespace nfsfuse::nfs {

// AUTH_SYS credentials: the machine calling, and whom a call is made for unless the call names
// its own caller (CallContext::credentials).
struct AuthSys {
    uint32_t stamp = 0;
    std::string machine_name;
    Credentials credentials;
};

// The body of an AUTH_SYS credential (authsys_parms) for `machine` calling as `who`; groups past
// the 16 AUTH_SYS holds are left out.
void encode_authsys_parms(XdrEncoder& out, const AuthSys& machine, const Credentials& who);

struct CallHeader {
    uint32_t xid = 0;
    uint32_t program = 0;
    uint32_t version = 0;
    uint32_t procedure = 0;
};

void encode_call_header(XdrEncoder& out, const CallHeader& call, const AuthSys& machine,
                        const Credentials& who);

// The xid of a REPLY record (its first word), so it can be matched to its call before decoding.
// Throws EIO when the record is too short or not a REPLY.
uint32_t reply_xid(std::string_view record);

// Reads the REPLY header up to the procedure's results. Throws nfsfuse::Error when the server did
// not run the procedure: EACCES for an authentication refusal, EPROTONOSUPPORT for an unknown
// program or version, ENOSYS for an unknown procedure, EIO otherwise; the message says which.
void decode_reply_header(XdrDecoder& in);

}  // namespace nfsfuse::nfs
