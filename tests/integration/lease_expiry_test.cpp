// NFSv4.1 only: a mount left idle for longer than its server's lease. The server may have dropped
// the client and everything it held (RFC 8881 section 8.3); a descriptor opened before the idle
// time must still write, and names and attributes must still come back. Whether nfsfuse renews
// its lease in time or registers again once the server has forgotten it, applications see no
// difference. NFSv3 has no leases: skipped there.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
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
        if (!testing_nfs41()) GTEST_SKIP() << "NFSv3 has no leases";
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
    // Either is correct, and which one happened says what this test exercised. (Ganesha ends
    // the expired client's session: the next call meets BADSESSION first.)
    const std::string log = mount().log();
    const bool recovered = log.find("the NFSv4.1 session ended") != std::string::npos ||
                           log.find("the server forgot this client") != std::string::npos;
    std::cout << (recovered ? "the lease expired and nfsfuse registered again\n"
                            : "the lease did not expire (renewed in time)\n");
}

}  // namespace
}  // namespace nfsfuse::it
