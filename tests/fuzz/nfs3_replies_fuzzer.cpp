// Fuzzes the NFSv3 replies as nfsfuse receives them: the reply's status, then on NFS3_OK the
// procedure's results, read by the very decoders Nfs3Client reads them with (nfs/v3).
// Input: one byte choosing the reply type, then the reply's XDR (after the RPC header).
// Refusing the bytes (nfsfuse::Error) is fine; a crash, an out-of-bounds access, undefined
// behaviour or a leak is a finding. (This target once found libnfs 4.0's decoder bugs, which is
// why NFSv3 replies are no longer decoded by libnfs: docs/SECURITY.md.)
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nfs/rpc/xdr.h"
#include "nfs/v3/nfs3_results.h"
#include "util/error.h"

namespace nfsfuse::nfs::v3 {
namespace {

// What a READ asks for at most in this target, as Nfs3Client passes its READ's count.
constexpr uint32_t kAsked = 4096;

void decode_results(uint8_t type, XdrDecoder& in) {
    switch (type % 16) {
        case 0:
            decode_fattr(in);  // GETATTR
            return;
        case 1:
            decode_setattr(in);
            return;
        case 2:
            decode_lookup(in);
            return;
        case 3:
            decode_access(in);
            return;
        case 4:
            decode_readlink(in);
            return;
        case 5:
            decode_read(in, kAsked);
            return;
        case 6:
            decode_write(in);
            return;
        case 7:  // CREATE
        case 8:  // MKDIR (SYMLINK and MKNOD reply alike)
            decode_created(in);
            return;
        case 9:
            decode_rename(in);
            return;
        case 10:
            decode_readdirplus(in);
            return;
        case 11:
            decode_commit(in);
            return;
        case 12:
            decode_fsstat(in);
            return;
        case 13:
            decode_fsinfo(in);
            return;
        case 14:
            decode_link(in);
            return;
        case 15:
            decode_removal(in);
            return;
    }
}

}  // namespace
}  // namespace nfsfuse::nfs::v3

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    nfsfuse::nfs::XdrDecoder in(
        std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
    try {
        if (nfsfuse::nfs::v3::decode_status(in) == 0) nfsfuse::nfs::v3::decode_results(data[0], in);
    } catch (const nfsfuse::Error&) {
        // A malformed reply: refused, as it must be.
    }
    return 0;
}
