// A broken or hostile NFSv3 server cannot crash nfsfuse: a real mount of a real ganesha through a
// proxy (harness/reply_tampering_proxy.h) that answers one call in the server's place with
// results crafted to break a decoder. The call fails with EIO, the mount lives on, and the same
// operation works once the server answers for itself again. What each decoder refuses is in
// tests/unit/nfs3_results_test.cpp; that libnfs's decoder, which nfs/v3 replaced, read outside
// such replies is shown by the nfs3_replies fuzz target (docs/SECURITY.md).
// NFSv3 only: the test names its version itself (vers=3 in its mount options).
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "../unit/nfs4_xdr_bytes.h"  // RFC XDR written field by field
#include "harness/mounted_test.h"
#include "harness/reply_tampering_proxy.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

using Bytes = nfs::v4::testing::Xdr;

// NFSv3 procedure numbers (RFC 1813).
constexpr uint32_t kLookup = 3;
constexpr uint32_t kRead = 6;
constexpr uint32_t kReaddirplus = 17;

class Nfs3HostileServerTest : public ServerTest {
  protected:
    void SetUp() override {
        ServerTest::SetUp();
        proxy_ = std::make_unique<ReplyTamperingProxy>(server().nfs_port());
        mount_ = mount_export({"vers=3", "port=" + std::to_string(proxy_->port()),
                               "mountport=" + std::to_string(server().mount_port()), "soft",
                               "timeo=50", "retrans=1"});
    }
    void TearDown() override {
        mount_.reset();
        proxy_.reset();
        ServerTest::TearDown();
    }

    std::filesystem::path mnt(const std::string& name) const {
        return mount_->path() / work_name() / name;
    }
    // nfsfuse is still running and still mounted: the crafted reply did not kill it.
    void expect_alive() {
        EXPECT_TRUE(mount_->process().running()) << "nfsfuse died:\n" << mount_->log();
        EXPECT_TRUE(mount_->mounted());
    }

    std::unique_ptr<ReplyTamperingProxy> proxy_;
    std::unique_ptr<NfsfuseMount> mount_;
};

TEST_F(Nfs3HostileServerTest, AFileHandleLengthNearTwoToTheThirtyTwoFailsTheLookupOnly) {
    std::ofstream(srv("victim")) << "data";
    // NFS3_OK, then a handle "of 4294967264 bytes" (NFSv3 handles have at most 64).
    proxy_->replace_reply_to(kLookup, Bytes().u32(0).u32(0xFFFFFFE0u).fixed(std::string(84, '\0')));
    struct stat st {};
    EXPECT_TRUE(fails_with(SYSCALL(::stat(mnt("victim").c_str(), &st)), EIO));
    EXPECT_EQ(proxy_->replies_replaced(), 1) << "the LOOKUP's reply was not replaced";
    expect_alive();
    EXPECT_TRUE(succeeds(SYSCALL(::stat(mnt("victim").c_str(), &st))));
    EXPECT_EQ(st.st_size, 4);
}

TEST_F(Nfs3HostileServerTest, ReadDataLongerThanTheReplyIsRefusedAndNeverReachesAProgram) {
    std::ofstream(srv("victim")) << "hello";
    const int fd = ::open(mnt("victim").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    // NFS3_OK, no attributes, count 5, not eof, then data "of 4294967280 bytes".
    proxy_->replace_reply_to(kRead, Bytes().u32(0).u32(0).u32(5).u32(0).u32(0xFFFFFFF0u).str("x"));
    char buffer[16];
    const ssize_t first = ::pread(fd, buffer, sizeof buffer, 0);
    // The kernel reads the page again itself when its readahead failed, and then the program
    // gets the data: either way it never sees wrong bytes.
    if (first < 0)
        EXPECT_EQ(errno, EIO) << std::strerror(errno);
    else
        EXPECT_EQ(std::string(buffer, static_cast<size_t>(first)), "hello");
    EXPECT_EQ(proxy_->replies_replaced(), 1) << "the READ's reply was not replaced";
    EXPECT_NE(mount_->log().find("READ data of 4294967280 bytes"), std::string::npos)
        << "nfsfuse did not refuse the reply:\n"
        << mount_->log();
    expect_alive();
    const ssize_t got = ::pread(fd, buffer, sizeof buffer, 0);
    EXPECT_EQ(std::string(buffer, got > 0 ? static_cast<size_t>(got) : 0), "hello");
    ::close(fd);
}

TEST_F(Nfs3HostileServerTest, AnEntryNameLongerThanTheReplyFailsTheListingOnly) {
    std::filesystem::create_directory(srv("dir"));
    std::ofstream(srv("dir/entry")) << "";
    // NFS3_OK, no directory attributes, a cookie verifier, then an entry whose name is "4 GiB".
    proxy_->replace_reply_to(
        kReaddirplus,
        Bytes().u32(0).u32(0).fixed("cookieve").u32(1).u64(1).u32(0xFFFFFFFFu).str("n"));
    const auto list = [&] {
        DIR* dir = ::opendir(mnt("dir").c_str());
        if (!dir) return std::string("opendir: ") + std::strerror(errno);
        std::string names;
        errno = 0;
        while (const dirent* entry = ::readdir(dir))
            if (entry->d_name[0] != '.') names += entry->d_name;
        const int error = errno;
        ::closedir(dir);
        return error ? std::string("readdir: ") + std::strerror(error) : names;
    };
    EXPECT_EQ(list(), std::string("readdir: ") + std::strerror(EIO));
    EXPECT_EQ(proxy_->replies_replaced(), 1) << "the READDIRPLUS's reply was not replaced";
    expect_alive();
    EXPECT_EQ(list(), "entry");
}

}  // namespace
}  // namespace nfsfuse::it
