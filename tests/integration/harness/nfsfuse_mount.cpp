#include "harness/nfsfuse_mount.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <iostream>
#include <thread>

#include "harness/command.h"
#include "harness/fuse_transport.h"
#include "harness/harness_error.h"
#include "harness/paths.h"

namespace nfsfuse::it {
namespace {

constexpr auto kExitTimeout = std::chrono::seconds(10);

std::vector<std::string> nfsfuse_argv(const std::filesystem::path& binary,
                                      const MountRequest& request,
                                      const std::filesystem::path& mountpoint) {
    std::vector<std::string> argv{binary.string(), request.source, mountpoint.string()};
    if (!request.options.empty()) {
        argv.push_back("-o");
        argv.push_back(join_options(request.options));
    }
    argv.push_back("-f");
    argv.insert(argv.end(), request.extra_args.begin(), request.extra_args.end());
    return argv;
}

// Under NFSFUSE_IT_FUSE_TRANSPORT=io_uring, a mount of ours (by root, without its own io_uring=
// option) on a kernel that offers FUSE over io_uring must get its requests that way: the
// getxattr asking is itself one of them.
bool expects_io_uring(const MountRequest& request) {
    if (fuse_transport_under_test() != FuseTransport::io_uring) return false;
    if (!request.binary.empty() || request.run_as || !kernel_offers_fuse_io_uring()) return false;
    for (const auto& option : request.options)
        if (option.rfind("io_uring=", 0) == 0) return false;
    return true;
}

}  // namespace

void require_executable(const std::filesystem::path& binary) {
    if (!std::filesystem::exists(binary)) {
        throw HarnessError("nfsfuse binary not found at " + binary.string() +
                           ": build the `nfsfuse` target first, or point NFSFUSE_IT_BINARY at it");
    }
    if (::access(binary.c_str(), X_OK) != 0)
        throw HarnessError("nfsfuse binary at " + binary.string() + " is not executable");
}

std::string join_options(const std::vector<std::string>& options) {
    std::string joined;
    for (const auto& option : options) joined += (joined.empty() ? "" : ",") + option;
    return joined;
}

NfsfuseMount::NfsfuseMount(const std::filesystem::path& scratch_dir, MountRequest request) {
    const std::filesystem::path binary = request.binary.empty() ? nfsfuse_binary() : request.binary;
    require_executable(binary);
    mountpoint_ = std::make_unique<Mountpoint>(scratch_dir, request.run_as);
    log_file_ = mountpoint_->path().string() + ".log";
    const auto argv = nfsfuse_argv(binary, request, mountpoint_->path());
    process_ = std::make_unique<ChildProcess>(
        SpawnSpec{.argv = argv, .credentials = request.run_as}, log_file_);

    const auto deadline = std::chrono::steady_clock::now() + request.ready_timeout;
    while (!mountpoint_->nfsfuse_mounted()) {
        if (!process_->running()) {
            throw HarnessError("`" + describe_argv(argv) + "` " +
                               process_->exit_status()->describe() +
                               " before mounting; its output:\n" + log());
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            process_->kill_and_reap();
            throw HarnessError("`" + describe_argv(argv) + "` did not mount within " +
                               std::to_string(request.ready_timeout.count()) +
                               " ms; its output:\n" + log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (expects_io_uring(request)) {
        const std::string text = fuse_transport_text(mountpoint_->path().string());
        if (text.find("transport io_uring") == std::string::npos ||
            fuse_transport_count(text, "io_uring_requests") < 1)
            throw HarnessError("`" + describe_argv(argv) +
                               "`: the kernel offers FUSE over io_uring, but requests do not "
                               "come that way:\n" +
                               text + "its output:\n" + log());
    }
}

NfsfuseMount::~NfsfuseMount() {
    if (::testing::Test::HasFailure()) {
        std::string output = log();
        if (output.size() > 8000) output = "[…]" + output.substr(output.size() - 8000);
        std::cerr << "---- nfsfuse output (" << describe_argv(process_->argv()) << ") ----\n"
                  << output << "\n----\n";
    }
    if (mounted()) {
        try {
            unmount();
        } catch (const std::exception& error) {
            std::cerr << "unmounting " << path() << ": " << error.what() << "\n";
        }
    }
    process_.reset();     // kills nfsfuse if it still runs
    mountpoint_.reset();  // lazy-unmounts if anything is left
    std::error_code ignored;
    std::filesystem::remove(log_file_, ignored);
}

ExitStatus NfsfuseMount::unmount() {
    const auto result =
        run_command({"fusermount3", "-u", path().string()}, {.timeout = kExitTimeout});
    if (!result.succeeded()) throw HarnessError("unmount failed: " + result.describe());
    const auto status = process_->wait(kExitTimeout);
    if (!status) {
        throw HarnessError("nfsfuse (pid " + std::to_string(process_->pid()) +
                           ") still runs 10 s after fusermount3 -u");
    }
    return *status;
}

}  // namespace nfsfuse::it
