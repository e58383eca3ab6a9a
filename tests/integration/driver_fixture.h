// The fixture of the driver's integration tests: nfsfuse-driver through its real unix socket,
// the way dockerd talks to it, with mode=fuse volumes of the test ganesha (real nfsfuse children,
// real FUSE mounts, data checked on the server's disk), and helpers to look at its processes and
// at a volume as a container sees it.
#pragma once

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "harness/child_process.h"
#include "harness/file_data.h"
#include "harness/forked_child.h"
#include "harness/harness_error.h"
#include "harness/mounted_test.h"
#include "harness/mountinfo.h"
#include "harness/paths.h"
#include "harness/plugin_client.h"
#include "harness/process_resources.h"
#include "harness/temp_dir.h"

namespace nfsfuse::it {

using json = nlohmann::json;
using namespace std::chrono_literals;

class DriverTest : public ServerTest {
  protected:
    void SetUp() override {
        ServerTest::SetUp();
        // Short: a unix socket path must fit in 108 bytes. Fresh for every test, also when one
        // process runs several (--gtest_repeat): state files and marker files never carry over.
        std::string pattern = (scratch_root() / "drvXXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw HarnessError("mkdtemp " + pattern);
        home_ = pattern;
        start_driver();
    }

    void TearDown() override {
        stop_driver(SIGKILL);
        // Whatever the test left mounted under the volume root (and the root's own bind mount).
        for (int round = 0; round < 3; ++round) {
            for (const auto& entry : std::filesystem::directory_iterator(volume_root(), ec_))
                ::umount2(entry.path().c_str(), MNT_DETACH);
            ::umount2(volume_root().c_str(), MNT_DETACH);
            // cow volumes: their shares, under the overlays.
            for (const auto& entry : std::filesystem::directory_iterator(state_dir() / "cow", ec_))
                ::umount2((entry.path() / "lower").c_str(), MNT_DETACH);
        }
        if (HasFailure()) std::cout << "---- driver log ----\n" << driver_log_ << "\n----\n";
        ServerTest::TearDown();
    }

    std::filesystem::path socket() const { return home_ / "plugin.sock"; }
    // --state-dir: a fixture may give it a name with characters that need care.
    virtual std::filesystem::path state_dir() const { return home_ / "state"; }
    std::filesystem::path volume_root() const { return home_ / "volumes"; }

    // environment: "NAME=value" for the driver (NFSFUSE_FAULT_POINT with the test build).
    void start_driver(const std::filesystem::path& binary = driver_binary(),
                      const std::vector<std::string>& environment = {}) {
        SpawnSpec spec;
        spec.env_overrides = environment;
        spec.argv = {binary.string(),
                     "--socket",
                     socket().string(),
                     "--state-dir",
                     state_dir().string(),
                     "--volume-root",
                     volume_root().string(),
                     "--default-mode",
                     "fuse",
                     "--nfsfuse",
                     nfsfuse_binary().string(),
                     "--check-interval",
                     "1"};
        driver_ = std::make_unique<ChildProcess>(spec, home_ / "driver.log");
        // Ready when it answers: after a SIGKILL the old socket file is still there (the new
        // driver removes it), so the file existing proves nothing.
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        for (;;) {
            try {
                if (PluginClient(socket()).post("/Plugin.Activate", "").http_status == 200) return;
            } catch (const HarnessError&) {
            }
            if (!driver_->running() || std::chrono::steady_clock::now() > deadline)
                FAIL() << "the driver does not answer on its socket: " << driver_->log();
            std::this_thread::sleep_for(20ms);
        }
    }

    void stop_driver(int signal_number) {
        if (!driver_) return;
        driver_log_ += driver_->log();
        driver_->signal(signal_number);
        driver_->wait(10s);
        driver_.reset();
    }

    json call(const std::string& endpoint, const json& request) {
        return call_raw(endpoint, request.is_null() ? "" : request.dump());
    }

    json call_raw(const std::string& endpoint, const std::string& body) {
        const PluginReply reply = PluginClient(socket()).post(endpoint, body);
        EXPECT_EQ(reply.http_status, 200) << endpoint << ": " << reply.body;
        return json::parse(reply.body);
    }

    // A fuse-mode volume of the test server over NFSv4.1, the default: one explicit port, since
    // the one rpcbind of this machine answers for whichever ganesha registered last.
    json volume_options() {
        return {{"server", "127.0.0.1"},
                {"path", server().export_dir().string()},
                {"port", std::to_string(server().nfs_port())},
                {"mode", "fuse"},
                {"timeo", "50"},
                {"retrans", "1"}};
    }

    // Nothing is left of the short private mounts of the export root (subdir checks).
    void expect_no_private_mounts_left() {
        const std::string work_root = (state_dir() / "work").string();
        for (const auto& entry : read_mountinfo())
            EXPECT_NE(entry.mount_point.string().rfind(work_root, 0), 0u) << entry.mount_point;
    }

    // The server-side path of a file the test writes at mountpoint/<work>/name.
    std::filesystem::path on_server(const std::string& name) const { return srv(name); }
    std::filesystem::path in_volume(const std::filesystem::path& mountpoint,
                                    const std::string& name) const {
        return mountpoint / work_name() / name;
    }

    std::filesystem::path home_;
    std::unique_ptr<ChildProcess> driver_;
    std::string driver_log_;
    std::error_code ec_;
};

inline bool has_error(const json& reply) {
    return reply.contains("Err") && !reply["Err"].get<std::string>().empty();
}

// The argv of each live nfsfuse process whose MOUNTPOINT argument (argv[2]) is `path`, by pid.
inline std::map<pid_t, std::vector<std::string>> nfsfuse_command_lines_for(
    const std::filesystem::path& path) {
    std::map<pid_t, std::vector<std::string>> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream file(entry.path() / "cmdline", std::ios::binary);
        std::vector<std::string> argv;
        for (std::string arg; std::getline(file, arg, '\0');) argv.push_back(arg);
        if (argv.size() >= 3 && std::filesystem::path(argv[0]).filename() == "nfsfuse" &&
            argv[2] == path.string())
            found.emplace(static_cast<pid_t>(std::stol(name)), std::move(argv));
    }
    return found;
}

inline std::vector<pid_t> nfsfuse_processes_for(const std::filesystem::path& path) {
    std::vector<pid_t> pids;
    for (const auto& [pid, argv] : nfsfuse_command_lines_for(path)) pids.push_back(pid);
    return pids;
}

// The -o list of the one nfsfuse process serving `mountpoint` ("" if there is not exactly one).
inline std::string nfsfuse_options_of(const std::filesystem::path& mountpoint) {
    const auto found = nfsfuse_command_lines_for(mountpoint);
    if (found.size() != 1) return "";
    const std::vector<std::string>& argv = found.begin()->second;
    const auto dash_o = std::find(argv.begin(), argv.end(), "-o");
    return dash_o != argv.end() && dash_o + 1 != argv.end() ? *(dash_o + 1) : "";
}

inline bool starts_with(const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
}

// Polls `condition` every 50 ms until it holds or `timeout` passes.
template <typename Condition>
inline bool eventually(Condition condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(50ms);
    }
    return true;
}

// A container's view of a volume, as Docker builds it: its own mount namespace with / made
// rslave, and the volume's mountpoint rbind-mounted at `data`. Reads `file` through `data` before
// and after `go` appears, and requires the given contents each time.
inline ForkedChild container_reading(const std::filesystem::path& mountpoint,
                                     const std::filesystem::path& data, const std::string& file,
                                     const std::filesystem::path& ready,
                                     const std::filesystem::path& go) {
    std::filesystem::create_directories(data);
    return ForkedChild([=] {
        child_require(::unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS) failed");
        child_require(::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) == 0,
                      "making / rslave failed");
        child_require(
            ::mount(mountpoint.c_str(), data.c_str(), nullptr, MS_BIND | MS_REC, nullptr) == 0,
            "rbind of the volume failed");
        child_require(read_file(data / file) == "before", "first read through the bind");
        write_file(ready, "");
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (!std::filesystem::exists(go)) {
            child_require(std::chrono::steady_clock::now() < deadline, "no go from the test");
            std::this_thread::sleep_for(20ms);
        }
        child_require(read_file(data / file) == "after",
                      "the container does not see the share again after the revival");
    });
}

// Waits until the container_reading child whose `ready` file is `home`/ready has read once.
inline void wait_for_first_read(const std::filesystem::path& home) {
    if (!eventually([&] { return std::filesystem::exists(home / "ready"); }, 20s))
        throw HarnessError("the container never read the volume");
}

// Lets the container_reading child go on (creates `go`) and requires that it reads as expected.
inline void release_and_expect_ok(ForkedChild& container, const std::filesystem::path& go) {
    write_file(go, "");
    const auto outcome = container.wait(30s);
    ASSERT_TRUE(outcome.has_value()) << "the container hangs";
    EXPECT_TRUE(outcome->ok()) << outcome->describe();
}

}  // namespace nfsfuse::it
