#include "nfs/mount_protocol.h"

#include <poll.h>
#include "nfs/libnfs_headers.h"

#include <memory>

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
        exchange->error = data ? static_cast<const char*>(data) : rpc_get_error(rpc);
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
        exchange->error = data ? static_cast<const char*>(data) : rpc_get_error(rpc);
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
        throw Error(EIO, where + ": cannot reach MOUNT service: " + rpc_get_error(rpc.get()));

    const auto deadline = std::chrono::steady_clock::now() + request.timeout;
    bool mnt_sent = false;
    while (!exchange.done) {
        if (exchange.connected && !mnt_sent) {
            std::string export_path = request.export_path;  // libnfs wants a mutable char*
            if (rpc_mount3_mnt_async(rpc.get(), on_mnt_reply, export_path.data(), &exchange) != 0)
                throw Error(EIO, where + ": cannot send MNT: " + rpc_get_error(rpc.get()));
            mnt_sent = true;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            throw Error(ETIMEDOUT, where + ": no answer from the MOUNT service within " +
                                       std::to_string(request.timeout.count()) + " ms");
        pollfd pfd{rpc_get_fd(rpc.get()), static_cast<short>(rpc_which_events(rpc.get())), 0};
        if (poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 100))) < 0 &&
            errno != EINTR)
            throw Error(errno, where + ": poll failed");
        if (rpc_service(rpc.get(), pfd.revents) < 0 && !exchange.done)
            throw Error(ECONNREFUSED, where + ": MOUNT service: " + rpc_get_error(rpc.get()));
    }
    if (exchange.errnum != 0) throw Error(exchange.errnum, where + ": " + exchange.error);
    return exchange.root;
}

}  // namespace nfsfuse::nfs
