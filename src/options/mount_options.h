// Parsing and validation of nfsfuse mount options (the `-o a,b=c` list and the SOURCE argument).
// Thread-safety: pure functions over values. One option table (mount_options.cpp) feeds parsing,
// validation messages and the help text, so they can never disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nfsfuse::options {

// Where the export lives. Parsed from "server:/export", "[v6addr]:/export" or
// "nfs://server[:port]/export".
struct ServerTarget {
    std::string host;              // hostname or IP literal (IPv6 without brackets)
    std::string export_path;       // absolute path on the server, e.g. "/srv/nfs"
    std::optional<uint16_t> port;  // from the nfs:// URL form only
};

enum class NfsVersion { v3, v4_1 };

// How much nfsfuse and the kernel cache (docs/SEMANTICS.md):
//   none: nothing; every access asks the server (no attribute, entry or page cache),
//   meta: attributes and names for the times below; file data is read anew at every open,
//   full: meta, plus file data kept in the kernel's page cache across opens while the file's
//         size, mtime and ctime stay unchanged (close-to-open consistency).
enum class CacheMode { none, meta, full };

// Which locks stay on this host instead of going to the server, as nfs(5)'s local_lock: for
// servers without a lock service, or applications that need no locks across hosts.
enum class LocalLock { none, flock, posix, all };

// How long attributes may be trusted, in seconds, like the kernel client's acregmin/acregmax/
// acdirmin/acdirmax (and its defaults). Between min and max, a file changed recently is checked
// more often than one untouched for a long time.
struct AttributeCacheTimes {
    uint32_t regular_min_s = 3;
    uint32_t regular_max_s = 60;
    uint32_t directory_min_s = 30;
    uint32_t directory_max_s = 60;
};

inline constexpr uint32_t kDefaultNconnect = 1;
inline constexpr uint32_t kMaxNconnect = 16;  // the kernel client's limit
// Two 1 MiB READs in flight: measured best here among 1-8 MiB for cold sequential reads.
inline constexpr uint32_t kDefaultReadaheadKib = 2048;
inline constexpr uint32_t kMaxReadaheadKib = 65536;
// nfsfuse's own block cache of file data (cache=full), in MiB. Small: the kernel's page cache does
// most of the caching, and on this kind of machine every page newly filled costs a page fault
// (measured: 64 MiB took 1.7x the CPU time of no cache on a cold 1 GiB read, 16 MiB 1.15x).
inline constexpr uint32_t kDefaultCacheSizeMib = 16;
inline constexpr uint32_t kMaxCacheSizeMib = 65536;

struct MountOptions {
    NfsVersion version = NfsVersion::v4_1;
    std::optional<uint16_t> port;        // NFS port; skips the portmapper when set
    std::optional<uint16_t> mount_port;  // MOUNT protocol port (vers=3 only); skips the portmapper
    std::optional<uint16_t> nlm_port;    // NLM lock service port (vers=3 only); likewise
    bool read_only = false;
    std::optional<uint32_t> uid;  // AUTH_SYS uid sent to the server (default: our own uid)
    std::optional<uint32_t> gid;  // AUTH_SYS gid sent to the server (default: our own gid)
    bool hard = false;  // hard: retry forever (interruptible); soft (default): fail after timeout
    uint32_t timeo_deciseconds =
        600;               // like nfs(5): time to wait for a reply, in tenths of a second
    uint32_t retrans = 2;  // like nfs(5): retries before a soft call fails
    bool debug = false;
    CacheMode cache = CacheMode::full;
    LocalLock local_lock = LocalLock::none;
    // TCP connections to the server, as the kernel client's nconnect: with more than one, the
    // first carries metadata and the others file data.
    uint32_t nconnect = kDefaultNconnect;
    // The kernel's readahead window on the mount in KiB (0: leave the kernel's 128 KiB).
    uint32_t readahead_kib = kDefaultReadaheadKib;
    // The block cache's size in MiB (0: none; only with cache=full).
    uint32_t cache_size_mib = kDefaultCacheSizeMib;
    AttributeCacheTimes attribute_cache;
    // io_uring=auto: FUSE requests over io_uring when the kernel offers it (io_uring=off: always
    // through /dev/fuse).
    bool fuse_io_uring = true;
    // Options handed to libfuse unchanged, e.g. "allow_other", "fsname=x", "nosuid", "max_read=N".
    std::vector<std::string> fuse_options;

    // How long a soft call may take in total: timeo * (retrans + 1), in milliseconds.
    uint64_t soft_deadline_ms() const {
        return static_cast<uint64_t>(timeo_deciseconds) * 100u * (retrans + 1u);
    }
};

// Parses SOURCE. Throws nfsfuse::Error(EINVAL) naming what is wrong.
ServerTarget parse_target(const std::string& source);

// Parses every -o list given (in order; later values win). Throws nfsfuse::Error(EINVAL) naming the
// offending option; for an unknown option the message lists all valid option names.
MountOptions parse_mount_options(const std::vector<std::string>& option_lists);

// One line per option with its meaning, for --help and the docs.
std::string options_help();

}  // namespace nfsfuse::options
