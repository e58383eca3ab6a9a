// NFSv4.1 only: a mount left idle for longer than its server's lease. Unrenewed, the server would
// drop the client and everything it held (RFC 8881 section 8.3); nfsfuse renews it, so a
// descriptor opened before the idle time still writes under its open, and names and attributes
// come back. NFSv3 has no leases: skipped there.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "harness/directory_listing.h"
#include "harness/file_data.h"
#include "harness/nfs_version.h"
#include "harness/own_server_test.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;

constexpr unsigned kLeaseSeconds = 5;
// More than two leases: ganesha looks for expired clients periodically, not the moment a lease
// ends.
constexpr auto kIdle = std::chrono::seconds(2 * kLeaseSeconds + 3);

class LeaseExpiryTest : public OwnServerTest {
  protected:
    void SetUp() override {
        if (nfs_version_under_test() != NfsVersion::v4_1) GTEST_SKIP() << "NFSv3 has no leases";
        OwnServerTest::SetUp();
    }
    GaneshaSettings server_settings() const override { return {.lease_seconds = kLeaseSeconds}; }
};

TEST_F(LeaseExpiryTest, AnOpenDescriptorWritesAndNamesResolveAfterTheLeaseRanOut) {
    write_file(mnt("before.txt"), "written before the idle time");
    UniqueFd fd = open_or_throw(mnt("kept-open.txt"), O_WRONLY | O_CREAT | O_TRUNC);
    const std::string first = "first part, before; ";
    pwrite_all(fd.get(), first, 0);
    ASSERT_TRUE(succeeds(SYSCALL(::fsync(fd.get()))));

    std::this_thread::sleep_for(kIdle);
    // Made behind the mount's back while it was idle: reaching it needs the server.
    write_file(srv("made-while-idle.txt"), "from another client");

    const std::string second = "second part, after the lease ran out";
    pwrite_all(fd.get(), second, static_cast<off_t>(first.size()));
    ASSERT_TRUE(succeeds(SYSCALL(::fsync(fd.get())))) << "fsync after the idle time";
    ASSERT_TRUE(succeeds(SYSCALL(fd.close()))) << "close after the idle time";

    EXPECT_EQ(lstat_or_throw(mnt("made-while-idle.txt")).st_size, 19);
    EXPECT_EQ(lstat_or_throw(mnt("before.txt")).st_size, 28);
    EXPECT_EQ(without_dots(list_directory(mnt())),
              (std::multiset<std::string>{"before.txt", "kept-open.txt", "made-while-idle.txt"}));
    EXPECT_EQ(read_file(mnt("kept-open.txt")), first + second);
    EXPECT_EQ(read_file(srv("kept-open.txt")), first + second) << "on the server";
    // nfsfuse renews its lease while idle (a SEQUENCE every third of a lease): the server never
    // dropped it. (Had it, ganesha would have ended the session and nfsfuse said so; lost state
    // is reopened, as Nfs4ClientTest.OpensLostByTheServerAreReopened and the restart tests show.)
    const std::string log = mount().log();
    EXPECT_NE(log.find("lease " + std::to_string(kLeaseSeconds) + " s"), std::string::npos)
        << "nfsfuse must have learnt the short lease: " << log;
    EXPECT_EQ(log.find("the NFSv4.1 session ended"), std::string::npos) << log;
    EXPECT_EQ(log.find("the server forgot this client"), std::string::npos) << log;
}

}  // namespace
}  // namespace nfsfuse::it
