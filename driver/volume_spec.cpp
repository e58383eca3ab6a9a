// Validates `docker volume create -o k=v` options into a VolumeSpec. Every check a volume's
// options go through lives here, so Create refuses what Mount could not do, and nothing a user
// types can reach a mount(2) option string or an nfsfuse command line unchecked.
// The tables below (kVolumeKeys, the nfsopts and fuseopts tables) are the single source of truth
// for what is accepted and for the "valid options are" lists in the messages.
#include "driver/volume_spec.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <iterator>
#include <limits>
#include <string_view>

#include "options/mount_options.h"
#include "util/error.h"
#include "util/text.h"

namespace nfsfuse::driver {
namespace {

using namespace ::nfsfuse::text;

// ---------------------------------------------------------------------------------------------
// Text helpers.

std::string join(const std::vector<std::string_view>& items, std::string_view separator) {
    std::string out;
    for (const std::string_view item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

// Splits at ',' keeping empty items (the callers refuse them).
std::vector<std::string_view> split_commas(std::string_view list) {
    std::vector<std::string_view> items;
    while (true) {
        const size_t comma = list.find(',');
        items.push_back(list.substr(0, comma));
        if (comma == std::string_view::npos) return items;
        list.remove_prefix(comma + 1);
    }
}

// ---------------------------------------------------------------------------------------------
// Volume option keys and their messages.

constexpr std::string_view kVolumeKeys[] = {
    "server", "path",    "share",    "mode", "vers",     "port",  "mountport",
    "ro",     "uid",     "gid",      "soft", "hard",     "timeo", "retrans",
    "subdir", "nfsopts", "fuseopts", "cow",  "volatile",
};

std::string valid_keys() {
    return join(std::vector<std::string_view>(std::begin(kVolumeKeys), std::end(kVolumeKeys)),
                ", ");
}

// Every refusal of a known key names the key and quotes the value.
[[noreturn]] void reject(std::string_view key, std::string_view value, const std::string& problem) {
    throw invalid_argument("volume option " + std::string(key) + "=" + quoted(value) + ": " +
                           problem);
}

uint64_t number_in_range(std::string_view key, std::string_view value, uint64_t min, uint64_t max) {
    const std::string range = "from " + std::to_string(min) + " to " + std::to_string(max);
    const std::optional<uint64_t> number = parse_decimal(value);
    if (!number) reject(key, value, "expected a decimal number " + range);
    if (*number < min || *number > max) reject(key, value, "out of range: must be " + range);
    return *number;
}

// Docker passes `-o ro` as key "ro" with an empty value.
bool parse_bool(std::string_view key, std::string_view value) {
    if (value.empty() || value == "true" || value == "1") return true;
    if (value == "false" || value == "0") return false;
    reject(key, value, "expected true, false, 1, 0 or no value (which means true)");
}

std::optional<std::string_view> find(const std::map<std::string, std::string>& options,
                                     std::string_view key) {
    const auto it = options.find(std::string(key));
    if (it == options.end()) return std::nullopt;
    return std::string_view(it->second);
}

// ---------------------------------------------------------------------------------------------
// Server, export path and subdir.

constexpr std::string_view kServerRule =
    "a server is a host name (letters, digits, '.', '-' and '_', not starting with '-' or '.') or "
    "an IP address (IPv6 bare or in brackets)";

// Returns the server without brackets. `key` is "server" or "share" (for messages), `value` the
// whole option value.
std::string check_server(std::string_view key, std::string_view value, std::string_view server,
                         bool ipv6_needs_brackets) {
    if (server.empty()) reject(key, value, "the server is missing; " + std::string(kServerRule));
    if (has_control_char(server)) reject(key, value, "the server contains a control character");
    if (server.find(',') != std::string_view::npos) {
        reject(key, value, "the server contains a comma; " + std::string(kServerRule));
    }
    if (server.front() == '[') {
        if (server.back() != ']' || server.size() < 3) {
            reject(key, value, "'[' without a closing ']' around the IPv6 address");
        }
        const std::string_view inside = server.substr(1, server.size() - 2);
        if (!is_ipv6_literal(inside)) {
            reject(key, value, quoted(inside) + " in brackets is not an IPv6 address");
        }
        return std::string(inside);
    }
    if (server.find(':') != std::string_view::npos) {
        if (ipv6_needs_brackets) {
            reject(key, value, "write an IPv6 server in brackets, as in share=[fe80::1]:/export");
        }
        if (!is_ipv6_literal(server)) {
            reject(key, value, "the server contains ':' but is not an IPv6 address");
        }
        return std::string(server);
    }
    if (!std::all_of(server.begin(), server.end(), is_hostname_char)) {
        reject(key, value,
               "the server may contain only letters, digits, '.', '-' and '_' (no spaces, '=' "
               "or other characters); " +
                   std::string(kServerRule));
    }
    if (server.front() == '-' || server.front() == '.') {
        reject(key, value,
               "the server must not start with '-' or '.'; " + std::string(kServerRule));
    }
    if (server.size() > 253) reject(key, value, "the server name is longer than 253 characters");
    // "a..b" is no name; a final '.' (a fully qualified name) is.
    if (server.find("..") != std::string_view::npos) {
        reject(key, value, "the server name has an empty label ('..')");
    }
    return std::string(server);
}

bool has_dot_dot_component(std::string_view path) {
    while (true) {
        const size_t slash = path.find('/');
        if (path.substr(0, slash) == "..") return true;
        if (slash == std::string_view::npos) return false;
        path.remove_prefix(slash + 1);
    }
}

constexpr size_t kMaxExportPath = 4096;

void check_export_path(std::string_view key, std::string_view value, std::string_view path) {
    if (path.empty()) reject(key, value, "the export path is missing");
    if (path.front() != '/')
        reject(key, value, "the export path must be absolute (start with '/')");
    if (path.find('\0') != std::string_view::npos || has_control_char(path)) {
        reject(key, value, "the export path contains a control character (NUL, newline, ...)");
    }
    if (path.find(',') != std::string_view::npos) {
        reject(key, value, "the export path must not contain a comma");
    }
    if (has_dot_dot_component(path)) {
        reject(key, value, "the export path must not contain '..' components");
    }
    if (path.size() > kMaxExportPath) {
        reject(key, value,
               "the export path is longer than " + std::to_string(kMaxExportPath) + " bytes");
    }
}

constexpr size_t kMaxSubdir = 1024;

void check_subdir(std::string_view value) {
    constexpr std::string_view key = "subdir";
    constexpr std::string_view rule =
        "subdir is a relative path inside the export, like 'volumes/db', without '.', '..' or "
        "empty components";
    if (value.empty()) reject(key, value, "it is empty; " + std::string(rule));
    if (value.size() > kMaxSubdir) {
        reject(key, value, "longer than " + std::to_string(kMaxSubdir) + " bytes");
    }
    if (has_control_char(value)) reject(key, value, "contains a control character");
    if (value.find(',') != std::string_view::npos) reject(key, value, "contains a comma");
    if (value.front() == '/') {
        reject(key, value, "must not start with '/'; " + std::string(rule));
    }
    std::string_view rest = value;
    while (true) {
        const size_t slash = rest.find('/');
        const std::string_view component = rest.substr(0, slash);
        if (component.empty()) reject(key, value, "has an empty component; " + std::string(rule));
        if (component == "." || component == "..") {
            reject(key, value, "has a " + quoted(component) + " component; " + std::string(rule));
        }
        if (slash == std::string_view::npos) return;
        rest.remove_prefix(slash + 1);
    }
}

// `share=server:/path` or `share=[v6]:/path`.
void parse_share(std::string_view value, VolumeSpec& spec) {
    constexpr std::string_view key = "share";
    if (value.find("://") != std::string_view::npos) {
        reject(key, value,
               "URLs are not accepted; write share=server:/export/path (and port=N for a port)");
    }
    size_t colon = std::string_view::npos;
    if (!value.empty() && value.front() == '[') {
        const size_t close = value.find(']');
        if (close == std::string_view::npos) {
            reject(key, value, "'[' without a closing ']' around the IPv6 address");
        }
        colon = close + 1;
        if (colon >= value.size() || value[colon] != ':') {
            reject(key, value, "expected ':' after ']', as in share=[fe80::1]:/export");
        }
    } else {
        colon = value.find(':');
        if (colon == std::string_view::npos) {
            reject(key, value, "expected server:/export/path (the ':' is missing)");
        }
    }
    const std::string_view export_path = value.substr(colon + 1);
    // "fe80::1:/x" splits at the first ':' and leaves ":1:/x": point at the real mistake.
    if (!export_path.starts_with('/') &&
        export_path.substr(0, export_path.find('/')).find(':') != std::string_view::npos) {
        reject(key, value, "write an IPv6 server in brackets, as in share=[fe80::1]:/export");
    }
    spec.server = check_server(key, value, value.substr(0, colon), true);
    spec.export_path = std::string(export_path);
    check_export_path(key, value, spec.export_path);
}

// ---------------------------------------------------------------------------------------------
// nfsopts: extra kernel NFS options, whitelisted.

struct KernelNumericOption {
    std::string_view name;
    uint64_t min;
    uint64_t max;
};

constexpr std::string_view kKernelFlags[] = {
    "noac",       "ac",  "nocto", "cto",     "sharecache", "nosharecache", "resvport",
    "noresvport", "fsc", "nofsc", "noatime", "nodiratime", "relatime",
};

struct KernelWordOption {
    std::string_view name;
    std::vector<std::string_view> values;
};

const KernelWordOption kKernelWordOptions[] = {
    {"lookupcache", {"all", "none", "positive"}},
    {"local_lock", {"none", "all", "flock", "posix"}},
};

constexpr KernelNumericOption kKernelNumericOptions[] = {
    {"actimeo", 0, 3600},     {"acregmin", 0, 3600}, {"acregmax", 0, 3600},
    {"acdirmin", 0, 3600},    {"acdirmax", 0, 3600}, {"rsize", 1024, 1048576},
    {"wsize", 1024, 1048576}, {"nconnect", 1, 16},
};

struct RefusedOption {
    std::string_view name;
    std::string_view reason;
};

constexpr std::string_view kSetByDriver = "the driver sets it itself";

// Options with a specific reason for their refusal. Anything else not whitelisted is refused as
// "not allowed".
constexpr RefusedOption kRefusedKernelOptions[] = {
    {"addr", "the driver sets it itself (from the server option)"},
    {"vers", "the driver sets it itself: use the vers volume option"},
    {"nfsvers", "the driver sets it itself: use the vers volume option"},
    {"minorversion", "the driver sets it itself: use the vers volume option"},
    {"proto", kSetByDriver},
    {"tcp", kSetByDriver},
    {"udp", "not allowed: the driver always uses TCP"},
    {"rdma", "not allowed: the driver always uses TCP"},
    {"port", "the driver sets it itself: use the port volume option"},
    {"soft", "the driver sets it itself: use the soft volume option"},
    {"hard", "the driver sets it itself: use the hard volume option"},
    {"softerr", "not allowed: use the soft or hard volume option"},
    {"intr", "not allowed (obsolete)"},
    {"nointr", "not allowed (obsolete)"},
    {"timeo", "the driver sets it itself: use the timeo volume option"},
    {"retrans", "the driver sets it itself: use the retrans volume option"},
    {"clientaddr", kSetByDriver},
    {"mountproto", kSetByDriver},
    {"mountport", "the driver sets it itself: use the mountport volume option"},
    {"mountaddr", kSetByDriver},
    {"mountvers", kSetByDriver},
    {"mounthost", kSetByDriver},
    {"lock", kSetByDriver},
    {"nolock", kSetByDriver},
    {"sec", "not allowed: volumes use AUTH_SYS (sec=sys)"},
    {"ro", "the driver sets it itself: use the ro volume option"},
    {"rw", "the driver sets it itself: use the ro volume option"},
    {"suid", "not allowed: volumes are always mounted nosuid"},
    {"dev", "not allowed: volumes are always mounted nodev"},
    {"noexec", "not allowed: mount flags are the driver's"},
    {"exec", "not allowed: mount flags are the driver's"},
    {"bg", "not allowed: the driver mounts in the foreground"},
    {"fg", "not allowed: the driver mounts in the foreground"},
    {"retry", "not allowed: the driver mounts once per request"},
    {"fsid", "not allowed"},
    {"context", "not allowed: SELinux contexts are not accepted"},
    {"fscontext", "not allowed: SELinux contexts are not accepted"},
    {"defcontext", "not allowed: SELinux contexts are not accepted"},
    {"rootcontext", "not allowed: SELinux contexts are not accepted"},
};

std::string allowed_kernel_options() {
    std::vector<std::string> names;
    for (const std::string_view flag : kKernelFlags) names.emplace_back(flag);
    for (const KernelWordOption& option : kKernelWordOptions) {
        std::string values;
        for (const std::string_view word : option.values) {
            if (!values.empty()) values += '|';
            values += word;
        }
        names.push_back(std::string(option.name) + "=" + values);
    }
    for (const KernelNumericOption& option : kKernelNumericOptions) {
        names.push_back(std::string(option.name) + "=" + std::to_string(option.min) + "-" +
                        std::to_string(option.max));
    }
    std::string out;
    for (const std::string& name : names) {
        if (!out.empty()) out += ", ";
        out += name;
    }
    return out;
}

// Checks one item of the nfsopts list `list`; throws Error(EINVAL) unless it is whitelisted.
void check_kernel_option(std::string_view list, std::string_view item) {
    constexpr std::string_view key = "nfsopts";
    const auto refuse = [&](const std::string& problem) {
        reject(
            key, list,
            quoted(item) + ": " + problem + "; allowed options are: " + allowed_kernel_options());
    };
    if (item.empty()) refuse("empty option (stray ',')");
    if (has_control_char(item)) refuse("contains a control character");
    const size_t equals = item.find('=');
    const std::string_view name = item.substr(0, equals);
    const std::optional<std::string_view> value =
        equals == std::string_view::npos ? std::nullopt
                                         : std::optional<std::string_view>(item.substr(equals + 1));
    if (value && value->find('=') != std::string_view::npos) refuse("'=' inside the value");

    for (const std::string_view flag : kKernelFlags) {
        if (name != flag) continue;
        if (value) refuse(std::string(flag) + " is a flag and takes no value");
        return;
    }
    for (const KernelWordOption& option : kKernelWordOptions) {
        if (name != option.name) continue;
        if (!value ||
            std::find(option.values.begin(), option.values.end(), *value) == option.values.end()) {
            std::string words;
            for (const std::string_view word : option.values) {
                if (!words.empty()) words += ", ";
                words += word;
            }
            refuse(std::string(name) + " expects one of: " + words);
        }
        return;
    }
    for (const KernelNumericOption& option : kKernelNumericOptions) {
        if (name != option.name) continue;
        const std::string range =
            "from " + std::to_string(option.min) + " to " + std::to_string(option.max);
        const std::optional<uint64_t> number = value ? parse_decimal(*value) : std::nullopt;
        if (!number) refuse(std::string(name) + " expects a decimal number " + range);
        if (*number < option.min || *number > option.max) {
            refuse("out of range: " + std::string(name) + " must be " + range);
        }
        return;
    }
    for (const RefusedOption& refused : kRefusedKernelOptions) {
        if (name == refused.name) refuse(std::string(refused.reason));
    }
    refuse("unknown or not allowed");
}

// Mount flags every kernel mount has (see build_kernel_mount): accepted, and kept out of the
// option string, where the NFS client would refuse them.
constexpr std::string_view kAlwaysSetKernelFlags[] = {"nosuid", "nodev"};

std::vector<std::string> parse_kernel_options(std::string_view list) {
    std::vector<std::string> options;
    for (const std::string_view item : split_commas(list)) {
        if (std::ranges::find(kAlwaysSetKernelFlags, item) != std::end(kAlwaysSetKernelFlags)) {
            continue;
        }
        check_kernel_option(list, item);
        options.emplace_back(item);
    }
    return options;
}

// ---------------------------------------------------------------------------------------------
// fuseopts: extra nfsfuse options, checked by nfsfuse's own parser.

constexpr RefusedOption kRefusedFuseOptions[] = {
    {"vers", "use the vers volume option instead"},
    {"nfsvers", "use the vers volume option instead"},
    {"port", "use the port volume option instead"},
    {"mountport", "use the mountport volume option instead"},
    {"ro", "use the ro volume option instead"},
    {"rw", "use the ro volume option instead (ro=false)"},
    {"uid", "use the uid volume option instead"},
    {"gid", "use the gid volume option instead"},
    {"soft", "use the soft volume option instead"},
    {"hard", "use the hard volume option instead"},
    {"timeo", "use the timeo volume option instead"},
    {"retrans", "use the retrans volume option instead"},
    {"allow_other", "the driver always mounts with allow_other"},
    {"allow_root",
     "not allowed: the driver mounts with allow_other, which it cannot be combined "
     "with"},
    {"fsname", "the driver sets it itself (it names the volume in /proc/mounts)"},
    {"subtype", "the driver sets it itself (it names the volume in /proc/mounts)"},
    // libfuse mounts nosuid,nodev by default; a share must not bring set-user-ID programs or
    // device nodes onto the host.
    {"suid", "not allowed: volumes are mounted nosuid"},
    {"dev", "not allowed: volumes are mounted nodev"},
};

std::vector<std::string> parse_fuse_options(std::string_view list) {
    constexpr std::string_view key = "fuseopts";
    std::vector<std::string> options;
    for (const std::string_view item : split_commas(list)) {
        if (item.empty()) reject(key, list, "empty option (stray ',')");
        if (has_control_char(item))
            reject(key, list, quoted(item) + ": contains a control character");
        const std::string_view name = item.substr(0, item.find('='));
        for (const RefusedOption& refused : kRefusedFuseOptions) {
            if (name == refused.name)
                reject(key, list, quoted(item) + ": " + std::string(refused.reason));
        }
        try {
            options::parse_mount_options({std::string(item)});
        } catch (const Error& error) {
            reject(key, list, error.what());
        }
        options.emplace_back(item);
    }
    return options;
}

// ---------------------------------------------------------------------------------------------
// vers and mode.

NfsVersion parse_version(std::string_view value) {
    if (value == "4" || value == "4.1") return NfsVersion::v4_1;
    if (value == "4.0") return NfsVersion::v4_0;
    if (value == "3") return NfsVersion::v3;
    reject("vers", value, "valid versions are 4 (the same as 4.1), 4.1, 4.0 and 3");
}

}  // namespace

VolumeSpec lower_layer_of(const VolumeSpec& spec) {
    VolumeSpec lower = spec;
    lower.read_only = true;
    lower.cow = false;
    lower.volatile_upper = false;
    return lower;
}

std::string share_of(const VolumeSpec& spec) {
    std::string share =
        spec.server.find(':') != std::string::npos ? "[" + spec.server + "]" : spec.server;
    share += ":" + spec.export_path;
    if (!spec.subdir.empty()) {
        if (share.back() != '/') share += '/';
        share += spec.subdir;
    }
    return share;
}

MountMode parse_mount_mode(const std::string& text) {
    if (text == "kernel") return MountMode::kernel;
    if (text == "fuse") return MountMode::fuse;
    if (text == "auto") return MountMode::auto_select;
    throw invalid_argument("unknown mount mode " + quoted(text) +
                           "; valid modes are kernel, fuse and auto");
}

std::string to_string(MountMode mode) {
    switch (mode) {
        case MountMode::kernel:
            return "kernel";
        case MountMode::fuse:
            return "fuse";
        case MountMode::auto_select:
            return "auto";
    }
    return "unknown";
}

std::string to_string(NfsVersion version) {
    switch (version) {
        case NfsVersion::v3:
            return "3";
        case NfsVersion::v4_0:
            return "4.0";
        case NfsVersion::v4_1:
            return "4.1";
    }
    return "unknown";
}

VolumeSpec parse_volume_options(const std::map<std::string, std::string>& options,
                                MountMode default_mode) {
    for (const auto& [key, value] : options) {
        if (std::find(std::begin(kVolumeKeys), std::end(kVolumeKeys), key) ==
            std::end(kVolumeKeys)) {
            throw invalid_argument("unknown option " + quoted(key) +
                                   "; valid options are: " + valid_keys());
        }
    }
    VolumeSpec spec;

    spec.mode = default_mode;
    if (const auto mode = find(options, "mode")) {
        try {
            spec.mode = parse_mount_mode(std::string(*mode));
        } catch (const Error&) {
            reject("mode", *mode, "valid modes are kernel, fuse and auto");
        }
    }

    // Where the share is: server + path, or share.
    const auto server = find(options, "server");
    const auto path = find(options, "path");
    const auto share = find(options, "share");
    if (share) {
        if (server || path) {
            reject("share", *share, "give either share=server:/path or server and path, not both");
        }
        parse_share(*share, spec);
    } else if (server && path) {
        spec.server = check_server("server", *server, *server, false);
        check_export_path("path", *path, *path);
        spec.export_path = std::string(*path);
    } else if (server) {
        reject("server", *server, "path is required too (or use share=server:/path)");
    } else if (path) {
        reject("path", *path, "server is required too (or use share=server:/path)");
    } else {
        throw invalid_argument(
            "server and path (or share) are required, as in -o server=10.0.0.5 -o "
            "path=/exports/data or -o share=10.0.0.5:/exports/data");
    }

    // NFSv4.1 by default in every mode: nfsfuse speaks it as the kernel does.
    if (const auto vers = find(options, "vers")) {
        spec.version = parse_version(*vers);
        if (spec.mode == MountMode::fuse && spec.version == NfsVersion::v4_0) {
            reject("vers", *vers,
                   "NFSv4.0 is not supported by nfsfuse (it speaks NFSv4.1 and NFSv3); use "
                   "vers=4.1 (the default) or vers=3 with mode=fuse, or mode=kernel");
        }
    }

    if (const auto port = find(options, "port")) {
        spec.port = static_cast<uint16_t>(number_in_range("port", *port, 1, 65535));
    }
    if (const auto mount_port = find(options, "mountport")) {
        // Only NFSv3 has a separate MOUNT service; naming its port skips the portmapper.
        if (spec.version != NfsVersion::v3)
            reject("mountport", *mount_port,
                   "only for vers=3 (NFSv4, the default, has no MOUNT service); add -o vers=3 or "
                   "drop mountport");
        spec.mount_port =
            static_cast<uint16_t>(number_in_range("mountport", *mount_port, 1, 65535));
    }
    if (const auto ro = find(options, "ro")) spec.read_only = parse_bool("ro", *ro);

    // The kernel client sends the calling process's credentials; only nfsfuse can send others.
    for (const std::string_view key : {"uid", "gid"}) {
        const auto value = find(options, key);
        if (!value) continue;
        // 4294967295 is (uid_t)-1, "no change" to chown(2): never a real id.
        const auto id = static_cast<uint32_t>(number_in_range(key, *value, 0, 4294967294u));
        if (spec.mode == MountMode::kernel) {
            reject(key, *value,
                   "only mode=fuse (or auto) can send other credentials; the kernel's NFS client "
                   "sends those of the process using the file");
        }
        (key == "uid" ? spec.uid : spec.gid) = id;
    }

    const auto soft = find(options, "soft");
    const auto hard = find(options, "hard");
    const std::optional<bool> soft_value =
        soft ? std::optional<bool>(parse_bool("soft", *soft)) : std::nullopt;
    const std::optional<bool> hard_value =
        hard ? std::optional<bool>(parse_bool("hard", *hard)) : std::nullopt;
    if (soft_value && hard_value && *soft_value == *hard_value) {
        reject("hard", *hard,
               "contradicts soft=" + quoted(*soft) + ": a volume is either soft or hard");
    }
    if (hard_value) {
        spec.hard = *hard_value;
    } else if (soft_value) {
        spec.hard = !*soft_value;
    }

    if (const auto timeo = find(options, "timeo")) {
        spec.timeo = static_cast<uint32_t>(number_in_range("timeo", *timeo, 1, 36000));
    }
    if (const auto retrans = find(options, "retrans")) {
        spec.retrans = static_cast<uint32_t>(number_in_range("retrans", *retrans, 0, 10));
    }
    if (const auto subdir = find(options, "subdir")) {
        check_subdir(*subdir);
        spec.subdir = std::string(*subdir);
    }

    if (const auto nfsopts = find(options, "nfsopts")) {
        if (spec.mode == MountMode::fuse) {
            reject("nfsopts", *nfsopts,
                   "kernel NFS options do not apply to mode=fuse (use fuseopts)");
        }
        spec.kernel_options = parse_kernel_options(*nfsopts);
    }
    if (const auto fuseopts = find(options, "fuseopts")) {
        if (spec.mode == MountMode::kernel) {
            reject("fuseopts", *fuseopts,
                   "nfsfuse options do not apply to mode=kernel (use nfsopts)");
        }
        spec.fuse_options = parse_fuse_options(*fuseopts);
    }

    if (const auto cow = find(options, "cow")) spec.cow = parse_bool("cow", *cow);
    if (const auto volatile_upper = find(options, "volatile")) {
        spec.volatile_upper = parse_bool("volatile", *volatile_upper);
        if (spec.volatile_upper && !spec.cow) {
            reject("volatile", *volatile_upper,
                   "only with cow=true: volatile discards a cow volume's local changes after its "
                   "last user; a volume without cow writes to the share, which is never "
                   "discarded");
        }
    }
    if (spec.cow && spec.read_only) {
        reject("ro", *find(options, "ro"),
               "cannot be combined with cow=true: a cow volume is writable by design (writes go "
               "to local disk, the share is mounted read-only below them); use ro alone for a "
               "read-only view of the share");
    }

    // A FUSE mount hands "server:/export" to nfsfuse: make sure its own parser agrees.
    if (spec.mode != MountMode::kernel) {
        const bool ipv6 = spec.server.find(':') != std::string::npos;
        const std::string source =
            (ipv6 ? "[" + spec.server + "]" : spec.server) + ":" + spec.export_path;
        try {
            options::parse_target(source);
        } catch (const Error& error) {
            reject(share ? "share" : "server", share ? *share : *server, error.what());
        }
    }
    return spec;
}

void validate_volume_name(const std::string& name) {
    constexpr std::string_view rule =
        "volume names are 1 to 255 characters: a letter or digit, then letters, digits, '_', '.' "
        "or '-' ([a-zA-Z0-9][a-zA-Z0-9_.-]*)";
    const auto refuse = [&](std::string_view problem) {
        throw invalid_argument("invalid volume name " + quoted(name) + ": " + std::string(problem) +
                               "; " + std::string(rule));
    };
    if (name.empty()) refuse("it is empty");
    if (name.size() > 255) refuse("it is longer than 255 characters");
    const auto alnum = [](char c) { return is_ascii_letter(c) || is_ascii_digit(c); };
    if (!alnum(name.front())) refuse("it must start with a letter or digit");
    const bool valid = std::all_of(name.begin(), name.end(), [&](char c) {
        return alnum(c) || c == '_' || c == '.' || c == '-';
    });
    if (!valid) refuse("it contains a character that is not allowed");
}

}  // namespace nfsfuse::driver
