#include "nfs/mount_protocol.h"

#include "nfs/call_context.h"
#include "nfs/portmapper.h"
#include "nfs/rpc/rpc_connection.h"
#include "nfs/rpc/xdr.h"
#include "nfs/time_budget.h"
#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

// mountstat3 (RFC 1813 appendix I).
constexpr uint32_t kMnt3Ok = 0;
constexpr uint32_t kMnt3ErrPerm = 1;
constexpr uint32_t kMnt3ErrNoent = 2;
constexpr uint32_t kMnt3ErrIo = 5;
constexpr uint32_t kMnt3ErrAcces = 13;
constexpr uint32_t kMnt3ErrNotdir = 20;
constexpr uint32_t kMnt3ErrInval = 22;
constexpr uint32_t kMnt3ErrNametoolong = 63;
constexpr uint32_t kMnt3ErrNotsupp = 10004;
constexpr uint32_t kMnt3ErrServerfault = 10006;

}  // namespace

int mountstat3_to_errno(uint32_t status) {
    switch (status) {
        case kMnt3ErrPerm:
            return EPERM;
        case kMnt3ErrNoent:
            return ENOENT;
        case kMnt3ErrAcces:
            return EACCES;
        case kMnt3ErrNotdir:
            return ENOTDIR;
        case kMnt3ErrNametoolong:
            return ENAMETOOLONG;
        case kMnt3ErrInval:
            return EINVAL;
        case kMnt3ErrNotsupp:
            return EOPNOTSUPP;
        default:
            return EIO;
    }
}

std::string mountstat3_text(uint32_t status) {
    switch (status) {
        case kMnt3Ok:
            return "MNT3_OK";
        case kMnt3ErrPerm:
            return "MNT3ERR_PERM: not the owner";
        case kMnt3ErrNoent:
            return "MNT3ERR_NOENT: no such export";
        case kMnt3ErrIo:
            return "MNT3ERR_IO: I/O error on the server";
        case kMnt3ErrAcces:
            return "MNT3ERR_ACCES: access denied";
        case kMnt3ErrNotdir:
            return "MNT3ERR_NOTDIR: not a directory";
        case kMnt3ErrInval:
            return "MNT3ERR_INVAL: invalid argument";
        case kMnt3ErrNametoolong:
            return "MNT3ERR_NAMETOOLONG: the path is too long";
        case kMnt3ErrNotsupp:
            return "MNT3ERR_NOTSUPP: operation not supported";
        case kMnt3ErrServerfault:
            return "MNT3ERR_SERVERFAULT: the server failed";
        default:
            return "unknown mountstat3 " + std::to_string(status);
    }
}

std::string encode_mnt_args(std::string_view export_path) {
    if (export_path.size() > kMountPathMax)
        throw Error(ENAMETOOLONG, "the export path is longer than MOUNT's " +
                                      std::to_string(kMountPathMax) + " bytes");
    XdrEncoder out;
    out.string(export_path);
    return out.take();
}

MountReply decode_mnt_reply(std::string_view results) {
    XdrDecoder in(results);
    MountReply reply;
    reply.status = in.u32("mountres3 fhs_status");
    if (reply.status != kMnt3Ok) return reply;
    reply.root.bytes = in.opaque(kNfs3HandleMax, "mountres3 fhandle");
    // auth_flavors<>: a count, then that many 32-bit flavors. The count is checked against the
    // bytes there before anything uses it (libnfs allocated count * 4 in 32 bits, which wraps).
    const uint32_t flavors = in.u32("mountres3 auth_flavors count");
    if (flavors > in.remaining() / 4)
        throw Error(EIO, "malformed XDR: mountres3 auth_flavors count " + std::to_string(flavors) +
                             " with " + std::to_string(in.remaining()) + " bytes left");
    in.skip(size_t{flavors} * 4, "mountres3 auth_flavors");
    return reply;
}

FileHandle mount_export(const MountRequest& request) {
    const std::string where = request.host + ":" + request.export_path;
    const CallContext uncancelled;  // a mount is bounded by its timeout alone
    const TimeBudget budget(request.timeout);
    MountReply reply;
    try {
        RpcSettings settings;
        settings.host = request.host;
        settings.port = request.mount_port
                            ? *request.mount_port
                            : portmapper_lookup(request.host, kMountProgram, kMountVersion,
                                                budget.left(), uncancelled);
        settings.program = kMountProgram;
        settings.version = kMountVersion;
        settings.credentials = AuthSys{0, "nfsfuse", {request.uid, request.gid, {}}};
        settings.connect_timeout = budget.left();
        RpcConnection mount(std::move(settings));
        const RpcReply answer = mount.call(uncancelled, kMountProcMnt,
                                           encode_mnt_args(request.export_path), budget.left());
        reply = decode_mnt_reply(answer.results());
    } catch (const Error& error) {
        throw Error(error.errnum(), where + ": MOUNT service: " + error.what());
    }
    if (reply.status != kMnt3Ok)
        throw Error(mountstat3_to_errno(reply.status),
                    where + ": the server refused the export: " + mountstat3_text(reply.status));
    return reply.root;
}

}  // namespace nfsfuse::nfs
