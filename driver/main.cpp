// nfsfuse-driver: the Docker volume plugin daemon. Serves Docker's VolumeDriver API on a unix
// socket; mounts each volume with the kernel (mode=kernel) or a supervised `nfsfuse` child
// (mode=fuse). Volumes and who uses them are kept in a state file and survive restarts.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "driver/cow_mounter.h"
#include "driver/fuse_mounter.h"
#include "driver/kernel_mounter.h"
#include "driver/plugin_api.h"
#include "driver/plugin_socket_server.h"
#include "driver/shared_mount_root.h"
#include "driver/socket_activation.h"
#include "driver/state_store.h"
#include "driver/volume_manager.h"
#include "util/error.h"
#include "util/text.h"

#ifdef NFSFUSE_FAULT_POINTS
#include "driver/kill_at_fault_point.h"
#endif

namespace {

using namespace nfsfuse;
using namespace nfsfuse::driver;

struct DriverFlags {
    std::filesystem::path socket = "/run/docker/plugins/nfsfuse.sock";
    bool socket_given = false;  // --socket on the command line, not the default
    std::filesystem::path state_dir = "/var/lib/nfsfuse";
    std::filesystem::path volume_root = "/var/lib/nfsfuse/volumes";
    MountMode default_mode = MountMode::kernel;
    // default: next to this program (the build tree), else where it is installed
    std::filesystem::path nfsfuse_binary;
    std::chrono::milliseconds check_interval{2000};  // between supervision passes
    bool debug = false;
};

const char* kUsage =
    "usage: nfsfuse-driver [--socket PATH] [--state-dir DIR] [--volume-root DIR]\n"
    "                      [--default-mode kernel|fuse|auto] [--nfsfuse PATH]\n"
    "                      [--check-interval SECONDS] [--debug]\n"
    "\n"
    "  --socket PATH        plugin socket (default /run/docker/plugins/nfsfuse.sock;\n"
    "                       under systemd's socket activation the socket it passes)\n"
    "  --state-dir DIR      where volumes are recorded (default /var/lib/nfsfuse)\n"
    "  --volume-root DIR    where volumes are mounted (default /var/lib/nfsfuse/volumes)\n"
    "  --default-mode MODE  mode of volumes created without -o mode= (default kernel)\n"
    "  --nfsfuse PATH       the nfsfuse program for mode=fuse (default: next to this\n"
    "                       program, else " NFSFUSE_INSTALLED_NFSFUSE
    ")\n"
    "  --check-interval S   seconds between checks that mounts in use still work (default 2)\n"
    "  --debug              debug logging\n";

// Whole seconds, 1 to 3600.
std::chrono::milliseconds parse_check_interval(const std::string& text) {
    const auto seconds = text::parse_decimal(text);
    if (!seconds || *seconds < 1 || *seconds > 3600)
        throw Error(EINVAL, "--check-interval: '" + text + "' is not a number of seconds (1-3600)");
    return std::chrono::seconds(*seconds);
}

DriverFlags parse_flags(int argc, char** argv) {
    DriverFlags flags;
    const std::vector<std::string> args(argv + 1, argv + argc);
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        auto value = [&]() -> const std::string& {
            if (i + 1 == args.size()) throw Error(EINVAL, arg + " needs a value");
            return args[++i];
        };
        if (arg == "--socket") {
            flags.socket = value();
            flags.socket_given = true;
        } else if (arg == "--state-dir")
            flags.state_dir = value();
        else if (arg == "--volume-root")
            flags.volume_root = value();
        else if (arg == "--default-mode")
            flags.default_mode = parse_mount_mode(value());
        else if (arg == "--nfsfuse")
            flags.nfsfuse_binary = value();
        else if (arg == "--check-interval")
            flags.check_interval = parse_check_interval(value());
        else if (arg == "--debug")
            flags.debug = true;
        else if (arg == "-h" || arg == "--help") {
            std::cout << kUsage;
            std::exit(0);
        } else
            throw Error(EINVAL, "unknown argument '" + arg + "'\n" + kUsage);
    }
    for (auto* path : {&flags.socket, &flags.state_dir, &flags.volume_root}) {
        if (!path->is_absolute()) throw Error(EINVAL, path->string() + " must be an absolute path");
    }
    if (flags.nfsfuse_binary.empty()) {
        const auto beside =
            std::filesystem::read_symlink("/proc/self/exe").parent_path() / "nfsfuse";
        flags.nfsfuse_binary = std::filesystem::exists(beside) ? beside : NFSFUSE_INSTALLED_NFSFUSE;
    }
    return flags;
}

// See kernel_has_nfs_client; the probe mounts on an empty private directory.
bool probe_kernel_nfs(MountSyscall& syscall, const std::filesystem::path& work_root) {
    std::ifstream file("/proc/filesystems");
    const std::string filesystems{std::istreambuf_iterator<char>(file), {}};
    const std::filesystem::path probe_dir = work_root / "nfs-probe";
    std::filesystem::create_directories(probe_dir);
    const bool present = kernel_has_nfs_client(syscall, filesystems, probe_dir.string());
    std::filesystem::remove(probe_dir);
    return present;
}

// The socket systemd passed (nfsfuse-driver.socket), if any. A --socket naming another path means
// the unit and the command line disagree: refused rather than serving a socket nobody expects.
std::optional<InheritedSocket> inherited_plugin_socket(const DriverFlags& flags) {
    auto inherited = take_inherited_socket();
    if (inherited && flags.socket_given && inherited->path != flags.socket)
        throw Error(EINVAL, "systemd passed the socket " + inherited->path.string() +
                                " but --socket names " + flags.socket.string());
    return inherited;
}

int run(int argc, char** argv) {
    const DriverFlags flags = parse_flags(argc, argv);
    spdlog::set_level(flags.debug ? spdlog::level::debug : spdlog::level::info);
    // First, while this is the only thread: it reads and clears LISTEN_* in the environment.
    std::optional<InheritedSocket> inherited_socket = inherited_plugin_socket(flags);

    // SIGTERM/SIGINT are taken by a waiting thread, so they stop the server cleanly.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    make_shared_mount_root(flags.volume_root);
    // Private mounts the driver makes for itself (a revived nfsfuse before it moves in place, the
    // export root while a subdir is created, the NFS probe): never under the volume root Docker
    // sees.
    const std::filesystem::path work_root = flags.state_dir / "work";
    LinuxMountSyscall mount_syscall;
    const bool kernel_nfs = probe_kernel_nfs(mount_syscall, work_root);
    spdlog::info("kernel NFS client: {}; mode=auto uses {}", kernel_nfs ? "present" : "absent",
                 kernel_nfs ? "the kernel" : "nfsfuse");
    KernelMounter kernel_mounter(mount_syscall);
    FuseMounter fuse_mounter(flags.nfsfuse_binary, work_root, std::chrono::seconds(90));
    // cow volumes: their share by the mounter of their mode, under an overlay (cow_mounter.h).
    const CowLayers cow_layers(flags.state_dir / "cow");
    CowMounter kernel_cow(kernel_mounter, cow_layers, UpperLayerLife::kept);
    CowMounter kernel_volatile(kernel_mounter, cow_layers, UpperLayerLife::discarded_after_use);
    CowMounter fuse_cow(fuse_mounter, cow_layers, UpperLayerLife::kept);
    CowMounter fuse_volatile(fuse_mounter, cow_layers, UpperLayerLife::discarded_after_use);
    auto mounter_for = [&](const VolumeSpec& spec) -> Mounter& {
        const bool kernel =
            spec.mode == MountMode::kernel || (spec.mode == MountMode::auto_select && kernel_nfs);
        if (!spec.cow) return kernel ? static_cast<Mounter&>(kernel_mounter) : fuse_mounter;
        if (kernel) return spec.volatile_upper ? kernel_volatile : kernel_cow;
        return spec.volatile_upper ? fuse_volatile : fuse_cow;
    };

    StateStore store(flags.state_dir / "state.json");
    FaultPoint fault_point;  // the release build passes none
#ifdef NFSFUSE_FAULT_POINTS
    fault_point = kill_at_fault_point_from_environment();
#endif
    VolumeManager volumes(store, flags.volume_root, work_root, flags.default_mode, mounter_for,
                          fault_point);
    volumes.load();
    volumes.adopt_live_mounts();
    PluginApi api(volumes);
    // Bound before recovery: dockerd gives up on a plugin after about 15 s and forgets volumes
    // whose Get fails, so Get and List must answer while mounts are still being recovered.
    std::optional<PluginSocketServer> server_storage;
    if (inherited_socket)
        server_storage.emplace(api, std::move(*inherited_socket));
    else
        server_storage.emplace(api, flags.socket);
    PluginSocketServer& server = *server_storage;

    std::mutex stop_mutex;
    std::condition_variable stop_requested;
    bool stopping = false;  // guarded by stop_mutex
    std::thread supervisor([&] {
        volumes.recover();
        std::unique_lock lock(stop_mutex);
        while (!stop_requested.wait_for(lock, flags.check_interval, [&] { return stopping; })) {
            lock.unlock();
            volumes.supervise();
            lock.lock();
        }
    });

    std::thread signal_waiter([&] {
        int signal_number = 0;
        sigwait(&stop_signals, &signal_number);
        spdlog::info("signal {}: stopping (mounts stay for the containers using them)",
                     signal_number);
        server.stop();
    });
    server.serve();
    // serve() also returns if the listener fails; make sure the waiter can finish either way.
    kill(getpid(), SIGTERM);
    signal_waiter.join();
    {
        std::lock_guard lock(stop_mutex);
        stopping = true;
    }
    stop_requested.notify_all();
    supervisor.join();  // waits for a recovery or revival in progress: each has a deadline
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const nfsfuse::Error& e) {
        spdlog::error("{}", e.what());
        return e.errnum() == EINVAL ? 2 : 1;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
}
