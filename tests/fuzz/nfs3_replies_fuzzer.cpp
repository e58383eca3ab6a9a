// Fuzzes the NFSv3 replies as nfsfuse receives them: libnfs decodes the bytes (its own zdr
// decoder for the reply type, as its RPC layer does before calling us back), then the results go
// through nfs3_convert the way Nfs3Client's callbacks copy them out.
// Input: one byte choosing the reply type, then the reply's XDR (after the RPC header).
// libnfs refusing the bytes is fine; a crash, an overflow or a leak in either part is a finding.
// libnfs 4.0's decoder has such bugs of its own (docs/SECURITY.md: lengths that wrap its 32-bit
// position, fixed-size opaques read without a bounds check), which this target finds within
// seconds; run-fuzzers.sh runs it only when asked (NFSFUSE_FUZZ_TARGETS=nfs3_replies) until
// NFSv3 replies are decoded by something sound. MOUNT's reply is left out: libnfs writes past
// the buffer it allocates for its auth_flavors<> array (a 32-bit count * size that wraps),
// which ASan cannot see in uninstrumented libnfs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/libnfs_headers.h"
#include "nfs/nfs3_convert.h"
#include "nfs/types.h"
#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

// Decodes `bytes` as a `Reply` with libnfs's `decode`, hands it to `use` when it decoded and
// says NFS3_OK, and frees what the decoder allocated.
template <class Reply, class Use>
void decode(std::string_view bytes, uint32_t (*decode)(ZDR*, Reply*), Use use) {
    ZDR zdr;
    zdrmem_create(&zdr, const_cast<char*>(bytes.data()), static_cast<uint32_t>(bytes.size()),
                  ZDR_DECODE);
    Reply reply{};
    if (decode(&zdr, &reply) && reply.status == NFS3_OK) use(reply);
    zdr_destroy(&zdr);
}

void attributes(const post_op_attr& post) {
    if (post.attributes_follow) change_stamp_of(from_fattr3(post.post_op_attr_u.attributes));
}

// Nfs3Client::capture_created: CREATE, MKDIR, SYMLINK and MKNOD replies.
template <class ResOk>
void created(const ResOk& ok) {
    if (ok.obj.handle_follows) from_nfs_fh3(ok.obj.post_op_fh3_u.handle);
    attributes(ok.obj_attributes);
    from_wcc_data(ok.dir_wcc);
}

void decode_reply(uint8_t type, std::string_view bytes) {
    switch (type % 12) {
        case 0:
            return decode(bytes, zdr_GETATTR3res, [](const GETATTR3res& r) {
                from_fattr3(r.GETATTR3res_u.resok.obj_attributes);
            });
        case 1:
            return decode(bytes, zdr_SETATTR3res, [](const SETATTR3res& r) {
                attributes(r.SETATTR3res_u.resok.obj_wcc.after);
            });
        case 2:
            return decode(bytes, zdr_LOOKUP3res, [](const LOOKUP3res& r) {
                from_nfs_fh3(r.LOOKUP3res_u.resok.object);
                attributes(r.LOOKUP3res_u.resok.obj_attributes);
            });
        case 3:
            return decode(bytes, zdr_ACCESS3res, [](const ACCESS3res& r) {
                attributes(r.ACCESS3res_u.resok.obj_attributes);
            });
        case 4:
            return decode(bytes, zdr_READLINK3res, [](const READLINK3res& r) {
                const std::string target = r.READLINK3res_u.resok.data;
            });
        case 5:
            return decode(bytes, zdr_READ3res, [](const READ3res& r) {
                const READ3resok& ok = r.READ3res_u.resok;
                try {
                    const std::string data(read3_data(ok, 4096));
                } catch (const Error&) {
                    // More data than asked for: refused.
                }
                attributes(ok.file_attributes);
            });
        case 6:
            return decode(bytes, zdr_WRITE3res, [](const WRITE3res& r) {
                const WRITE3resok& ok = r.WRITE3res_u.resok;
                if (ok.file_wcc.before.attributes_follow)
                    from_wcc_attr(ok.file_wcc.before.pre_op_attr_u.attributes);
                attributes(ok.file_wcc.after);
            });
        case 7:
            return decode(bytes, zdr_CREATE3res,
                          [](const CREATE3res& r) { created(r.CREATE3res_u.resok); });
        case 8:
            return decode(bytes, zdr_MKDIR3res,
                          [](const MKDIR3res& r) { created(r.MKDIR3res_u.resok); });
        case 9:
            return decode(bytes, zdr_RENAME3res, [](const RENAME3res& r) {
                from_wcc_data(r.RENAME3res_u.resok.fromdir_wcc);
                from_wcc_data(r.RENAME3res_u.resok.todir_wcc);
            });
        case 10:
            return decode(bytes, zdr_READDIRPLUS3res, [](const READDIRPLUS3res& r) {
                std::vector<DirectoryEntry> entries;
                for (const entryplus3* e = r.READDIRPLUS3res_u.resok.reply.entries; e;
                     e = e->nextentry) {
                    DirectoryEntry entry{e->name, e->fileid, std::nullopt};
                    if (e->name_handle.handle_follows && e->name_attributes.attributes_follow)
                        entry.entry =
                            Entry{from_nfs_fh3(e->name_handle.post_op_fh3_u.handle),
                                  from_fattr3(e->name_attributes.post_op_attr_u.attributes),
                                  {}};
                    entries.push_back(std::move(entry));
                }
            });
        case 11:
            return decode(bytes, zdr_COMMIT3res, [](const COMMIT3res& r) {
                from_wcc_data(r.COMMIT3res_u.resok.file_wcc);
            });
    }
}

}  // namespace
}  // namespace nfsfuse::nfs

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    nfsfuse::nfs::decode_reply(data[0],
                               std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
    return 0;
}
