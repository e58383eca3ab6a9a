#include "harness/process_resources.h"

#include <unistd.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "harness/harness_error.h"
#include "harness/temp_dir.h"

namespace nfsfuse::it {
namespace {

struct ProcessResources {
    std::mutex mutex;
    std::unique_ptr<TempDir> scratch;           // guarded by mutex
    std::unique_ptr<GaneshaServer> server;      // guarded by mutex
    std::optional<std::string> server_failure;  // guarded by mutex: do not retry a failed start
};

ProcessResources& resources() {
    static ProcessResources instance;
    return instance;
}

const std::filesystem::path& scratch_root_locked(ProcessResources& shared) {
    if (!shared.scratch) shared.scratch = std::make_unique<TempDir>("nfsfuse-it");
    return shared.scratch->path();
}

}  // namespace

const std::filesystem::path& scratch_root() {
    auto& shared = resources();
    std::lock_guard lock(shared.mutex);
    return scratch_root_locked(shared);
}

GaneshaServer& shared_server() {
    auto& shared = resources();
    std::lock_guard lock(shared.mutex);
    if (shared.server) return *shared.server;
    if (shared.server_failure) throw HarnessError(*shared.server_failure);
    if (::geteuid() != 0) {
        shared.server_failure =
            "the integration tests must run as root: they start nfs-ganesha and mount filesystems";
        throw HarnessError(*shared.server_failure);
    }
    try {
        shared.server = std::make_unique<GaneshaServer>(scratch_root_locked(shared) / "ganesha");
    } catch (const HarnessError& error) {
        shared.server_failure = error.what();
        throw;
    }
    return *shared.server;
}

void release_process_resources() {
    auto& shared = resources();
    std::lock_guard lock(shared.mutex);
    shared.server.reset();
    shared.scratch.reset();
}

}  // namespace nfsfuse::it
