#include "harness/temp_dir.h"

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "harness/emergency_cleanup.h"
#include "harness/harness_error.h"
#include "harness/mount_cleanup.h"
#include "harness/mountinfo.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

bool is_within(const std::filesystem::path& candidate, const std::filesystem::path& root) {
    const auto [root_end, candidate_at] =
        std::mismatch(root.begin(), root.end(), candidate.begin(), candidate.end());
    return root_end == root.end();
}

}  // namespace

TempDir::TempDir(const std::string& prefix, mode_t mode) {
    const char* tmpdir = std::getenv("TMPDIR");
    const std::filesystem::path base = tmpdir && *tmpdir ? tmpdir : "/tmp";
    std::string pattern = (base / (prefix + ".XXXXXX")).string();
    if (!::mkdtemp(pattern.data()))
        throw HarnessError("mkdtemp " + pattern + " failed: " + errno_text(errno));
    path_ = pattern;
    if (::chmod(path_.c_str(), mode) != 0)
        throw HarnessError("chmod " + path_.string() + " failed: " + errno_text(errno));
    EmergencyCleanup::instance().add_scratch_dir(path_);
}

TempDir::~TempDir() {
    EmergencyCleanup::instance().remove_scratch_dir(path_);
    if (const char* keep = std::getenv("NFSFUSE_IT_KEEP"); keep && *keep) {
        std::cerr << "NFSFUSE_IT_KEEP is set: leaving " << path_ << "\n";
        return;
    }
    remove_tree_safely(path_);
}

bool remove_tree_safely(const std::filesystem::path& path) {
    for (const auto& entry : read_mountinfo()) {
        if (is_within(entry.mount_point, path) && !force_unmount(entry.mount_point)) {
            std::cerr << "not removing " << path << ": " << entry.mount_point
                      << " is still mounted\n";
            return false;
        }
    }
    std::error_code error;
    std::filesystem::remove_all(path, error);
    if (error) std::cerr << "cannot remove " << path << ": " << error.message() << "\n";
    return !error;
}

}  // namespace nfsfuse::it
