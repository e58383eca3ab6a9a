// Fuzzes the XDR decoder's primitives and the RPC reply header. The input's first bytes are a
// little program: each byte picks the next XdrDecoder call (and for opaque data its limit); the
// rest is the data they decode. The whole input is also read as an RPC reply record, as
// RpcConnection does with every record it receives (reply_xid, then decode_reply_header).
// Decoding past the end or over a limit may only throw nfsfuse::Error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nfs/rpc/rpc_message.h"
#include "nfs/rpc/xdr.h"
#include "util/error.h"

namespace {

using nfsfuse::nfs::XdrDecoder;

// How many of the first bytes are calls: a byte with the top bit clear ends the program.
constexpr size_t kMaxCalls = 16;
// Limits for opaque<>, as the decoders pass them (a handle, NFS4_OPAQUE_LIMIT, a name, any).
constexpr size_t kLimits[] = {128, 1024, 4096, SIZE_MAX};

void run_call(XdrDecoder& in, uint8_t call) {
    const size_t limit = kLimits[(call >> 3) % 4];
    switch (call % 8) {
        case 0:
            in.u32("u32");
            break;
        case 1:
            in.u64("u64");
            break;
        case 2:
            in.boolean("boolean");
            break;
        case 3:
            in.opaque(limit, "opaque");
            break;
        case 4:
            in.opaque_view(limit, "opaque view");
            break;
        case 5:
            in.bitmap("bitmap");
            break;
        case 6:
            in.fixed_opaque(limit == SIZE_MAX ? in.remaining() : limit % 17, "fixed opaque");
            break;
        case 7:
            in.skip(call >> 5, "skipped");
            break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace nfsfuse::nfs;
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    size_t calls = 0;
    while (calls < size && calls < kMaxCalls && (data[calls] & 0x80) != 0) ++calls;
    XdrDecoder in(bytes.substr(calls));
    try {
        for (size_t i = 0; i < calls; ++i) run_call(in, data[i] & 0x7f);
    } catch (const nfsfuse::Error&) {
        // Refused: past the end, or over a limit.
    }
    try {
        reply_xid(bytes);
        XdrDecoder record(bytes);
        decode_reply_header(record);
    } catch (const nfsfuse::Error&) {
        // Refused, or the server did not run the procedure: both are errors for the caller.
    }
    return 0;
}
