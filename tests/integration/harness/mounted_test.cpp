#include "harness/mounted_test.h"

#include <sys/stat.h>

#include <algorithm>
#include <iostream>

#include "harness/harness_error.h"
#include "harness/process_resources.h"
#include "harness/syscall_check.h"
#include "harness/temp_dir.h"

namespace nfsfuse::it {

std::string current_test_dir_name() {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(test->test_suite_name()) + "." + test->name();
    std::replace(name.begin(), name.end(), '/', '_');
    return name;
}

GaneshaServer& ServerTest::server() {
    return shared_server();
}

void ServerTest::SetUp() {
    work_name_ = current_test_dir_name();
    const auto work_dir = server().export_dir() / work_name_;
    if (::mkdir(work_dir.c_str(), 0755) != 0)
        throw HarnessError("mkdir " + work_dir.string() + ": " + errno_text(errno));
    server_work_dir_ = work_dir;
}

void ServerTest::TearDown() {
    if (server_work_dir_.empty()) return;  // the server never came up: nothing to show or remove
    if (HasFailure()) {
        std::cerr << "---- ganesha log (" << server().log_file() << ", last lines) ----\n"
                  << server().log_tail(15) << "----\n";
    }
    remove_tree_safely(server_work_dir_);
}

std::filesystem::path ServerTest::srv(const std::filesystem::path& relative) const {
    return relative.empty() ? server_work_dir_ : server_work_dir_ / relative;
}

std::unique_ptr<NfsfuseMount> ServerTest::mount_export(
    const std::vector<std::string>& extra_options, std::optional<Credentials> run_as) {
    auto options = server().connection_options();
    options.insert(options.end(), extra_options.begin(), extra_options.end());
    return std::make_unique<NfsfuseMount>(
        scratch_root(),
        MountRequest{.source = server().source(), .options = options, .run_as = run_as});
}

void MountedTest::SetUp() {
    ServerTest::SetUp();
    mount_ = mount_export(extra_mount_options());
}

void MountedTest::TearDown() {
    mount_.reset();
    ServerTest::TearDown();
}

std::filesystem::path MountedTest::mnt(const std::filesystem::path& relative) const {
    const auto base = mount_->path() / work_name();
    return relative.empty() ? base : base / relative;
}

void MountedTest::remount() {
    mount_.reset();
    mount_ = mount_export(extra_mount_options());
}

}  // namespace nfsfuse::it
