// What each NFSv3 procedure's successful reply holds (RFC 1813 section 3.3, the *3resok
// structures), decoded from the bytes after the status word. Pure functions over a bounded
// XdrDecoder: Nfs3Client reads its replies with them, and so do the tests and the nfs3_replies
// fuzz target, so what is fuzzed is what runs. A reply that ends early, holds a length beyond
// its bytes or a value outside its type is an nfsfuse::Error(EIO).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/rpc/xdr.h"
#include "nfs/types.h"
#include "nfs/v3/nfs3_xdr.h"

namespace nfsfuse::nfs::v3 {

// nfsstat3: the first word of every reply. 0 is NFS3_OK.
uint32_t decode_status(XdrDecoder& in);

struct LookupResult {
    FileHandle handle;
    std::optional<Attributes> attributes;
};
LookupResult decode_lookup(XdrDecoder& in);

struct AccessResult {
    std::optional<Attributes> attributes;
    uint32_t granted = 0;
};
AccessResult decode_access(XdrDecoder& in);

std::string decode_readlink(XdrDecoder& in);

struct ReadReply {
    std::optional<Attributes> attributes;
    bool eof = false;
    std::string_view data;  // a view into the reply
};
// Data beyond `asked` bytes is refused: a server must not make us take more than we asked for.
ReadReply decode_read(XdrDecoder& in, uint32_t asked);

struct WriteReply {
    WccData file;
    uint32_t count = 0;
    bool stable = false;  // committed is DATA_SYNC or FILE_SYNC
    Verifier verifier = 0;
};
WriteReply decode_write(XdrDecoder& in);

Verifier decode_commit(XdrDecoder& in);

// CREATE, MKDIR, SYMLINK and MKNOD: the new object's handle and attributes when the server sends
// them, and the directory's change.
struct CreatedObject {
    std::optional<FileHandle> handle;
    std::optional<Attributes> attributes;
    DirectoryChange parent_change;
};
CreatedObject decode_created(XdrDecoder& in);

// SETATTR: the object's attributes after the change, when the server says.
std::optional<Attributes> decode_setattr(XdrDecoder& in);
// REMOVE and RMDIR: the directory's change.
DirectoryChange decode_removal(XdrDecoder& in);
RenameChanges decode_rename(XdrDecoder& in);

struct LinkReply {
    std::optional<Attributes> attributes;
    DirectoryChange parent_change;
};
LinkReply decode_link(XdrDecoder& in);

struct ListingReply {
    Verifier cookie_verifier = 0;
    std::vector<DirectoryEntry> entries;
    uint64_t last_cookie = 0;  // of the last entry; unset (0) without entries
    bool eof = false;
};
ListingReply decode_readdirplus(XdrDecoder& in);

FsStats decode_fsstat(XdrDecoder& in);

struct ServerLimits {
    uint32_t max_read = 0;   // rtmax
    uint32_t max_write = 0;  // wtmax
};
ServerLimits decode_fsinfo(XdrDecoder& in);

}  // namespace nfsfuse::nfs::v3
