// The NFSv4.1 client through the NfsClient interface against a real nfs-ganesha (export
// "/export" of its pseudo filesystem): what nfsfuse's FUSE layer asks of it, checked also on the
// server's disk.
#include "nfs/v4/nfs4_client.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>

#include "harness/file_data.h"
#include "harness/process_resources.h"
#include "util/error.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;
using nfs::CancelToken;
using nfs::FileHandle;

int errno_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& error) {
        return error.errnum();
    }
    return 0;
}

class Nfs4ClientTest : public ::testing::Test {
  protected:
    void SetUp() override {
        nfs::v4::SessionSettings settings;
        settings.rpc.host = "127.0.0.1";
        settings.rpc.port = shared_server().nfs_port();
        settings.rpc.credentials.machine_name = "nfsfuse-test";
        settings.owner_id =
            "nfsfuse-test-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
        settings.call_timeout = 30s;
        client_ = std::make_unique<nfs::v4::Nfs4Client>(settings, "/export");
        const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        dir_ = client_->mkdir(cancel_, client_->root(), name, {0755, {}, {}}).handle;
        disk_ = shared_server().export_dir() / name;
    }

    std::string read_all(const FileHandle& fh) {
        const nfs::ReadResult result = client_->read(cancel_, fh, 0, 1 << 20);
        return std::string(result.data.begin(), result.data.end());
    }

    std::unique_ptr<nfs::v4::Nfs4Client> client_;
    CancelToken cancel_;
    FileHandle dir_;
    std::filesystem::path disk_;
};

TEST_F(Nfs4ClientTest, FilesAreCreatedWrittenReadAndTruncated) {
    EXPECT_EQ(client_->getattr(cancel_, client_->root()).type, nfs::FileType::directory);
    const nfs::Entry file = client_->create(cancel_, dir_, "f.txt", {0640, {}, {}}, true);
    EXPECT_EQ(file.attributes.type, nfs::FileType::regular);
    EXPECT_EQ(file.attributes.mode, 0640u);
    EXPECT_EQ(errno_of([&] {
                  client_->create(cancel_, dir_, "f.txt", {0640, {}, {}}, true);
              }),
              EEXIST);

    const nfs::WriteResult written =
        client_->write(cancel_, file.handle, 0, "hello world", nfs::Stability::unstable);
    ASSERT_TRUE(written.after);
    EXPECT_EQ(written.after->size, 11u);
    EXPECT_EQ(client_->commit(cancel_, file.handle), written.verifier);
    EXPECT_EQ(read_all(file.handle), "hello world");
    EXPECT_EQ(read_file(disk_ / "f.txt"), "hello world");

    nfs::SetAttributes truncate;
    truncate.size = 5;
    EXPECT_EQ(client_->setattr(cancel_, file.handle, truncate).size, 5u);
    EXPECT_EQ(read_all(file.handle), "hello");
    EXPECT_EQ(client_->lookup(cancel_, dir_, "f.txt").handle, file.handle);
    EXPECT_EQ(errno_of([&] { client_->lookup(cancel_, dir_, "missing"); }), ENOENT);
}

TEST_F(Nfs4ClientTest, NamesAreLinkedRenamedListedAndRemoved) {
    const nfs::Entry file = client_->create(cancel_, dir_, "a", {0644, {}, {}}, true);
    EXPECT_EQ(client_->link(cancel_, file.handle, dir_, "b").attributes.nlink, 2u);
    client_->symlink(cancel_, dir_, "s", "a", {0777, {}, {}});
    EXPECT_EQ(client_->readlink(cancel_, client_->lookup(cancel_, dir_, "s").handle), "a");
    client_->mkdir(cancel_, dir_, "d", {0755, {}, {}});
    client_->mkfifo(cancel_, dir_, "p", {0600, {}, {}});
    client_->rename(cancel_, dir_, "b", dir_, "c");

    std::vector<std::string> names;
    for (const nfs::DirectoryEntry& entry : client_->readdir(cancel_, dir_))
        if (entry.name != "." && entry.name != "..") names.push_back(entry.name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"a", "c", "d", "p", "s"}));
    EXPECT_EQ(std::filesystem::status(disk_ / "p").type(), std::filesystem::file_type::fifo);

    EXPECT_EQ(errno_of([&] { client_->rmdir(cancel_, dir_, "a"); }), ENOTDIR);
    client_->remove(cancel_, dir_, "a");
    client_->rmdir(cancel_, dir_, "d");
    EXPECT_FALSE(std::filesystem::exists(disk_ / "a"));
    EXPECT_FALSE(std::filesystem::exists(disk_ / "d"));
    EXPECT_TRUE(std::filesystem::exists(disk_ / "c"));
}

TEST_F(Nfs4ClientTest, OwnersStatfsAndAccess) {
    const nfs::Entry file = client_->create(cancel_, dir_, "owned", {0600, 1234, 4321}, true);
    EXPECT_EQ(file.attributes.uid, 1234u);
    EXPECT_EQ(file.attributes.gid, 4321u);
    struct stat on_disk {};
    ASSERT_EQ(::stat((disk_ / "owned").c_str(), &on_disk), 0);
    EXPECT_EQ(on_disk.st_uid, 1234u);
    EXPECT_EQ(on_disk.st_gid, 4321u);

    EXPECT_GT(client_->statfs(cancel_, client_->root()).total_bytes, 0u);
    EXPECT_NE(client_->access(cancel_, dir_, nfs::access_read | nfs::access_lookup), 0u);
    EXPECT_GT(client_->call_counts().at("OPEN"), 0u);
}

}  // namespace
}  // namespace nfsfuse::it
