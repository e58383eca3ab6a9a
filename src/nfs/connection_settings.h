// Where an NFSv3 mount's server is and how its connections behave: the NFS connections
// (Nfs3Connection), the MOUNT call and the NLM lock service's connection (NlmConnection).
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nfs/credentials.h"

namespace nfsfuse::nfs {

struct ConnectionSettings {
    std::string host;
    std::string export_path;
    std::optional<uint16_t> nfs_port;    // skip the portmapper when set
    std::optional<uint16_t> mount_port;  // likewise for MOUNT
    std::optional<uint16_t> nlm_port;    // likewise for the NLM lock service
    // Whom calls are made for unless a call names its own caller (CallContext::credentials), and
    // the machine name AUTH_SYS carries (also NLM's caller_name).
    Credentials identity;
    std::string machine_name = "nfsfuse";
    // 0: wait for ever (hard mount). Otherwise a call fails with ETIMEDOUT after this long.
    uint64_t call_timeout_ms = 0;
    // The mount's timeo * (retrans + 1), hard or soft: how long the connection may stay silent
    // before it is given up and made again (tcp_liveness.h). 0: the soft timeout, or nfs(5)'s.
    uint64_t liveness_timeout_ms = 0;
};

}  // namespace nfsfuse::nfs
