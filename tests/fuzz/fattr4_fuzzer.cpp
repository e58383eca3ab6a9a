// Fuzzes fattr4 decoding (decode_fattr4: a bitmap4 and the values it names) as GETATTR, OPEN and
// every READDIR entry use it, and the attribute masks the client compares with what it asked for.
// Input: a fattr4 as it appears on the wire. A malformed one may only throw nfsfuse::Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nfs/v4/fattr4_codec.h"
#include "nfs/v4/owner_names.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace nfsfuse::nfs;
    using namespace nfsfuse::nfs::v4;
    XdrDecoder in(std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        const Fattr4 fattr = decode_fattr4(in);
        // What READDIR checks before handing an entry out as looked up, and the owners mapped
        // to ids as every attribute reply is.
        (void)fattr.present.has_all(readdir_attribute_request());
        (void)fattr.supported_attrs.has_all(file_attribute_request());
        (void)uid_from_owner(fattr.owner);
        (void)gid_from_group(fattr.owner_group);
    } catch (const nfsfuse::Error&) {
        // Refused: what a malformed fattr4 must do.
    }
    return 0;
}
