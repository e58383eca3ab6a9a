// `nfsfuse`: mounts an NFS export with FUSE. Parses and validates everything before touching the
// mountpoint, connects to the server before daemonizing (so errors reach the terminal), then serves
// FUSE requests on a pool of threads until unmounted or signalled.
#include <fuse_lowlevel.h>
#include <malloc.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "fusefs/command_line.h"
#include "fusefs/daemonize.h"
#include "fusefs/fuse_adapter.h"
#include "fusefs/request_loop.h"
#include "nfs/nfs3_client.h"
#include "nfs/v4/nfs4_client.h"
#include "options/mount_identity.h"
#include "options/mount_options.h"
#include "util/error.h"

namespace {

using namespace nfsfuse;

// Owns a libfuse session and undoes each step it took, in reverse, on every exit path.
class FuseSession {
  public:
    // As many requests served at once as libfuse's own loop allowed us before.
    static constexpr size_t kMaxThreads = 32;

    FuseSession(const std::vector<std::string>& arguments, fusefs::FuseAdapter& adapter,
                fusefs::FuseDevice::Settings device_settings)
        : adapter_(adapter), device_settings_(device_settings) {
        std::vector<char*> argv;
        for (const auto& arg : arguments) argv.push_back(const_cast<char*>(arg.c_str()));
        fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
        session_ = fuse_session_new(&args, &fusefs::FuseAdapter::operations(),
                                    sizeof(fuse_lowlevel_ops), &adapter);
        if (!session_) throw Error(EINVAL, "libfuse rejected the FUSE options (see above)");
        adapter.set_session(session_);
    }
    ~FuseSession() {
        adapter_.set_session(nullptr);
        if (mounted_) fuse_session_unmount(session_);
        if (signals_installed_) fuse_remove_signal_handlers(session_);
        fuse_session_destroy(session_);
    }
    FuseSession(const FuseSession&) = delete;
    FuseSession& operator=(const FuseSession&) = delete;

    void mount(const std::string& mountpoint) {
        if (fuse_set_signal_handlers(session_) != 0)
            throw Error(EIO, "cannot install signal handlers");
        signals_installed_ = true;
        if (fuse_session_mount(session_, mountpoint.c_str()) != 0)
            throw Error(EIO, "cannot mount on " + mountpoint + " (see above)");
        mounted_ = true;
    }

    // Serves requests until unmounted (fusermount3 -u, umount) or told to stop by SIGTERM,
    // SIGINT or SIGHUP. Returns false if the loop failed.
    bool serve() {
        fusefs::RequestLoop loop(
            adapter_, kMaxThreads,
            [this](uint64_t fh) { adapter_.filesystem().release_received(fh); }, device_settings_);
        const fusefs::RequestLoop::Outcome outcome = loop.run();
        if (outcome.signal != 0) spdlog::debug("stopping at {}", strsignal(outcome.signal));
        if (outcome.error != 0)
            spdlog::error("the FUSE loop failed: {}", std::strerror(outcome.error));
        return outcome.error == 0;
    }

  private:
    fusefs::FuseAdapter& adapter_;
    const fusefs::FuseDevice::Settings device_settings_;
    fuse_session* session_ = nullptr;
    bool signals_installed_ = false;
    bool mounted_ = false;
};

// The mountpoint as /proc/self/mountinfo will show it: absolute, symlinks resolved, no trailing
// slash. Taken before mounting, while resolving it cannot reach the mount itself.
std::filesystem::path as_in_mountinfo(const std::string& mountpoint) {
    std::error_code error;
    std::filesystem::path path = std::filesystem::weakly_canonical(mountpoint, error);
    if (error) path = std::filesystem::absolute(mountpoint).lexically_normal();
    if (path.has_relative_path() && path.filename().empty()) path = path.parent_path();
    return path;
}

std::vector<std::string> fuse_arguments(const options::MountOptions& mount_options,
                                        const std::string& source) {
    std::string list = "fsname=" + source + ",subtype=nfsfuse";
    // The user's own fsname/subtype come later and so win.
    for (const auto& option : mount_options.fuse_options) list += "," + option;
    std::vector<std::string> args{"nfsfuse", "-o", list};
    if (mount_options.debug) args.push_back("-d");
    return args;
}

// The terminal while starting up; syslog once daemonized (stderr then goes to /dev/null).
void set_up_logging(bool to_terminal, bool debug) {
    spdlog::sink_ptr sink;
    if (to_terminal)
        sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    else
        sink =
            std::make_shared<spdlog::sinks::syslog_sink_mt>("nfsfuse", LOG_PID, LOG_DAEMON, true);
    auto logger = std::make_shared<spdlog::logger>("nfsfuse", std::move(sink));
    logger->set_level(debug ? spdlog::level::debug : spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
}

// NFSv4.1 (the default): our own session (src/nfs/v4) over nconnect connections, the export
// found by its path in the server's pseudo filesystem (parse_mount_options already refused
// mountport= with it). NFSv3: nconnect connections (nfs3_connection.h), each with its own MOUNT.
std::unique_ptr<nfs::NfsClient> make_client(const options::ServerTarget& target,
                                            const options::MountOptions& mount_options,
                                            const options::MountIdentity& identity,
                                            const std::string& mountpoint) {
    const uint64_t timeout_ms = mount_options.hard ? 0 : mount_options.soft_deadline_ms();
    const std::optional<uint16_t> port = target.port ? target.port : mount_options.port;
    char hostname[256] = {};
    gethostname(hostname, sizeof hostname - 1);
    if (mount_options.version == options::NfsVersion::v4_1) {
        nfs::v4::SessionSettings settings;
        settings.rpc.host = target.host;
        settings.rpc.port = port.value_or(2049);
        settings.rpc.credentials.machine_name = hostname;
        settings.rpc.credentials.credentials = identity.own;
        // The same owner after a restart of this mount: the server can drop our old state.
        settings.owner_id = std::string("nfsfuse:") + hostname + ":" + mountpoint;
        settings.call_timeout = std::chrono::milliseconds(timeout_ms);
        settings.liveness_timeout = std::chrono::milliseconds(mount_options.soft_deadline_ms());
        // nconnect: one session over all of them (session_connections.h).
        settings.connections = mount_options.nconnect;
        return std::make_unique<nfs::v4::Nfs4Client>(std::move(settings), target.export_path);
    }
    nfs::ConnectionSettings settings;
    settings.host = target.host;
    settings.export_path = target.export_path;
    settings.nfs_port = port;
    settings.mount_port = mount_options.mount_port;
    settings.nlm_port = mount_options.nlm_port;
    settings.identity = identity.own;
    settings.machine_name = hostname;
    settings.call_timeout_ms = timeout_ms;
    settings.liveness_timeout_ms = mount_options.soft_deadline_ms();
    std::vector<std::unique_ptr<nfs::Nfs3Connection>> connections;
    for (uint32_t i = 0; i < mount_options.nconnect; ++i)
        connections.push_back(std::make_unique<nfs::Nfs3Connection>(settings));
    return std::make_unique<nfs::Nfs3Client>(std::move(connections));
}

// Stopped by a signal or an unmount, files may still be open with data not yet on the server:
// it is sent and committed now, for at most `bound` (the mount's timeout), since the kernel
// will never ask for it. Returns false (logged file by file) when some could not be written.
bool write_everything_before_exit(vfs::Filesystem& filesystem, std::chrono::milliseconds bound) {
    nfs::CallContext context;
    std::mutex mutex;
    std::condition_variable done_changed;
    bool done = false;
    std::thread timer([&] {
        std::unique_lock lock(mutex);
        if (!done_changed.wait_for(lock, bound, [&] { return done; })) context.cancel();
    });
    const vfs::ShutdownReport report = filesystem.shutdown(context);
    {
        std::lock_guard lock(mutex);
        done = true;
    }
    done_changed.notify_all();
    timer.join();
    if (report.files_flushed > 0)
        spdlog::info("wrote the data of {} files still open before exiting", report.files_flushed);
    for (const std::string& failure : report.failures) spdlog::error("{}", failure);
    return report.failures.empty();
}

int run(int argc, char** argv) {
    const fusefs::CommandLine command =
        fusefs::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
    if (command.help) {
        std::cout << fusefs::usage_text();
        return 0;
    }
    if (command.version) {
        std::cout << "nfsfuse " << NFSFUSE_VERSION << "\n";
        return 0;
    }
    const options::ServerTarget target = options::parse_target(command.source);
    options::MountOptions mount_options = options::parse_mount_options(command.option_lists);
    mount_options.debug = mount_options.debug || command.debug;
    set_up_logging(true, mount_options.debug);

    const options::MountIdentity identity =
        options::mount_identity(mount_options, options::process_credentials());
    const std::unique_ptr<nfs::NfsClient> client =
        make_client(target, mount_options, identity, command.mountpoint);

    vfs::FilesystemSettings fs_settings;
    fs_settings.read_only = mount_options.read_only;
    fs_settings.cache = mount_options.cache;
    fs_settings.attribute_cache = mount_options.attribute_cache;
    fs_settings.block_cache_bytes = size_t{mount_options.cache_size_mib} * 1024 * 1024;
    vfs::Filesystem filesystem(*client, fs_settings);
    const bool local_posix = mount_options.local_lock == options::LocalLock::posix ||
                             mount_options.local_lock == options::LocalLock::all;
    const bool local_flock = mount_options.local_lock == options::LocalLock::flock ||
                             mount_options.local_lock == options::LocalLock::all;
    fusefs::FuseAdapter adapter(filesystem,
                                {as_in_mountinfo(command.mountpoint), mount_options.readahead_kib,
                                 identity.per_caller, !local_posix, !local_flock});

    fusefs::FuseDevice::Settings device_settings;
    device_settings.io_uring_allowed = mount_options.fuse_io_uring;
    FuseSession session(fuse_arguments(mount_options, command.source), adapter, device_settings);
    session.mount(command.mountpoint);
    const bool foreground = command.foreground || mount_options.debug;
    if (!foreground) set_up_logging(false, mount_options.debug);
    fusefs::daemonize(foreground, command.print_pid);
    client->start();  // threads are started after daemonize's fork
    spdlog::info("mounted {} on {}; {}", command.source, command.mountpoint,
                 identity.per_caller
                     ? "each request goes as its caller"
                     : "every request goes as uid " + std::to_string(identity.own.uid) + " gid " +
                           std::to_string(identity.own.gid));
    const bool served = session.serve();
    const bool written = write_everything_before_exit(
        filesystem, std::chrono::milliseconds(mount_options.soft_deadline_ms()));
    spdlog::info("unmounting {}", command.mountpoint);
    return served && written ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    // READ and WRITE buffers are 1 MiB. Above glibc's default threshold each would be a fresh
    // mmap, and every page of it a page fault; kept in the heap, freed buffers are reused.
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    try {
        return run(argc, argv);
    } catch (const nfsfuse::Error& e) {
        std::cerr << "nfsfuse: " << e.what() << "\n";
        return e.errnum() == EINVAL ? 2 : 1;
    } catch (const std::exception& e) {
        std::cerr << "nfsfuse: " << e.what() << "\n";
        return 1;
    }
}
