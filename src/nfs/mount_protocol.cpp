#include "nfs/mount_protocol.h"

#include "nfs/libnfs_headers.h"

#include <memory>

#include "nfs/rpc_error_text.h"
#include "nfs/rpc_wait.h"
#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

// State of the two-step exchange (connect, then MNT), filled in by libnfs callbacks.
struct MountExchange {
    bool connected = false;
    bool done = false;
    int errnum = 0;
    std::string error;
    FileHandle root;
};

int mountstat_to_errno(int status) {
    switch (status) {
        case MNT3ERR_PERM:
            return EPERM;
        case MNT3ERR_NOENT:
            return ENOENT;
        case MNT3ERR_ACCES:
            return EACCES;
        case MNT3ERR_NOTDIR:
            return ENOTDIR;
        case MNT3ERR_NAMETOOLONG:
            return ENAMETOOLONG;
        case MNT3ERR_INVAL:
            return EINVAL;
        case MNT3ERR_NOTSUPP:
            return EOPNOTSUPP;
        default:
            return EIO;
    }
}

void on_mnt_reply(rpc_context* rpc, int status, void* data, void* private_data) {
    auto* exchange = static_cast<MountExchange*>(private_data);
    exchange->done = true;
    if (status != RPC_STATUS_SUCCESS) {
        exchange->errnum = status == RPC_STATUS_TIMEOUT ? ETIMEDOUT : EIO;
        exchange->error = data ? static_cast<const char*>(data) : rpc_error_text(rpc);
        return;
    }
    auto* reply = static_cast<mountres3*>(data);
    if (reply->fhs_status != MNT3_OK) {
        exchange->errnum = mountstat_to_errno(reply->fhs_status);
        exchange->error =
            std::string("the server refused the export: ") + mountstat3_to_str(reply->fhs_status);
        return;
    }
    const auto& handle = reply->mountres3_u.mountinfo.fhandle;
    exchange->root.bytes.assign(handle.fhandle3_val, handle.fhandle3_len);
}

void on_connected(rpc_context* rpc, int status, void* data, void* private_data) {
    auto* exchange = static_cast<MountExchange*>(private_data);
    if (status != RPC_STATUS_SUCCESS) {
        exchange->done = true;
        exchange->errnum = ECONNREFUSED;
        exchange->error = data ? static_cast<const char*>(data) : rpc_error_text(rpc);
        return;
    }
    exchange->connected = true;
}

}  // namespace

FileHandle mount_export(const MountRequest& request) {
    const std::string where = request.host + ":" + request.export_path;
    std::unique_ptr<rpc_context, decltype(&rpc_destroy_context)> rpc(rpc_init_context(),
                                                                     &rpc_destroy_context);
    if (!rpc) throw Error(ENOMEM, where + ": cannot create an RPC context");
    rpc_set_auth(rpc.get(),
                 libnfs_authunix_create("nfsfuse", request.uid, request.gid, 0, nullptr));

    MountExchange exchange;
    const int queued =
        request.mount_port
            ? rpc_connect_port_async(rpc.get(), request.host.c_str(), *request.mount_port,
                                     MOUNT_PROGRAM, MOUNT_V3, on_connected, &exchange)
            : rpc_connect_program_async(rpc.get(), request.host.c_str(), MOUNT_PROGRAM, MOUNT_V3,
                                        on_connected, &exchange);
    if (queued != 0)
        throw Error(EIO, where + ": cannot reach MOUNT service: " + rpc_error_text(rpc.get()));

    const auto deadline = std::chrono::steady_clock::now() + request.timeout;
    const CallContext uncancelled;
    const std::string what = where + ": MOUNT service";
    service_until(
        rpc.get(), [&] { return exchange.connected || exchange.done; }, deadline, uncancelled,
        what);
    if (!exchange.done) {
        std::string export_path = request.export_path;  // libnfs wants a mutable char*
        if (rpc_mount3_mnt_async(rpc.get(), on_mnt_reply, export_path.data(), &exchange) != 0)
            throw Error(EIO, where + ": cannot send MNT: " + rpc_error_text(rpc.get()));
        service_until(
            rpc.get(), [&] { return exchange.done; }, deadline, uncancelled, what);
    }
    if (exchange.errnum != 0) throw Error(exchange.errnum, where + ": " + exchange.error);
    return exchange.root;
}

}  // namespace nfsfuse::nfs
