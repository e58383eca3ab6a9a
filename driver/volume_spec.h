// What a Docker volume of nfsfuse is: the validated form of `docker volume create -o k=v` options.
// Thread-safety: plain values and pure functions. Parsing is the one place volume options are
// checked; the driver persists the raw options and parses them again on start-up.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nfsfuse::driver {

enum class MountMode { kernel, fuse, auto_select };

// "kernel" | "fuse" | "auto". Throws Error(EINVAL) for anything else.
MountMode parse_mount_mode(const std::string& text);
std::string to_string(MountMode mode);

enum class NfsVersion { v3, v4_0, v4_1 };
// "3", "4.0" or "4.1": what the vers option takes.
std::string to_string(NfsVersion version);

struct VolumeSpec {
    std::string server;       // host name or IP literal (IPv6 without brackets)
    std::string export_path;  // absolute path on the server
    std::string subdir;       // relative path inside the export ("" = the export itself)
    MountMode mode = MountMode::kernel;
    NfsVersion version = NfsVersion::v4_1;
    std::optional<uint16_t> port;
    std::optional<uint16_t> mount_port;  // NFSv3's MOUNT service, for servers without a portmapper
    bool read_only = false;
    std::optional<uint32_t> uid;  // fuse mode: AUTH_SYS credentials nfsfuse sends
    std::optional<uint32_t> gid;
    bool hard = false;
    std::optional<uint32_t> timeo;  // tenths of a second
    std::optional<uint32_t> retrans;
    // Extra kernel NFS options from `nfsopts=`, each checked against a whitelist ("noac",
    // "actimeo=30", ...). Never contains commas, nor nosuid/nodev (always mount flags).
    std::vector<std::string> kernel_options;
    // Extra nfsfuse options from `fuseopts=`, each valid for nfsfuse's own parser.
    std::vector<std::string> fuse_options;
    // `cow=true`: the share is mounted read-only as the lower layer of an overlay whose upper
    // layer lives on local disk, so containers write without ever writing the share.
    bool cow = false;
    // `volatile=true` (cow only): the upper layer is discarded after the last Unmount.
    bool volatile_upper = false;
};

// Validates Docker's Opts map. Accepted keys: server, path, share (server:/path instead of the
// two), mode, vers, port, mountport (vers=3 only), ro, uid, gid, soft, hard, timeo, retrans,
// subdir, nfsopts, fuseopts, cow, volatile. Throws Error(EINVAL) naming the key and value; an
// unknown key lists the valid ones.
VolumeSpec parse_volume_options(const std::map<std::string, std::string>& options,
                                MountMode default_mode);

// The share as a cow volume's lower layer mounts it: read-only, nothing of the overlay.
VolumeSpec lower_layer_of(const VolumeSpec& spec);

// The share as mount(8) and nfsfuse write it: "server:/export[/subdir]", IPv6 servers in brackets.
std::string share_of(const VolumeSpec& spec);

// Docker's rule for volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 255 characters; refused
// before any path is built from it. Throws Error(EINVAL).
void validate_volume_name(const std::string& name);

}  // namespace nfsfuse::driver
