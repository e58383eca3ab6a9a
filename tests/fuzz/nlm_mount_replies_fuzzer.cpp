// Fuzzes the decoders of the NFSv3 path's side services, as nfsfuse receives their replies: the
// portmapper's GETPORT (MOUNT's, NLM's and NFS's port), MOUNT's MNT (mountres3: the root handle,
// auth_flavors<>) and NLM's nlm4_res (LOCK, UNLOCK) and nlm4_testres (TEST, with the holder).
// Input: one byte choosing the reply type, then the reply's XDR (after the RPC header).
// A malformed reply may only throw nfsfuse::Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nfs/mount_protocol.h"
#include "nfs/nlm_owners.h"
#include "nfs/nlm_xdr.h"
#include "nfs/portmapper.h"
#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

void decode_reply(uint8_t type, std::string_view bytes) {
    switch (type % 4) {
        case 0:
            (void)decode_getport_reply(bytes);
            return;
        case 1: {
            const MountReply reply = decode_mnt_reply(bytes);
            (void)mountstat3_text(reply.status);
            return;
        }
        case 2:
            (void)decode_nlm4_res(bytes);
            return;
        default: {
            // As NlmLocks reads a holder: its owner handle against this mount's owners.
            const Nlm4TestResult result = decode_nlm4_testres(bytes);
            if (result.holder)
                (void)NlmOwners(0x1122334455667788)
                    .holder_pid(result.holder->oh, result.holder->svid);
            return;
        }
    }
}

}  // namespace
}  // namespace nfsfuse::nfs

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    try {
        nfsfuse::nfs::decode_reply(
            data[0], std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
    } catch (const nfsfuse::Error&) {
        // Refused: what a malformed reply must do.
    }
    return 0;
}
