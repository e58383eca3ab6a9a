// The XDR of NFSv3's shared data types (RFC 1813 section 2.6 and 3.3): file handles, fattr3 and
// the optional and weak-cache-consistency attributes that wrap it, sattr3, verifiers. Decoding
// is bounded like all of nfsfuse's decoding (XdrDecoder): a malformed or hostile reply is an
// nfsfuse::Error(EIO) naming the field, never a read outside the reply. Values outside their
// enumerations (file types, nanoseconds of a second or more) are refused, not passed on.
// This replaced libnfs's decoder, which a hostile server could make read outside the reply
// (docs/SECURITY.md).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "nfs/rpc/xdr.h"
#include "nfs/types.h"

namespace nfsfuse::nfs::v3 {

// RFC 1813 limits: NFS3_FHSIZE; names and paths are bounded by what a reply may hold.
constexpr size_t kMaxHandleBytes = 64;
constexpr size_t kMaxNameBytes = 4096;
constexpr size_t kMaxPathBytes = 4096;

// A writeverf3, cookieverf3 or createverf3 (NFS3_WRITEVERFSIZE etc.: 8 opaque bytes), as the
// number whose bytes in memory are the verifier's bytes on the wire.
using Verifier = uint64_t;

void encode_handle(XdrEncoder& out, const FileHandle& handle);
// diropargs3: a directory and a name in it.
void encode_dirop(XdrEncoder& out, const FileHandle& dir, std::string_view name);
void encode_sattr(XdrEncoder& out, const SetAttributes& changes);
void encode_verifier(XdrEncoder& out, Verifier verifier);

FileHandle decode_handle(XdrDecoder& in);
Attributes decode_fattr(XdrDecoder& in);
std::optional<Attributes> decode_post_op_attr(XdrDecoder& in);
std::optional<FileHandle> decode_post_op_handle(XdrDecoder& in);
// wcc_data: an object before a change (as a stamp) and after it (whole attributes), when the
// server says.
struct WccData {
    std::optional<ChangeStamp> before;
    std::optional<Attributes> after;
};
WccData decode_wcc(XdrDecoder& in);
// The same, for a directory: only the stamps matter.
DirectoryChange decode_wcc_data(XdrDecoder& in);
Verifier decode_verifier(XdrDecoder& in, const char* what);

}  // namespace nfsfuse::nfs::v3
