// A private nfs-ganesha on 127.0.0.1 (NFSv3 + v4, VFS FSAL) run through tests/tools/ganesha.sh.
// Its export is a directory on local disk, so tests can check what really landed on the server.
// stop() and start() keep the ports and the export: a restart looks like a server outage.
// Thread-safety: not thread-safe; one owner. The destructor stops the server.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/command.h"

namespace nfsfuse::it {

// What a test may change in the configuration of a server of its own.
struct GaneshaSettings {
    // The NFSv4 lease in seconds (ganesha.sh's NFSFUSE_GANESHA_LEASE); 0: ganesha's own (60 s).
    unsigned lease_seconds = 0;
    // A grace period of this many seconds after every start, in which clients reclaim their
    // opens and locks (ganesha.sh's NFSFUSE_GANESHA_GRACE); 0: none (Graceless), the default.
    unsigned grace_seconds = 0;
    // NFSv3 locks: ganesha's NLM service on a port of its own (and rpc.statd, which it needs).
    // false: a server without NLM, as some are.
    bool nlm = true;
};

class GaneshaServer {
  public:
    // Creates dir if needed and starts ganesha there on fresh ports. Throws HarnessError with the
    // log tail when it does not come up.
    explicit GaneshaServer(std::filesystem::path dir, GaneshaSettings settings = {});
    ~GaneshaServer();
    GaneshaServer(const GaneshaServer&) = delete;
    GaneshaServer& operator=(const GaneshaServer&) = delete;

    void stop();   // waits until the process has exited
    void start();  // on the same ports and export; waits until both ports listen
    bool running() const { return running_; }

    uint16_t nfs_port() const { return nfs_port_; }
    uint16_t mount_port() const { return mount_port_; }
    // The NLM service's port; 0 when the server runs none (GaneshaSettings::nlm).
    uint16_t nlm_port() const { return nlm_port_; }
    const std::filesystem::path& dir() const { return dir_; }
    // The exported directory on local disk; also the path a client mounts, over v3 and v4.
    std::filesystem::path export_dir() const { return dir_ / "export"; }
    // A second export with root_squash (root arrives as 65534:65534), and its SOURCE.
    std::filesystem::path squashed_dir() const { return dir_ / "squashed"; }
    std::string squashed_source() const;
    std::filesystem::path log_file() const { return dir_ / "ganesha.log"; }
    // "127.0.0.1:/…/export", the SOURCE argument of nfsfuse for either version.
    std::string source() const;
    // "nfs://127.0.0.1:PORT/…/export"
    std::string url() const;
    // What reaches this server without the portmapper, over the version under test
    // (harness/nfs_version.h): {"vers=3", "port=P", "mountport=M", "nlmport=L"} for NFSv3
    // (nlmport= while it serves NLM: every instance registers NLM with the one rpcbind, so the
    // portmapper knows only the last one's), {"port=P"} for NFSv4.1, nfsfuse's default; and
    // "io_uring=off" first when the run tests FUSE over /dev/fuse (harness/fuse_transport.h).
    std::vector<std::string> connection_options() const;
    std::string log_tail(size_t lines = 30) const;

  private:
    CommandResult run_script_start();  // sets running_ on success

    std::filesystem::path dir_;
    GaneshaSettings settings_;
    uint16_t nfs_port_ = 0;
    uint16_t mount_port_ = 0;
    uint16_t nlm_port_ = 0;
    bool running_ = false;
};

}  // namespace nfsfuse::it
