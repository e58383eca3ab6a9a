// Parses the SOURCE argument and the -o lists of nfsfuse. kOptionTable below is the single source
// of truth for option names: parsing, the "valid options are" list and options_help() all read it.
#include "options/mount_options.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>
#include <string_view>

#include "util/error.h"
#include "util/text.h"

namespace nfsfuse::options {
namespace {

using namespace ::nfsfuse::text;

// ---------------------------------------------------------------------------------------------
// Text helpers shared by the SOURCE and the option parsers.

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
        return lower(x) == lower(y);
    });
}

// ---------------------------------------------------------------------------------------------
// SOURCE: "server:/export", "[v6addr]:/export", "nfs://server[:port]/export".

constexpr std::string_view kAcceptedTargetForms =
    "accepted forms are server:/export/path, [ipv6-address]:/export/path and "
    "nfs://server[:port]/export/path";

[[noreturn]] void reject_target(std::string_view source, const std::string& problem) {
    throw invalid_argument("invalid NFS source " + quoted(source) + ": " + problem + "; " +
                           std::string(kAcceptedTargetForms));
}

struct HostAndRest {
    std::string host;       // without brackets
    std::string_view rest;  // what follows the host, starting at the stop character
};

// Reads the host at the start of `text`: "[ipv6]" or a hostname running up to one of `stop_chars`.
HostAndRest read_host(std::string_view source, std::string_view text, std::string_view stop_chars) {
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string_view::npos) reject_target(source, "'[' without a closing ']'");
        const std::string_view inside = text.substr(1, close - 1);
        if (!is_ipv6_literal(inside)) {
            reject_target(source, quoted(inside) + " in brackets is not an IPv6 address");
        }
        return {std::string(inside), text.substr(close + 1)};
    }
    const size_t end = std::min(text.find_first_of(stop_chars), text.size());
    const std::string_view host = text.substr(0, end);
    if (host.empty()) reject_target(source, "the server name is missing");
    if (!std::all_of(host.begin(), host.end(), is_hostname_char)) {
        reject_target(source, "server name " + quoted(host) +
                                  " may contain only letters, digits, '.', '-' and '_' "
                                  "(write IPv6 addresses in brackets)");
    }
    return {std::string(host), text.substr(end)};
}

void check_export_path(std::string_view source, std::string_view export_path) {
    if (export_path.empty()) reject_target(source, "the export path is missing");
    if (export_path.front() != '/') {
        // "fe80::1:/x" splits at the first ':' and leaves ":1:/x": point at the real mistake.
        const bool looks_like_bare_ipv6 =
            export_path.substr(0, export_path.find('/')).find(':') != std::string_view::npos;
        reject_target(source,
                      "the export path " + quoted(export_path) +
                          " must be absolute (start with '/')" +
                          (looks_like_bare_ipv6 ? "; write IPv6 addresses in brackets" : ""));
    }
}

// "scheme://..." with an RFC 3986 scheme name, or nullopt. Lets "http://h/x" fail loudly instead of
// being read as host "http" exporting "//h/x".
std::optional<std::string_view> url_scheme(std::string_view source) {
    const size_t separator = source.find("://");
    if (separator == std::string_view::npos || separator == 0) return std::nullopt;
    const std::string_view scheme = source.substr(0, separator);
    const bool scheme_like =
        is_ascii_letter(scheme.front()) && std::all_of(scheme.begin(), scheme.end(), [](char c) {
            return is_ascii_letter(c) || is_ascii_digit(c) || c == '+' || c == '-' || c == '.';
        });
    if (!scheme_like) return std::nullopt;
    return scheme;
}

ServerTarget parse_url_target(std::string_view source, std::string_view after_scheme) {
    if (after_scheme.find('?') != std::string_view::npos) {
        reject_target(source, "query strings are not accepted in nfs:// URLs (options go in -o)");
    }
    if (after_scheme.find('#') != std::string_view::npos) {
        reject_target(source, "fragments ('#') are not accepted in nfs:// URLs");
    }
    HostAndRest parsed = read_host(source, after_scheme, ":/");
    ServerTarget target;
    target.host = std::move(parsed.host);
    std::string_view rest = parsed.rest;
    if (!rest.empty() && rest.front() == ':') {
        const size_t slash = std::min(rest.find('/'), rest.size());
        const std::string_view port_text = rest.substr(1, slash - 1);
        const std::optional<uint64_t> port = parse_decimal(port_text);
        if (!port || *port < 1 || *port > 65535) {
            reject_target(source,
                          "port " + quoted(port_text) + " must be a number from 1 to 65535");
        }
        target.port = static_cast<uint16_t>(*port);
        rest = rest.substr(slash);
    }
    if (!rest.empty() && rest.front() != '/') {
        reject_target(source, "unexpected " + quoted(rest.substr(0, 1)) + " after the server name");
    }
    check_export_path(source, rest);
    target.export_path = std::string(rest);
    return target;
}

ServerTarget parse_short_target(std::string_view source) {
    HostAndRest parsed = read_host(source, source, ":");
    if (parsed.rest.empty() || parsed.rest.front() != ':') {
        reject_target(source, "missing ':' between the server and the export path");
    }
    const std::string_view export_path = parsed.rest.substr(1);
    check_export_path(source, export_path);
    return ServerTarget{std::move(parsed.host), std::string(export_path), std::nullopt};
}

// ---------------------------------------------------------------------------------------------
// The -o option table.

// One item of a -o list, split at its first '='.
struct OptionItem {
    std::string_view text;                  // exactly as given: for messages and pass-through
    std::string_view name;                  // before the first '='
    std::optional<std::string_view> value;  // nullopt for "ro"; empty for "port="
};

enum class Syntax {
    flag,    // "name" only; a value is an error
    valued,  // "name=VALUE" with a non-empty VALUE
    prefix,  // every option whose text starts with `name` (fstab/systemd extensions)
};

using ApplyFn = void (*)(MountOptions&, const OptionItem&);

struct OptionSpec {
    std::string_view name;
    Syntax syntax;
    std::string_view value_name;  // placeholder in help and messages, e.g. "N"; empty for flags
    std::string_view help;
    ApplyFn apply;  // validates the value and stores it; throws Error(EINVAL)
};

std::string valid_option_list();

// Every refusal also lists the valid options: a user fixing one option often has the name wrong
// too.
[[noreturn]] void reject_option(const OptionItem& item, const std::string& problem) {
    throw invalid_argument("mount option " + quoted(item.text) + ": " + problem +
                           "; valid options are: " + valid_option_list());
}

// Parses the item's value as a decimal number in [min, max].
uint64_t number_in_range(const OptionItem& item, uint64_t min, uint64_t max) {
    const std::string range = "from " + std::to_string(min) + " to " + std::to_string(max);
    const std::optional<uint64_t> number = parse_decimal(*item.value);
    if (!number) {
        reject_option(item, std::string(item.name) + " expects a decimal number " + range);
    }
    if (*number < min || *number > max) {
        reject_option(item, "out of range: " + std::string(item.name) + " must be " + range);
    }
    return *number;
}

uint16_t port_number(const OptionItem& item) {
    return static_cast<uint16_t>(number_in_range(item, 1, 65535));
}

// 4294967295 is (uid_t)-1, which chown(2) and friends read as "no change": never a real id.
uint32_t user_or_group_id(const OptionItem& item) {
    return static_cast<uint32_t>(number_in_range(item, 0, 4294967294u));
}

void apply_version(MountOptions& options, const OptionItem& item) {
    const std::string_view version = *item.value;
    if (version == "3") {
        options.version = NfsVersion::v3;
    } else if (version == "4" || version == "4.1") {
        options.version = NfsVersion::v4_1;
    } else if (version == "4.0") {
        reject_option(item,
                      "NFSv4.0 is not supported (nfsfuse speaks NFSv4.1, which every NFSv4 server "
                      "of the last decade offers): use vers=4.1 (the default) or vers=3");
    } else {
        reject_option(item, "unknown NFS version " + quoted(version) +
                                "; valid values are 3, 4 and 4.1 (4 means 4.1)");
    }
}

void apply_port(MountOptions& options, const OptionItem& item) {
    options.port = port_number(item);
}

void apply_mount_port(MountOptions& options, const OptionItem& item) {
    options.mount_port = port_number(item);
}

void apply_nlm_port(MountOptions& options, const OptionItem& item) {
    options.nlm_port = port_number(item);
}

// ro/rw also go to the kernel mount, so even root cannot write through a read-only mount; both are
// passed in order and the kernel, like us, lets the last one win.
void apply_read_only(MountOptions& options, const OptionItem& item) {
    options.read_only = true;
    options.fuse_options.emplace_back(item.text);
}

void apply_read_write(MountOptions& options, const OptionItem& item) {
    options.read_only = false;
    options.fuse_options.emplace_back(item.text);
}

void apply_uid(MountOptions& options, const OptionItem& item) {
    options.uid = user_or_group_id(item);
}

void apply_gid(MountOptions& options, const OptionItem& item) {
    options.gid = user_or_group_id(item);
}

void apply_soft(MountOptions& options, const OptionItem&) {
    options.hard = false;
}

void apply_hard(MountOptions& options, const OptionItem&) {
    options.hard = true;
}

void apply_timeo(MountOptions& options, const OptionItem& item) {
    options.timeo_deciseconds = static_cast<uint32_t>(number_in_range(item, 1, 36000));
}

void apply_retrans(MountOptions& options, const OptionItem& item) {
    options.retrans = static_cast<uint32_t>(number_in_range(item, 0, 10));
}

void apply_debug(MountOptions& options, const OptionItem&) {
    options.debug = true;
}

// The kernel client takes up to 2^31 s; a day is already far beyond any sensible cache time.
constexpr uint64_t kMaxAttributeCacheSeconds = 86400;

uint32_t cache_seconds(const OptionItem& item) {
    return static_cast<uint32_t>(number_in_range(item, 0, kMaxAttributeCacheSeconds));
}

void apply_actimeo(MountOptions& options, const OptionItem& item) {
    const uint32_t seconds = cache_seconds(item);
    options.attribute_cache = {seconds, seconds, seconds, seconds};
}

void apply_noac(MountOptions& options, const OptionItem&) {
    options.attribute_cache = {0, 0, 0, 0};
}

void apply_acregmin(MountOptions& options, const OptionItem& item) {
    options.attribute_cache.regular_min_s = cache_seconds(item);
}

void apply_acregmax(MountOptions& options, const OptionItem& item) {
    options.attribute_cache.regular_max_s = cache_seconds(item);
}

void apply_acdirmin(MountOptions& options, const OptionItem& item) {
    options.attribute_cache.directory_min_s = cache_seconds(item);
}

void apply_acdirmax(MountOptions& options, const OptionItem& item) {
    options.attribute_cache.directory_max_s = cache_seconds(item);
}

void apply_nconnect(MountOptions& options, const OptionItem& item) {
    options.nconnect = static_cast<uint32_t>(number_in_range(item, 1, kMaxNconnect));
}

void apply_readahead(MountOptions& options, const OptionItem& item) {
    options.readahead_kib = static_cast<uint32_t>(number_in_range(item, 0, kMaxReadaheadKib));
}

void apply_cache_size(MountOptions& options, const OptionItem& item) {
    options.cache_size_mib = static_cast<uint32_t>(number_in_range(item, 0, kMaxCacheSizeMib));
}

void apply_cache(MountOptions& options, const OptionItem& item) {
    const std::string_view mode = *item.value;
    if (mode == "none") {
        options.cache = CacheMode::none;
    } else if (mode == "meta") {
        options.cache = CacheMode::meta;
    } else if (mode == "full") {
        options.cache = CacheMode::full;
    } else {
        reject_option(item, "unknown cache mode " + quoted(mode) +
                                "; valid values are none, "
                                "meta and full");
    }
}

void apply_io_uring(MountOptions& options, const OptionItem& item) {
    const std::string_view mode = *item.value;
    if (mode == "auto") {
        options.fuse_io_uring = true;
    } else if (mode == "off") {
        options.fuse_io_uring = false;
    } else {
        reject_option(item,
                      "unknown io_uring value " + quoted(mode) + "; valid values are auto and off");
    }
}

void apply_local_lock(MountOptions& options, const OptionItem& item) {
    const std::string_view which = *item.value;
    if (which == "none") {
        options.local_lock = LocalLock::none;
    } else if (which == "flock") {
        options.local_lock = LocalLock::flock;
    } else if (which == "posix") {
        options.local_lock = LocalLock::posix;
    } else if (which == "all") {
        options.local_lock = LocalLock::all;
    } else {
        reject_option(item, "unknown local_lock value " + quoted(which) +
                                "; valid values are none, flock, posix and all");
    }
}

// FUSE and kernel options are handed on verbatim, in the order given: libfuse and the kernel apply
// them left to right, so "later wins" holds for them too.
void pass_to_fuse(MountOptions& options, const OptionItem& item) {
    options.fuse_options.emplace_back(item.text);
}

// fsname and subtype end up in /proc/mounts, whose fields are separated by whitespace.
void pass_name_to_fuse(MountOptions& options, const OptionItem& item) {
    const std::string_view value = *item.value;
    if (!std::all_of(value.begin(), value.end(), is_visible_ascii)) {
        reject_option(item, std::string(item.name) +
                                " must be printable ASCII without spaces or control characters");
    }
    pass_to_fuse(options, item);
}

void pass_max_read_to_fuse(MountOptions& options, const OptionItem& item) {
    number_in_range(item, 1, 16 * 1024 * 1024);  // only checked: libfuse reads the text itself
    pass_to_fuse(options, item);
}

// fstab and mount.fuse3 hand these over; they mean something to mount(8) or systemd, not to us.
void ignore(MountOptions&, const OptionItem&) {}

constexpr std::string_view kIgnored = "accepted for fstab/mount(8) and ignored";
// Kernel atime flags that libfuse 3.14 does not pass to the kernel. Not valid options, but worth
// a precise refusal: a user copying an fstab line should learn why, not just "unknown".
constexpr std::string_view kRefusedAtimeFlags[] = {"norelatime", "strictatime", "nodiratime",
                                                   "lazytime", "nolazytime"};

bool is_refused_atime_flag(std::string_view name) {
    for (std::string_view refused : kRefusedAtimeFlags)
        if (name == refused) return true;
    return false;
}

const OptionSpec kOptionTable[] = {
    // NFS client behaviour.
    {"vers", Syntax::valued, "3|4.1",
     "NFS version: 4.1 (default; 4 means 4.1, 4.0 is refused) or 3", apply_version},
    {"nfsvers", Syntax::valued, "3|4.1",
     "the same as vers= (the kernel client's other name for it)", apply_version},
    {"port", Syntax::valued, "N", "NFS server port, 1-65535 (default: ask the portmapper)",
     apply_port},
    {"mountport", Syntax::valued, "N",
     "MOUNT protocol port, 1-65535, vers=3 only (default: ask the portmapper)", apply_mount_port},
    {"nlmport", Syntax::valued, "N",
     "NLM lock service port, 1-65535, vers=3 only (default: ask the portmapper)", apply_nlm_port},
    {"ro", Syntax::flag, "", "mount read-only (also at the kernel)", apply_read_only},
    {"rw", Syntax::flag, "", "mount read-write (default)", apply_read_write},
    {"uid", Syntax::valued, "N", "uid sent to the server (AUTH_SYS), 0-4294967294", apply_uid},
    {"gid", Syntax::valued, "N", "gid sent to the server (AUTH_SYS), 0-4294967294", apply_gid},
    {"soft", Syntax::flag, "", "fail a call after retrans retries (default)", apply_soft},
    {"hard", Syntax::flag, "", "retry calls until the server answers (interruptible)", apply_hard},
    {"timeo", Syntax::valued, "N", "reply timeout in tenths of a second, 1-36000 (default 600)",
     apply_timeo},
    {"retrans", Syntax::valued, "N", "retries before a soft call fails, 0-10 (default 2)",
     apply_retrans},
    {"debug", Syntax::flag, "", "log debug messages", apply_debug},
    {"nconnect", Syntax::valued, "N",
     "TCP connections, 1-16: metadata on the first, data on the others (default 1)",
     apply_nconnect},
    {"local_lock", Syntax::valued, "WHICH",
     "locks kept on this host only: none (default), flock, posix or all", apply_local_lock},
    {"io_uring", Syntax::valued, "auto|off",
     "FUSE requests over io_uring if the kernel offers it: auto (default), off", apply_io_uring},
    // Caching (docs/SEMANTICS.md).
    {"cache", Syntax::valued, "MODE",
     "none, meta (attributes, names) or full (also data across opens; default)", apply_cache},
    {"cache_size", Syntax::valued, "MIB",
     "nfsfuse's own cache of file data in MiB, 0-65536 (cache=full; default 16)", apply_cache_size},
    {"readahead", Syntax::valued, "KIB",
     "kernel readahead window in KiB, 0-65536; 0: kernel default (default 2048)", apply_readahead},
    {"actimeo", Syntax::valued, "N", "sets acregmin, acregmax, acdirmin and acdirmax to N seconds",
     apply_actimeo},
    {"acregmin", Syntax::valued, "N",
     "shortest time file attributes are trusted, 0-86400 seconds (default 3)", apply_acregmin},
    {"acregmax", Syntax::valued, "N",
     "longest time file attributes are trusted, 0-86400 seconds (default 60)", apply_acregmax},
    {"acdirmin", Syntax::valued, "N",
     "shortest time directory attributes and names are trusted, s (default 30)", apply_acdirmin},
    {"acdirmax", Syntax::valued, "N",
     "longest time directory attributes and names are trusted, s (default 60)", apply_acdirmax},
    {"noac", Syntax::flag, "", "trust no attributes: the same as actimeo=0", apply_noac},
    // FUSE and kernel mount options, passed through.
    {"allow_other", Syntax::flag, "",
     "let other users access the mount (FUSE; see user_allow_other in fuse.conf)", pass_to_fuse},
    {"allow_root", Syntax::flag, "", "let root access the mount too (FUSE)", pass_to_fuse},
    {"default_permissions", Syntax::flag, "", "let the kernel check file modes (FUSE)",
     pass_to_fuse},
    {"auto_unmount", Syntax::flag, "", "unmount when nfsfuse exits (FUSE)", pass_to_fuse},
    {"nosuid", Syntax::flag, "", "ignore set-user-ID and set-group-ID bits (kernel)", pass_to_fuse},
    {"suid", Syntax::flag, "", "honour set-user-ID and set-group-ID bits (kernel)", pass_to_fuse},
    {"nodev", Syntax::flag, "", "do not interpret device files (kernel)", pass_to_fuse},
    {"dev", Syntax::flag, "", "interpret device files (kernel)", pass_to_fuse},
    {"noexec", Syntax::flag, "", "do not allow running programs (kernel)", pass_to_fuse},
    {"exec", Syntax::flag, "", "allow running programs (kernel)", pass_to_fuse},
    {"noatime", Syntax::flag, "", "do not update access times (kernel)", pass_to_fuse},
    {"atime", Syntax::flag, "", "update access times (kernel)", pass_to_fuse},
    // FUSE mounts are always relatime (see kRefusedAtimeFlags for the other atime flags).
    {"relatime", Syntax::flag, "",
     "the default atime behaviour of FUSE mounts; accepted, no effect", ignore},
    {"dirsync", Syntax::flag, "", "make directory changes synchronous (kernel)", pass_to_fuse},
    {"sync", Syntax::flag, "", "make all writes synchronous (kernel)", pass_to_fuse},
    {"async", Syntax::flag, "", "write asynchronously, the default (kernel)", pass_to_fuse},
    {"fsname", Syntax::valued, "STR", "source name shown in /proc/mounts (FUSE)",
     pass_name_to_fuse},
    {"subtype", Syntax::valued, "STR", "type shown as fuse.STR in /proc/mounts (FUSE)",
     pass_name_to_fuse},
    {"max_read", Syntax::valued, "N", "largest read request in bytes, 1-16777216 (FUSE)",
     pass_max_read_to_fuse},
    // Accepted and ignored.
    {"defaults", Syntax::flag, "", kIgnored, ignore},
    {"_netdev", Syntax::flag, "", kIgnored, ignore},
    {"nofail", Syntax::flag, "", kIgnored, ignore},
    {"auto", Syntax::flag, "", kIgnored, ignore},
    {"noauto", Syntax::flag, "", kIgnored, ignore},
    {"user", Syntax::flag, "", kIgnored, ignore},
    {"nouser", Syntax::flag, "", kIgnored, ignore},
    {"users", Syntax::flag, "", kIgnored, ignore},
    {"x-", Syntax::prefix, "", "any x-... option (systemd, desktop tools): ignored", ignore},
    {"comment=", Syntax::prefix, "", "any comment=... option: ignored", ignore},
};

// How an option appears in the "valid options are" list: "ro", "port=", "x-*".
std::string listed_name(const OptionSpec& spec) {
    switch (spec.syntax) {
        case Syntax::flag:
            return std::string(spec.name);
        case Syntax::valued:
            return std::string(spec.name) + "=";
        case Syntax::prefix:
            return std::string(spec.name) + "*";
    }
    return std::string(spec.name);
}

// How an option appears in the help: "ro", "port=N", "x-*".
std::string usage(const OptionSpec& spec) {
    if (spec.syntax == Syntax::valued) return listed_name(spec) + std::string(spec.value_name);
    return listed_name(spec);
}

std::string valid_option_list() {
    std::string list;
    for (const OptionSpec& spec : kOptionTable) {
        if (!list.empty()) list += ", ";
        list += listed_name(spec);
    }
    return list;
}

OptionItem split_item(std::string_view text) {
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos) return {text, text, std::nullopt};
    return {text, text.substr(0, equals), text.substr(equals + 1)};
}

const OptionSpec* find_spec(const OptionItem& item) {
    for (const OptionSpec& spec : kOptionTable) {
        if (spec.syntax != Syntax::prefix && spec.name == item.name) return &spec;
    }
    for (const OptionSpec& spec : kOptionTable) {
        if (spec.syntax == Syntax::prefix && item.text.starts_with(spec.name)) return &spec;
    }
    return nullptr;
}

void check_value_presence(const OptionSpec& spec, const OptionItem& item) {
    if (spec.syntax == Syntax::flag && item.value) {
        reject_option(item, std::string(spec.name) + " is a flag and takes no value");
    }
    if (spec.syntax == Syntax::valued && (!item.value || item.value->empty())) {
        reject_option(item, std::string(spec.name) + " needs a value, as in " + usage(spec) + ": " +
                                std::string(spec.help));
    }
}

void apply_item(MountOptions& options, std::string_view text) {
    const OptionItem item = split_item(text);
    if (has_control_char(item.text)) reject_option(item, "contains a control character");
    const OptionSpec* spec = find_spec(item);
    if (spec == nullptr && is_refused_atime_flag(item.text)) {
        reject_option(item,
                      "FUSE mounts cannot honour it (libfuse does not pass it to the "
                      "kernel); FUSE mounts behave as relatime");
    }
    if (spec == nullptr) {
        throw invalid_argument("unknown mount option " + quoted(item.text) +
                               "; valid options are: " + valid_option_list());
    }
    check_value_presence(*spec, item);
    spec->apply(options, item);
}

void apply_list(MountOptions& options, std::string_view list) {
    while (true) {
        const size_t comma = list.find(',');
        const std::string_view text = list.substr(0, comma);
        if (!text.empty()) apply_item(options, text);  // ",," and a trailing ',' are harmless
        if (comma == std::string_view::npos) return;
        list.remove_prefix(comma + 1);
    }
}

bool has_fuse_option(const MountOptions& options, std::string_view name) {
    return std::find(options.fuse_options.begin(), options.fuse_options.end(), name) !=
           options.fuse_options.end();
}

void check_min_max(std::string_view min_name, uint32_t min, std::string_view max_name,
                   uint32_t max) {
    if (min > max) {
        throw invalid_argument("mount options: " + std::string(min_name) + "=" +
                               std::to_string(min) + " is larger than " + std::string(max_name) +
                               "=" + std::to_string(max));
    }
}

// Checked once the whole list is read: vers= may come before or after mountport= and nlmport=.
// `service`: what NFSv4 does not have, e.g. "no MOUNT service".
void check_port_needs_v3(const MountOptions& options, const char* name,
                         const std::optional<uint16_t>& port, const char* service) {
    if (!port || options.version == NfsVersion::v3) return;
    throw invalid_argument("mount option '" + std::string(name) + "=" + std::to_string(*port) +
                           "' is for vers=3 only: NFSv4 has " + service +
                           " (nfsfuse speaks NFSv4.1 unless told otherwise); add vers=3 to mount "
                           "over NFSv3, or drop " +
                           name);
}

void check_combinations(const MountOptions& options) {
    check_port_needs_v3(options, "mountport", options.mount_port, "no MOUNT service");
    check_port_needs_v3(options, "nlmport", options.nlm_port,
                        "no NLM service (its locks are part of NFSv4)");
    const AttributeCacheTimes& times = options.attribute_cache;
    check_min_max("acregmin", times.regular_min_s, "acregmax", times.regular_max_s);
    check_min_max("acdirmin", times.directory_min_s, "acdirmax", times.directory_max_s);
    // libfuse refuses this pair at mount time with a terse message; say it here, before any
    // network.
    if (has_fuse_option(options, "allow_other") && has_fuse_option(options, "allow_root")) {
        throw invalid_argument(
            "mount options 'allow_other' and 'allow_root' cannot be combined: choose one");
    }
}

}  // namespace

ServerTarget parse_target(const std::string& source) {
    if (source.empty()) reject_target(source, "it is empty");
    if (has_control_char(source)) {
        reject_target(source, "it contains a control character (NUL, newline, ...)");
    }
    if (source.find(',') != std::string::npos) {
        reject_target(source, "it contains a comma (mount options go in -o)");
    }
    if (const std::optional<std::string_view> scheme = url_scheme(source)) {
        if (!iequals(*scheme, "nfs")) {
            reject_target(source, "unsupported URL scheme " + quoted(*scheme));
        }
        return parse_url_target(source, std::string_view(source).substr(scheme->size() + 3));
    }
    return parse_short_target(source);
}

MountOptions parse_mount_options(const std::vector<std::string>& option_lists) {
    MountOptions options;
    for (const std::string& list : option_lists) apply_list(options, list);
    check_combinations(options);
    return options;
}

std::string options_help() {
    size_t width = 0;
    for (const OptionSpec& spec : kOptionTable) width = std::max(width, usage(spec).size());
    std::string help;
    for (const OptionSpec& spec : kOptionTable) {
        std::string left = usage(spec);
        left.resize(width + 3, ' ');
        help += "  " + left + std::string(spec.help) + "\n";
    }
    return help;
}

}  // namespace nfsfuse::options
