// Asks a host's portmapper (rpcbind's version 2 protocol, RFC 1833: program 100000 on TCP port
// 111) on which TCP port an ONC-RPC program runs: MOUNT and NLM always, NFS when no port= is
// given. One GETPORT call on a connection of its own, closed again at once.
// The reply is decoded here with our bounded XDR (decode_getport_reply, testable without a
// socket): a hostile reply fails the lookup with EIO.
// Thread-safety: free functions; call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "nfs/call_context.h"

namespace nfsfuse::nfs {

inline constexpr uint16_t kPortmapperPort = 111;
inline constexpr uint32_t kPortmapperProgram = 100000;
inline constexpr uint32_t kPortmapperVersion = 2;
inline constexpr uint32_t kPmapProcGetport = 3;

// PMAPPROC_GETPORT's argument: the mapping {program, version, IPPROTO_TCP, port 0}.
std::string encode_getport_args(uint32_t program, uint32_t version);
// The port in a GETPORT reply's results; 0 when the program is not registered. Throws
// nfsfuse::Error(EIO) when the reply is short or the port is above 65535.
uint16_t decode_getport_reply(std::string_view results);

// The TCP port of `program` `version` on `host`, bounded by `timeout` (connecting included) and
// `context`'s cancellation. Throws nfsfuse::Error naming the host and the program: ECONNREFUSED
// when the program is not registered (or no portmapper listens), ETIMEDOUT, EINTR, EIO for a
// malformed reply, or what connecting failed with.
uint16_t portmapper_lookup(const std::string& host, uint32_t program, uint32_t version,
                           std::chrono::milliseconds timeout, const CallContext& context);

// "MOUNT v3 (program 100005)" and the like, for messages.
std::string rpc_program_name(uint32_t program, uint32_t version);

}  // namespace nfsfuse::nfs
