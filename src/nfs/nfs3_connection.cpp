#include "nfs/nfs3_connection.h"

#include <spdlog/spdlog.h>
#include "nfs/libnfs_headers.h"

#include <algorithm>
#include <chrono>

#include "nfs/mount_protocol.h"
#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

// The largest READ/WRITE we ask for: libnfs caps replies at 1 MiB + 4 KiB.
constexpr uint32_t kMaxTransfer = 1024 * 1024;

std::shared_ptr<spdlog::logger> logger() {
    auto existing = spdlog::get("nfs");
    return existing ? existing : spdlog::default_logger();
}

}  // namespace

Nfs3Connection::Nfs3Connection(const ConnectionSettings& settings) : settings_(settings) {
    const std::string where = settings.host + ":" + settings.export_path;
    const uint32_t uid = settings.identity.uid;
    const uint32_t gid = settings.identity.gid;
    // Mounting is bounded even on hard mounts: a user waiting at `mount` wants an answer.
    const auto mount_timeout =
        std::chrono::milliseconds(settings.call_timeout_ms ? settings.call_timeout_ms : 60000);
    root_ = mount_export(
        {settings.host, settings.export_path, settings.mount_port, uid, gid, mount_timeout});

    nfs_context* context = nfs_init_context();
    if (!context) throw Error(ENOMEM, where + ": cannot create an NFS context");
    nfs_set_uid(context, static_cast<int>(uid));
    nfs_set_gid(context, static_cast<int>(gid));
    nfs_set_version(context, NFS_V3);
    // libnfs takes whole seconds; round up so a short timeo never becomes "no timeout".
    nfs_set_timeout(context, static_cast<int>((mount_timeout.count() + 999) / 1000 * 1000));
    if (settings.nfs_port || settings.mount_port) {
        // Ports can only be set through URL arguments; the URL's own server/path are unused.
        std::string url = "nfs://127.0.0.1/?";
        if (settings.nfs_port) url += "nfsport=" + std::to_string(*settings.nfs_port) + "&";
        if (settings.mount_port) url += "mountport=" + std::to_string(*settings.mount_port);
        nfs_url* parsed = nfs_parse_url_incomplete(context, url.c_str());
        if (!parsed) {
            std::string message = nfs_get_error(context);
            nfs_destroy_context(context);
            throw Error(EINVAL, where + ": cannot set ports: " + message);
        }
        nfs_destroy_url(parsed);
    }
    if (nfs_mount(context, settings.host.c_str(), settings.export_path.c_str()) != 0) {
        std::string message = nfs_get_error(context);
        nfs_destroy_context(context);
        throw Error(EIO, where + ": cannot connect: " + message);
    }
    // From here on: reconnect for ever (a server restart must not kill the mount), and bound each
    // call by the soft timeout, or not at all on a hard mount.
    nfs_set_autoreconnect(context, -1);
    nfs_set_timeout(context, settings.call_timeout_ms
                                 ? static_cast<int>((settings.call_timeout_ms + 999) / 1000 * 1000)
                                 : -1);
    max_read_ = static_cast<uint32_t>(std::min<uint64_t>(nfs_get_readmax(context), kMaxTransfer));
    max_write_ = static_cast<uint32_t>(std::min<uint64_t>(nfs_get_writemax(context), kMaxTransfer));
    driver_ = std::make_unique<RpcDriver>(
        nfs_get_rpc_context(context), [context] { nfs_destroy_context(context); }, settings,
        settings.host, RpcDriver::Reconnect::by_libnfs);
    logger()->info("{}: connected (NFSv3, read {} KiB, write {} KiB)", where, max_read_ / 1024,
                   max_write_ / 1024);
}

Nfs3Connection::~Nfs3Connection() = default;

}  // namespace nfsfuse::nfs
