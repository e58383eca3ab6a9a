// NFSv3 byte-range locks through NLM (Nfs3Client::lock, unlock, test) against a real nfs-ganesha
// serving NLM on its own port. Two Nfs3Clients stand for two hosts: each has its own NLM
// connection, caller name and owner handles. Covers exclusive against shared locks across hosts,
// one owner's upgrade and downgrade, ranges, what test() reports of a holder, unlock handing the
// lock to the other host, a server without NLM (ENOLCK and what to do), and locks lost in a
// server restart (EIO once at the owner's next lock).
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/free_ports.h"
#include "harness/mounted_test.h"
#include "harness/process_resources.h"
#include "harness/server_crash.h"
#include "nfs/nfs3_client.h"
#include "util/error.h"

namespace nfsfuse::it {
namespace {

using nfs::LockHolder;
using nfs::LockRange;
using nfs::LockRequest;
using nfs::LockType;

constexpr LockRange kWholeFile{0, 0};
constexpr nfs::OpenId kNoOpen = 0;  // NFSv3 has no opens

LockRequest request(nfs::LockOwner owner, LockType type, LockRange range = kWholeFile,
                    uint32_t pid = 0) {
    LockRequest result;
    result.owner = owner;
    result.type = type;
    result.range = range;
    result.pid = pid;
    return result;
}

// This machine's name, as nfsfuse sends it (NLM's caller_name). Both test "hosts" send it: the
// server tells their owners apart by owner handle, and a name it cannot resolve costs it seconds
// at every stop (statd looks names up).
std::string this_host() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return name;
}

// What the failing call said, for a test that expects it to fail.
Error error_of(const std::function<void()>& call) {
    try {
        call();
    } catch (const Error& error) {
        return error;
    }
    ADD_FAILURE() << "the call did not fail";
    return Error(0, "");
}

class Nfs3LockTest : public ServerTest {
  protected:
    // A client ("host") of the server's export, with its locks on `nlm_port`.
    std::unique_ptr<nfs::Nfs3Client> host(uint16_t nlm_port) {
        nfs::ConnectionSettings settings;
        settings.host = "127.0.0.1";
        settings.export_path = server().export_dir().string();
        settings.nfs_port = server().nfs_port();
        settings.mount_port = server().mount_port();
        settings.nlm_port = nlm_port;
        settings.identity = {0, 0, {}};
        settings.machine_name = this_host();
        settings.call_timeout_ms = 20000;
        auto client =
            std::make_unique<nfs::Nfs3Client>(std::make_unique<nfs::Nfs3Connection>(settings));
        client->start();
        return client;
    }
    std::unique_ptr<nfs::Nfs3Client> host() { return host(server().nlm_port()); }
    // Two hosts and the handle of one file as each finds it.
    struct TwoHosts {
        std::unique_ptr<nfs::Nfs3Client> a;
        std::unique_ptr<nfs::Nfs3Client> b;
        nfs::FileHandle fh_a;
        nfs::FileHandle fh_b;
    };
    TwoHosts two_hosts_with_file(const std::string& name) {
        TwoHosts hosts{host(), host(), {}, {}};
        hosts.fh_a = file(*hosts.a, name);
        hosts.fh_b = file(*hosts.b, name);
        return hosts;
    }
    // A file made on the server's disk, as `client` finds it.
    nfs::FileHandle file(nfs::Nfs3Client& client, const std::string& name) {
        if (!std::filesystem::exists(srv(name))) std::ofstream(srv(name)) << "data";
        const auto dir = client.lookup(call_, client.root(), work_name()).handle;
        return client.lookup(call_, dir, name).handle;
    }
    std::optional<LockHolder> lock(nfs::Nfs3Client& client, const nfs::FileHandle& fh,
                                   const LockRequest& wanted) {
        return client.lock(call_, fh, kNoOpen, wanted);
    }
    void unlock(nfs::Nfs3Client& client, const nfs::FileHandle& fh, nfs::LockOwner owner,
                LockRange range = kWholeFile) {
        client.unlock(call_, fh, kNoOpen, owner, range);
    }
    std::optional<LockHolder> test(nfs::Nfs3Client& client, const nfs::FileHandle& fh,
                                   const LockRequest& wanted) {
        return client.test(call_, fh, kNoOpen, wanted);
    }

    const nfs::CallContext call_;
};

void expect_holder(const std::optional<LockHolder>& holder, LockType type, LockRange range,
                   uint32_t pid) {
    ASSERT_TRUE(holder.has_value()) << "no holder reported: the lock was granted";
    EXPECT_EQ(holder->type, type);
    EXPECT_EQ(holder->range, range);
    EXPECT_EQ(holder->pid, pid);
}

TEST_F(Nfs3LockTest, AWriteLockKeepsTheOtherHostOutAndUnlockLetsItIn) {
    auto [a, b, fh_a, fh_b] = two_hosts_with_file("f");
    EXPECT_EQ(lock(*a, fh_a, request(1, LockType::write, kWholeFile, 1111)), std::nullopt);
    // Another host's process has no pid here.
    expect_holder(lock(*b, fh_b, request(1, LockType::write)), LockType::write, kWholeFile, 0);
    expect_holder(lock(*b, fh_b, request(2, LockType::read)), LockType::write, kWholeFile, 0);
    unlock(*a, fh_a, 1);
    EXPECT_EQ(lock(*b, fh_b, request(1, LockType::write)), std::nullopt);
    expect_holder(lock(*a, fh_a, request(1, LockType::read)), LockType::write, kWholeFile, 0);
    unlock(*b, fh_b, 1);
}

TEST_F(Nfs3LockTest, ReadLocksOfTwoHostsCoexistAndKeepWritersOut) {
    auto [a, b, fh_a, fh_b] = two_hosts_with_file("f");
    EXPECT_EQ(lock(*a, fh_a, request(1, LockType::read)), std::nullopt);
    EXPECT_EQ(lock(*b, fh_b, request(1, LockType::read)), std::nullopt);
    expect_holder(lock(*a, fh_a, request(1, LockType::write)), LockType::read, kWholeFile, 0);
    expect_holder(lock(*b, fh_b, request(2, LockType::write)), LockType::read, kWholeFile, 0);
    unlock(*a, fh_a, 1);
    unlock(*b, fh_b, 1);
}

TEST_F(Nfs3LockTest, OneOwnerUpgradesAndDowngradesItsOwnLock) {
    auto [a, b, fh_a, fh_b] = two_hosts_with_file("f");
    EXPECT_EQ(lock(*a, fh_a, request(7, LockType::read)), std::nullopt);
    EXPECT_EQ(lock(*a, fh_a, request(7, LockType::write)), std::nullopt) << "upgrade";
    expect_holder(lock(*b, fh_b, request(1, LockType::read)), LockType::write, kWholeFile, 0);
    EXPECT_EQ(lock(*a, fh_a, request(7, LockType::read)), std::nullopt) << "downgrade";
    EXPECT_EQ(lock(*b, fh_b, request(1, LockType::read)), std::nullopt);
    expect_holder(lock(*b, fh_b, request(2, LockType::write)), LockType::read, kWholeFile, 0);
    unlock(*a, fh_a, 7);
    unlock(*b, fh_b, 1);
}

TEST_F(Nfs3LockTest, OnlyOverlappingRangesConflict) {
    auto [a, b, fh_a, fh_b] = two_hosts_with_file("f");
    EXPECT_EQ(lock(*a, fh_a, request(1, LockType::write, {0, 100})), std::nullopt);
    EXPECT_EQ(lock(*b, fh_b, request(1, LockType::write, {100, 100})), std::nullopt);
    expect_holder(lock(*b, fh_b, request(1, LockType::write, {50, 100})), LockType::write, {0, 100},
                  0);
    // A range to the end of any file (length 0) reaches past every offset.
    EXPECT_EQ(lock(*a, fh_a, request(1, LockType::read, {1000, 0})), std::nullopt);
    expect_holder(lock(*b, fh_b, request(1, LockType::write, {1u << 30, 10})), LockType::read,
                  {1000, 0}, 0);
    EXPECT_EQ(lock(*b, fh_b, request(1, LockType::read, {5000, 10})), std::nullopt);
    // Unlocking half of a range releases that half only.
    unlock(*a, fh_a, 1, {0, 50});
    EXPECT_EQ(lock(*b, fh_b, request(1, LockType::write, {0, 50})), std::nullopt);
    expect_holder(lock(*b, fh_b, request(1, LockType::write, {50, 1})), LockType::write, {50, 50},
                  0);
    unlock(*a, fh_a, 1);
    unlock(*b, fh_b, 1);
}

TEST_F(Nfs3LockTest, TestReportsTheHolderWithTypeRangeAndOurOwnersPid) {
    auto [a, b, fh_a, fh_b] = two_hosts_with_file("f");
    EXPECT_EQ(lock(*a, fh_a, request(1, LockType::write, {10, 20}, 4242)), std::nullopt);
    // Another owner of the same mount (another process here): it sees our process's pid.
    expect_holder(test(*a, fh_a, request(2, LockType::read, {0, 0}, 5151)), LockType::write,
                  {10, 20}, 4242);
    // Another host sees the lock, but no pid.
    expect_holder(test(*b, fh_b, request(1, LockType::read, {25, 1})), LockType::write, {10, 20},
                  0);
    EXPECT_EQ(test(*b, fh_b, request(1, LockType::write, {30, 0})), std::nullopt) << "after it";
    EXPECT_EQ(test(*a, fh_a, request(1, LockType::write)), std::nullopt)
        << "an owner's own lock is never in its way";
    // test() takes nothing.
    EXPECT_EQ(lock(*b, fh_b, request(1, LockType::write, {30, 0})), std::nullopt);
    unlock(*a, fh_a, 1);
    unlock(*b, fh_b, 1);
}

TEST_F(Nfs3LockTest, TwoOwnersOfOneHostConflictLikeTwoProcesses) {
    auto a = host();
    const auto fh = file(*a, "f");
    // The same pid twice (flock and fcntl owners of one process): still two owners.
    EXPECT_EQ(lock(*a, fh, request(1, LockType::write, kWholeFile, 300)), std::nullopt);
    expect_holder(lock(*a, fh, request(2, LockType::write, kWholeFile, 300)), LockType::write,
                  kWholeFile, 300);
    unlock(*a, fh, 1);
    EXPECT_EQ(lock(*a, fh, request(2, LockType::write, kWholeFile, 300)), std::nullopt);
    unlock(*a, fh, 2);
}

TEST_F(Nfs3LockTest, UnlockingWhatWasNeverLockedCostsNoCall) {
    auto a = host();
    const auto fh = file(*a, "f");
    // What the close of a file does for each owner: nothing held, nothing sent.
    EXPECT_NO_THROW(unlock(*a, fh, 99));
    EXPECT_EQ(a->call_counts().count("NLM UNLOCK"), 0u);
    EXPECT_EQ(lock(*a, fh, request(99, LockType::write, {0, 10})), std::nullopt);
    EXPECT_NO_THROW(unlock(*a, fh, 99, {10, 0}));
    EXPECT_EQ(a->call_counts().count("NLM UNLOCK"), 0u) << "bytes it never locked";
    EXPECT_NO_THROW(unlock(*a, fh, 99));
    EXPECT_EQ(a->call_counts()["NLM UNLOCK"], 1u);
    EXPECT_EQ(a->call_counts()["NLM LOCK"], 1u);
}

// A server of its own, so that it can run without NLM or be restarted.
class Nfs3LockOwnServerTest : public Nfs3LockTest {
  protected:
    void start_server(GaneshaSettings settings) {
        own_ = std::make_unique<GaneshaServer>(scratch_root() / current_test_dir_name(), settings);
        ServerTest::SetUp();
    }
    void SetUp() override {}  // each test starts its server with its settings
    void TearDown() override {
        if (own_ && !own_->running()) own_->start();
        ServerTest::TearDown();
        own_.reset();
    }
    GaneshaServer& server() override { return *own_; }

    std::unique_ptr<GaneshaServer> own_;
};

TEST_F(Nfs3LockOwnServerTest, AServerWithoutNlmRefusesWithENOLCKAndSaysWhatToDo) {
    start_server({.nlm = false});
    // Nothing listens where NLM would: the portmapper cannot be asked, as the one rpcbind of
    // this machine knows other instances' NLM.
    auto a = host(pick_free_ports(1).front());
    const auto fh = file(*a, "f");
    for (const auto& call :
         std::vector<std::function<void()>>{[&] { lock(*a, fh, request(1, LockType::write)); },
                                            [&] { test(*a, fh, request(1, LockType::write)); }}) {
        const Error error = error_of(call);
        EXPECT_EQ(error.errnum(), ENOLCK) << error.what();
        EXPECT_NE(
            std::string(error.what())
                .find("the server runs no NLM lock service; mount with local_lock=all to keep "
                      "locks on this host"),
            std::string::npos)
            << error.what();
    }
    // Nothing was locked: the close's unlock needs no NLM at all.
    EXPECT_NO_THROW(unlock(*a, fh, 1));
}

TEST_F(Nfs3LockOwnServerTest, LocksLostInAServerRestartFailTheOwnersNextLockOnce) {
    start_server({});
    auto [a, b, fh_a, fh_b] = two_hosts_with_file("f");
    const auto other_a = file(*a, "g");
    EXPECT_EQ(lock(*a, fh_a, request(1, LockType::write)), std::nullopt);
    a->write(call_, fh_a, 0, "x", nfs::Stability::file_sync);  // the verifier before

    // ganesha's stop takes about 12 s here: with a client still monitored it asks statd to
    // unmonitor it while shutting down its own RPC, and times out.
    restart_with_new_verifier(server());

    // The server forgot the lock (ganesha runs Graceless here; nfsfuse reclaims nothing).
    EXPECT_EQ(lock(*b, fh_b, request(1, LockType::write, {0, 1})), std::nullopt);
    unlock(*b, fh_b, 1);
    // A's next WRITE sees the new verifier: its owner's next lock on that file fails, once.
    a->write(call_, fh_a, 0, "y", nfs::Stability::file_sync);
    const Error error = error_of([&] { lock(*a, fh_a, request(1, LockType::write)); });
    EXPECT_EQ(error.errnum(), EIO) << error.what();
    EXPECT_NE(std::string(error.what()).find("lost"), std::string::npos) << error.what();
    EXPECT_EQ(lock(*a, fh_a, request(1, LockType::write)), std::nullopt) << "only once";
    // Owners and files that held nothing lost nothing.
    EXPECT_EQ(lock(*a, other_a, request(1, LockType::write)), std::nullopt);
    expect_holder(lock(*a, fh_a, request(2, LockType::read)), LockType::write, kWholeFile, 0);
    unlock(*a, fh_a, 1);
    unlock(*a, other_a, 1);
}

TEST_F(Nfs3LockOwnServerTest, AnOwnerThatUnlockedBeforeTheRestartLostNothing) {
    start_server({});
    auto a = host();
    const auto fh = file(*a, "f");
    EXPECT_EQ(lock(*a, fh, request(1, LockType::write)), std::nullopt);
    a->write(call_, fh, 0, "x", nfs::Stability::file_sync);
    unlock(*a, fh, 1);  // the close
    restart_with_new_verifier(server());
    a->write(call_, fh, 0, "y", nfs::Stability::file_sync);
    EXPECT_EQ(lock(*a, fh, request(1, LockType::write)), std::nullopt);
    unlock(*a, fh, 1);
}

}  // namespace
}  // namespace nfsfuse::it
