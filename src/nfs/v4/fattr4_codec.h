// fattr4 (RFC 8881 section 3.3.11: a bitmap4, then the values of the attributes it names in
// increasing bit order, inside one opaque) to and from nfsfuse's protocol-neutral types.
// Owners travel as strings ("alice@example.com" or "1000"): mapping them to and from uid/gid is
// the caller's job. Decoding knows the attributes of Attr only: XDR has no lengths to skip an
// unknown one by, so a reply holding one fails with EIO naming its bit. Ask with
// file_attribute_request() / fs_attribute_request() (or subsets) and that never happens.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nfs/rpc/xdr.h"
#include "nfs/types.h"
#include "nfs/v4/attr_mask.h"

namespace nfsfuse::nfs::v4 {

// What a SETATTR, CREATE or OPEN with create sets.
struct AttributesToSet {
    std::optional<uint64_t> size;
    std::optional<uint32_t> mode;  // permission bits (07777)
    std::optional<std::string> owner;
    std::optional<std::string> owner_group;
    SetAttributes::Time atime_how = SetAttributes::Time::dont_change;
    timespec atime{};  // for client_value
    SetAttributes::Time mtime_how = SetAttributes::Time::dont_change;
    timespec mtime{};
};

// `owner` and `owner_group` are the names of set.uid and set.gid, used only when those are set.
AttributesToSet attributes_to_set(const SetAttributes& set, std::string owner,
                                  std::string owner_group);
// Only the mode: the owner of a new object is the caller the server sees (AUTH_SYS).
AttributesToSet attributes_to_set(const NewObjectAttributes& attributes);

void encode_fattr4(XdrEncoder& out, const AttributesToSet& attributes);

// A decoded fattr4. Fields of attributes the server did not return keep their defaults: see
// `present`.
struct Fattr4 {
    AttrMask present;
    Attributes attributes;  // fsid: major ^ minor rotated by 32 bits (a fsid4 is two uint64)
    uint64_t change = 0;
    std::optional<FileHandle> filehandle;  // in READDIR entries, when asked for
    std::string owner;
    std::string owner_group;
    FsStats fs_stats;  // space_avail/free/total, files_avail/free/total
    uint64_t maxread = 0;
    uint64_t maxwrite = 0;
    uint32_t maxname = 0;
    uint32_t lease_time = 0;  // seconds
    AttrMask supported_attrs;

    bool has(Attr attr) const { return present.has(attr); }
};

// Throws nfsfuse::Error(EIO) when the fattr4 is malformed, names an attribute we cannot decode,
// or its values are longer or shorter than the attributes it names.
Fattr4 decode_fattr4(XdrDecoder& in);

// What nfsfuse asks for about a file (stat, revalidation) and about its filesystem (statfs).
AttrMask file_attribute_request();
AttrMask fs_attribute_request();
// What READDIR asks for about each entry: the file attributes and its handle, so that the entry
// can be handed to the kernel as looked up (readdirplus) without a LOOKUP per name.
AttrMask readdir_attribute_request();

}  // namespace nfsfuse::nfs::v4
