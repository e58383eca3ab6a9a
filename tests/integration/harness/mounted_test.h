// The fixtures the integration tests derive from.
//   ServerTest: a ganesha (the process's shared one unless a fixture brings its own) and a fresh
//     work directory in its export, made on the server side. srv() is a path on the server's disk.
//   MountedTest: ServerTest plus nfsfuse mounted on a fresh mountpoint; mnt() is the same path as
//     srv() but through the mount.
// On failure TearDown prints the ganesha log tail (NfsfuseMount prints nfsfuse's output); it always
// unmounts and removes the work directory.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/ganesha_server.h"
#include "harness/nfsfuse_mount.h"
#include "harness/spawn.h"

namespace nfsfuse::it {

class ServerTest : public ::testing::Test {
  protected:
    void SetUp() override;
    void TearDown() override;

    // The server to use. Default: the one shared by the process.
    virtual GaneshaServer& server();

    // A path under this test's work directory on the server's local disk.
    std::filesystem::path srv(const std::filesystem::path& relative = {}) const;
    const std::string& work_name() const { return work_name_; }

    // Mounts the server's export (nfsfuse -f) with its connection options for the NFS version
    // under test (harness/nfs_version.h) plus extra ones.
    std::unique_ptr<NfsfuseMount> mount_export(const std::vector<std::string>& extra_options,
                                               std::optional<Credentials> run_as = std::nullopt);

  private:
    std::string work_name_;
    std::filesystem::path server_work_dir_;  // set once the server is up
};

class MountedTest : public ServerTest {
  protected:
    void SetUp() override;
    void TearDown() override;

    // Options added after the connection options (port; for NFSv3 also vers and mountport).
    virtual std::vector<std::string> extra_mount_options() const { return {}; }

    NfsfuseMount& mount() { return *mount_; }
    // The same path as srv(relative), through the mount.
    std::filesystem::path mnt(const std::filesystem::path& relative = {}) const;
    // Unmounts and mounts again with the same options: cold caches.
    void remount();

  private:
    std::unique_ptr<NfsfuseMount> mount_;
};

// "Suite.Name/param" -> "Suite.Name_param": one directory name per test.
std::string current_test_dir_name();

}  // namespace nfsfuse::it
