#include "harness/ganesha_server.h"

#include <deque>
#include <fstream>
#include <iostream>

#include "harness/command.h"
#include "harness/emergency_cleanup.h"
#include "harness/free_ports.h"
#include "harness/fuse_transport.h"
#include "harness/harness_error.h"
#include "harness/nfs_version.h"
#include "harness/paths.h"

namespace nfsfuse::it {
namespace {

// ganesha.sh waits up to 15 s for the ports and up to 20 s for an exit; leave it room.
constexpr auto kScriptTimeout = std::chrono::seconds(45);
constexpr int kPortAttempts = 3;

// A port taken between our check and ganesha's bind shows as one of these; anything else (a hung
// script, a broken install) fails the same way on any port, so trying again only costs time.
bool looks_like_a_port_race(const CommandResult& result) {
    if (result.timed_out) return false;
    return result.err.find("already in use") != std::string::npos ||
           result.err.find("exited during start-up") != std::string::npos;
}

}  // namespace

GaneshaServer::GaneshaServer(std::filesystem::path dir, GaneshaSettings settings)
    : dir_(std::move(dir)), settings_(settings) {
    std::filesystem::create_directories(dir_);
    dir_ = std::filesystem::canonical(dir_);  // ganesha's config needs the real path
    EmergencyCleanup::instance().add_server(dir_);
    // Another process may take a port between our check and ganesha's bind: try fresh ones.
    std::string failures;
    for (int attempt = 1; attempt <= kPortAttempts; ++attempt) {
        const auto ports = pick_free_ports(3);
        nfs_port_ = ports[0];
        mount_port_ = ports[1];
        nlm_port_ = settings_.nlm ? ports[2] : 0;
        const auto result = run_script_start();
        if (result.succeeded()) return;
        failures += "attempt " + std::to_string(attempt) + ": " + result.describe() + "\n";
        if (!looks_like_a_port_race(result)) break;
    }
    EmergencyCleanup::instance().remove_server(dir_);
    throw HarnessError("ganesha did not start in " + dir_.string() + ":\n" + failures);
}

GaneshaServer::~GaneshaServer() {
    try {
        stop();
    } catch (const std::exception& error) {
        std::cerr << "stopping ganesha in " << dir_ << ": " << error.what() << "\n";
    }
    EmergencyCleanup::instance().remove_server(dir_);
}

CommandResult GaneshaServer::run_script_start() {
    // Every start writes the config again: a restarted server keeps the settings.
    std::vector<std::string> environment;
    if (settings_.lease_seconds > 0)
        environment.push_back("NFSFUSE_GANESHA_LEASE=" + std::to_string(settings_.lease_seconds));
    if (settings_.grace_seconds > 0)
        environment.push_back("NFSFUSE_GANESHA_GRACE=" + std::to_string(settings_.grace_seconds));
    std::vector<std::string> command{ganesha_script().string(), "start", dir_.string(),
                                     std::to_string(nfs_port_), std::to_string(mount_port_)};
    if (nlm_port_ != 0) command.push_back(std::to_string(nlm_port_));
    auto result = run_command(command, {.timeout = kScriptTimeout, .env_overrides = environment});
    running_ = result.succeeded();
    return result;
}

void GaneshaServer::start() {
    if (running_) return;
    const auto result = run_script_start();
    if (!result.succeeded()) throw HarnessError(result.describe());
}

void GaneshaServer::stop() {
    const auto result = run_command({ganesha_script().string(), "stop", dir_.string()},
                                    {.timeout = kScriptTimeout});
    if (!result.succeeded()) throw HarnessError(result.describe());
    running_ = false;
}

std::string GaneshaServer::source() const {
    return "127.0.0.1:" + export_dir().string();
}

std::string GaneshaServer::squashed_source() const {
    return "127.0.0.1:" + squashed_dir().string();
}

std::string GaneshaServer::url() const {
    return "nfs://127.0.0.1:" + std::to_string(nfs_port_) + export_dir().string();
}

std::vector<std::string> GaneshaServer::connection_options() const {
    const std::string port = "port=" + std::to_string(nfs_port_);
    std::vector<std::string> options = fuse_transport_options();
    if (nfs_version_under_test() == NfsVersion::v4_1) {
        options.push_back(port);
        return options;
    }
    options.insert(options.end(), {"vers=3", port, "mountport=" + std::to_string(mount_port_)});
    if (nlm_port_ != 0) options.push_back("nlmport=" + std::to_string(nlm_port_));
    return options;
}

std::string GaneshaServer::log_tail(size_t lines) const {
    std::ifstream in(log_file());
    std::deque<std::string> tail;
    std::string line;
    while (std::getline(in, line)) {
        // ganesha logs a line per component when it sets log levels: noise for a failure report.
        if (line.find("SetComponentLogLevel") != std::string::npos) continue;
        tail.push_back(line);
        if (tail.size() > lines) tail.pop_front();
    }
    std::string text;
    for (const auto& kept : tail) text += kept + "\n";
    return text;
}

}  // namespace nfsfuse::it
