// The NFSv4.1 session layer against a real nfs-ganesha: setting up client id and session, calls
// in parallel on several slots, and recovery when the server restarts (its sessions and client
// ids are gone: BADSESSION, then STALE_CLIENTID, handled without the caller noticing).
#include "nfs/v4/session.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "harness/mounted_test.h"
#include "harness/process_resources.h"
#include "util/error.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;
using nfs::CallContext;
using nfs::v4::CompoundBuilder;
using nfs::v4::CompoundReply;
using nfs::v4::Session;
using nfs::v4::SessionSettings;

SessionSettings settings_for(const GaneshaServer& server, const std::string& owner) {
    SessionSettings settings;
    settings.rpc.host = "127.0.0.1";
    settings.rpc.port = server.nfs_port();
    settings.rpc.credentials.machine_name = "nfsfuse-test";
    settings.owner_id = owner;
    settings.call_timeout = 30s;
    return settings;
}

// The pseudo root's handle, through the session.
nfs::FileHandle root_handle(Session& session) {
    nfs::FileHandle handle;
    session.call(
        CallContext{}, "root", [](CompoundBuilder& b) { b.putrootfh().getfh(); },
        [&](CompoundReply& r) {
            r.putrootfh();
            handle = r.getfh();
        });
    return handle;
}

TEST(SessionTest, ASessionIsSetUpAndCarriesCalls) {
    Session session(settings_for(shared_server(), "nfsfuse-test-setup"));
    EXPECT_NE(session.clientid(), 0u);
    EXPECT_GE(session.slot_count(), 1u);
    EXPECT_FALSE(root_handle(session).bytes.empty());
    EXPECT_EQ(session.sessions_created(), 1u);
}

TEST(SessionTest, ManyThreadsCallAtOnceOverTheSlots) {
    Session session(settings_for(shared_server(), "nfsfuse-test-parallel"));
    const nfs::FileHandle expected = root_handle(session);
    std::atomic<int> same{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i)
                if (root_handle(session) == expected) ++same;
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(same.load(), 400);
    EXPECT_EQ(session.sessions_created(), 1u) << "no call may have needed a new session";
}

TEST(SessionTest, AServerRestartIsRecoveredWithoutTheCallerNoticing) {
    GaneshaServer server(scratch_root() / current_test_dir_name());
    Session session(settings_for(server, "nfsfuse-test-restart"));
    const nfs::FileHandle before = root_handle(session);
    server.stop();
    server.start();
    EXPECT_EQ(root_handle(session), before);
    EXPECT_GE(session.sessions_created(), 2u) << "the old session cannot have survived";
}

}  // namespace
}  // namespace nfsfuse::it

namespace nfsfuse::it {
namespace {

// An idle session keeps its lease with SEQUENCE alone; a busy one needs no extra calls (every
// call renews the lease). A 3 s lease is renewed each second while idle.
TEST(SessionTest, AnIdleSessionRenewsItsLeaseAndABusyOneDoesNot) {
    Session session(settings_for(shared_server(), "nfsfuse-test-renewal"));
    session.start_lease_renewal(3s);
    const auto busy_until = std::chrono::steady_clock::now() + 2500ms;
    while (std::chrono::steady_clock::now() < busy_until) {
        root_handle(session);
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(session.renewals_sent(), 0u);
    std::this_thread::sleep_for(2500ms);
    EXPECT_GE(session.renewals_sent(), 1u);
    EXPECT_LE(session.renewals_sent(), 3u);
    EXPECT_FALSE(root_handle(session).bytes.empty());
    EXPECT_EQ(session.sessions_created(), 1u);
}

}  // namespace
}  // namespace nfsfuse::it
