// Session over a fake server: setup, and the recovery paths a real server shows only by chance:
// a replay the server has no reply for (RETRY_UNCACHED_REP) or takes for another request
// (SEQ_FALSE_RETRY), a session replaced while calls are on their way, and the old session's end.
#include "nfs/v4/session.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "fake_nfs4_server.h"
#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

using namespace std::chrono_literals;
using testing::FakeNfs4Server;
using Request = FakeNfs4Server::Request;

using Hook = std::function<std::optional<std::string>(const Request&)>;

constexpr uint32_t kPutrootfh = static_cast<uint32_t>(Op::putrootfh);

// A Session over `server` (a new one: the Session owns it, the test keeps looking at it).
std::unique_ptr<Session> session_over(FakeNfs4Server* server) {
    SessionSettings settings;
    settings.rpc.host = "fake";
    settings.owner_id = "nfsfuse-unit-test";
    settings.call_timeout = 10s;  // a failing test fails instead of hanging
    return std::make_unique<Session>(settings, std::unique_ptr<RpcTransport>(server));
}

// A call that stands for a WRITE: sent without cachethis, harmless to run twice.
void put_root(Session& session) {
    session.call(
        CallContext{}, "PUTROOTFH", [](CompoundBuilder& b) { b.putrootfh(); },
        [](CompoundReply& r) { r.putrootfh(); });
}

// The SEQUENCEs that carried PUTROOTFH, in order.
std::vector<Request> put_roots(const FakeNfs4Server& server) {
    std::vector<Request> found;
    for (const Request& request : server.requests())
        if (request.next_operation == kPutrootfh) found.push_back(request);
    return found;
}

// An `after` hook that loses the reply to the first PUTROOTFH once the server ran it.
Hook lose_first_reply() {
    auto lost = std::make_shared<bool>(false);
    return [lost](const Request& request) -> std::optional<std::string> {
        if (request.next_operation == kPutrootfh && !*lost) {
            *lost = true;
            throw Error(ECONNRESET, "connection reset by the test");
        }
        return std::nullopt;
    };
}

// A hook that answers the first PUTROOTFH with a failed SEQUENCE, and lets all else through.
Hook fail_first_put_root(Nfs4Status status) {
    auto failed = std::make_shared<bool>(false);
    return [failed, status](const Request& request) -> std::optional<std::string> {
        if (request.next_operation != kPutrootfh || *failed) return std::nullopt;
        *failed = true;
        return testing::failed_sequence_reply(status);
    };
}

TEST(SessionTest, SetsUpClientAndSessionAndCarriesCalls) {
    auto* server = new FakeNfs4Server(4);
    auto session = session_over(server);
    EXPECT_EQ(session->clientid(), 0xC11Eu);
    EXPECT_EQ(session->slot_count(), 4u);
    put_root(*session);
    EXPECT_EQ(server->executed(kPutrootfh), 1u);
    EXPECT_EQ(session->sessions_created(), 1u);
}

// A READ's data is not copied out of its reply (a cold read's CPU): the reply's bytes stay alive
// after the call as long as whoever keeps the data keeps its owner (ASan checks the bytes).
TEST(SessionTest, AReadsDataOutlivesTheCallThroughItsOwner) {
    auto* server = new FakeNfs4Server(4);
    auto session = session_over(server);
    ReadReply read;
    session->call(
        CallContext{}, "READ", [](CompoundBuilder& b) { b.read(Stateid{}, 0, 4096); },
        [&](CompoundReply& r) { read = r.read(); });
    ASSERT_NE(read.owner, nullptr);
    EXPECT_TRUE(read.eof);
    EXPECT_EQ(std::string(read.data), testing::kReadData);
}

// The client id can go between EXCHANGE_ID and CREATE_SESSION: the nfsfuse that served the same
// mountpoint before (the same client owner, so the same client id) ends it on its way out, or
// the server restarts. Seen in DriverTest.ConcurrentMountsAndUnmountsFromManyClientsStayConsistent
// under load: a Mount failed with "CREATE_SESSION: server said NFS4ERR_STALE_CLIENTID". The
// client registers again, as it does when a running session finds its client id gone.
TEST(SessionTest, AClientIdGoneBeforeItsFirstSessionIsRegisteredAgain) {
    auto* server = new FakeNfs4Server(4);
    auto refused = std::make_shared<int>(0);
    server->before = [refused](const Request& request) -> std::optional<std::string> {
        if (request.operation != static_cast<uint32_t>(Op::create_session) || *refused >= 2)
            return std::nullopt;
        ++*refused;
        return testing::failed_reply(Op::create_session, Nfs4Status::stale_clientid);
    };
    std::unique_ptr<Session> session;
    ASSERT_NO_THROW(session = session_over(server));
    EXPECT_EQ(*refused, 2);
    size_t exchanges = 0;
    for (const Request& request : server->requests())
        if (request.operation == static_cast<uint32_t>(Op::exchange_id)) ++exchanges;
    EXPECT_EQ(exchanges, 3u) << "EXCHANGE_ID again after each refused CREATE_SESSION";
    put_root(*session);
    EXPECT_EQ(server->executed(kPutrootfh), 1u);
}

// A server that never lets the client keep its id fails the setup, after a few tries.
TEST(SessionTest, AServerThatAlwaysForgetsTheClientFailsTheSetup) {
    auto* server = new FakeNfs4Server(4);
    server->before = [](const Request& request) -> std::optional<std::string> {
        if (request.operation != static_cast<uint32_t>(Op::create_session)) return std::nullopt;
        return testing::failed_reply(Op::create_session, Nfs4Status::stale_clientid);
    };
    try {
        session_over(server);
        FAIL() << "the session was set up";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("STALE_CLIENTID"), std::string::npos)
            << error.what();
    }
}

// A server that grants more slots than asked for gets only those asked for: the table allocates a
// slot for each, and a hostile ca_maxrequests of 2^32-1 once meant 32 GiB (found by review
// while fuzzing the COMPOUND decoder; slots_granted is what the fuzz target checks).
TEST(SessionTest, ASessionHasNoMoreSlotsThanAskedFor) {
    auto* server = new FakeNfs4Server(64);
    auto session = session_over(server);
    EXPECT_EQ(session->slot_count(), SessionSettings{}.slots);
    put_root(*session);
    EXPECT_EQ(server->executed(kPutrootfh), 1u);
}

// A WRITE replayed after a connection reset, sent without cachethis: the server ran it but kept
// no reply. It says so in SEQUENCE (Linux's nfsd), or SEQUENCE succeeds and the operation after
// it carries the error (the reply nfs-ganesha caches for a request without cachethis; the slot's
// id advanced already). Either way the call goes on with the slot's next id.
class SessionReplayTest : public ::testing::TestWithParam<FakeNfs4Server::Uncached> {};

TEST_P(SessionReplayTest, AReplayWithoutACachedReplyIsSentAgainWithTheNextSequenceId) {
    auto* server = new FakeNfs4Server(1, GetParam());
    auto session = session_over(server);
    server->after = lose_first_reply();
    EXPECT_NO_THROW(put_root(*session));
    const std::vector<Request> sent = put_roots(*server);
    ASSERT_EQ(sent.size(), 3u) << "first try, its replay, and once more with a new id";
    EXPECT_EQ(sent[1].sequence, sent[0].sequence) << "the replay";
    EXPECT_EQ(sent[2].sequence, sent[0].sequence + 1);
    EXPECT_EQ(server->misordered(), 0u);
    put_root(*session);  // the slot's id is the server's idea of it
    EXPECT_EQ(server->misordered(), 0u);
    EXPECT_EQ(session->sessions_created(), 1u);
}

INSTANTIATE_TEST_SUITE_P(ServerKinds, SessionReplayTest,
                         ::testing::Values(FakeNfs4Server::Uncached::sequence_fails,
                                           FakeNfs4Server::Uncached::next_operation_fails),
                         [](const auto& kind) {
                             return kind.param == FakeNfs4Server::Uncached::sequence_fails
                                        ? "SequenceFails"
                                        : "NextOperationFails";
                         });

// SEQ_FALSE_RETRY: the server saw this slot and id with another request. The id is used up.
TEST(SessionTest, AFalseRetryIsSentAgainWithTheNextSequenceId) {
    auto* server = new FakeNfs4Server(1);
    auto session = session_over(server);
    server->after = fail_first_put_root(Nfs4Status::seq_false_retry);  // after it ran
    EXPECT_NO_THROW(put_root(*session));
    const std::vector<Request> sent = put_roots(*server);
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[1].sequence, sent[0].sequence + 1);
    EXPECT_EQ(server->misordered(), 0u);
    EXPECT_EQ(session->sessions_created(), 1u) << "no new session for a false retry";
}

// Lets one kind of request through only when the test says so.
class Gate {
  public:
    // Called by the held request: says it arrived, then waits (at most 10 s).
    void hold() {
        std::unique_lock lock(mutex_);
        arrived_ = true;
        changed_.notify_all();
        changed_.wait_for(lock, 10s, [this] { return opened_; });
    }
    void wait_arrived() {
        std::unique_lock lock(mutex_);
        ASSERT_TRUE(changed_.wait_for(lock, 10s, [this] { return arrived_; }));
    }
    void open() {
        std::lock_guard lock(mutex_);
        opened_ = true;
        changed_.notify_all();
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool arrived_ = false;
    bool opened_ = false;
};

// A call that starts while another thread is replacing the session must not send a slot of
// the old session (with its sequence id) under the new session's id: the server would take it
// for misordered (or, worse, for a replay of another request on that slot) and the session
// would be replaced once more for nothing.
TEST(SessionTest, ACallThatRacesARecoveryUsesTheNewSessionsSlots) {
    auto* server = new FakeNfs4Server(4);
    auto session = session_over(server);
    put_root(*session);
    put_root(*session);  // slot 0 of the first session is at sequence id 3 now
    server->forget_sessions();
    Gate create_session;
    server->before = [&](const Request& request) -> std::optional<std::string> {
        if (request.operation == static_cast<uint32_t>(Op::create_session)) create_session.hold();
        return std::nullopt;
    };
    std::thread recovering([&] { put_root(*session); });  // BADSESSION, then CREATE_SESSION
    create_session.wait_arrived();
    std::thread racing([&] { put_root(*session); });
    std::this_thread::sleep_for(200ms);  // time to take a slot and wait for the session id
    create_session.open();
    recovering.join();
    racing.join();
    EXPECT_EQ(server->misordered(), 0u) << "an old slot went out on the new session";
    EXPECT_EQ(session->sessions_created(), 2u);
    EXPECT_EQ(server->sessions_created(), 2u);
}

// The first session's id, as its first SEQUENCE (RECLAIM_COMPLETE) carried it.
SessionId first_session(const FakeNfs4Server& server) {
    for (const Request& request : server.requests())
        if (request.operation == static_cast<uint32_t>(Op::sequence)) return request.session;
    return {};
}

// SEQ_MISORDERED: the server still has the session we give up; it is destroyed, not left to
// hold the server's reply cache until our lease runs out.
TEST(SessionTest, AReplacedSessionTheServerStillKnowsIsDestroyed) {
    auto* server = new FakeNfs4Server(2);
    auto session = session_over(server);
    server->before = fail_first_put_root(Nfs4Status::seq_misordered);
    put_root(*session);
    EXPECT_EQ(session->sessions_created(), 2u);
    const std::vector<SessionId> destroyed = server->destroyed_sessions();
    ASSERT_EQ(destroyed.size(), 1u);
    EXPECT_EQ(destroyed[0], first_session(*server));
    EXPECT_EQ(server->executed(kPutrootfh), 1u);
}

// BADSESSION: the server no longer has it, so there is nothing to destroy.
TEST(SessionTest, ASessionTheServerForgotIsNotDestroyed) {
    auto* server = new FakeNfs4Server(2);
    auto session = session_over(server);
    server->forget_sessions();
    put_root(*session);
    EXPECT_EQ(session->sessions_created(), 2u);
    EXPECT_TRUE(server->destroyed_sessions().empty());
}

// DESTROY_SESSION is tidying up: its failure is logged, and the call goes on.
TEST(SessionTest, AFailedDestroySessionDoesNotFailTheCall) {
    auto* server = new FakeNfs4Server(2);
    auto session = session_over(server);
    const Hook misorder = fail_first_put_root(Nfs4Status::seq_misordered);
    server->before = [misorder](const Request& request) {
        if (request.operation == static_cast<uint32_t>(Op::destroy_session))
            throw Error(ECONNRESET, "connection reset by the test");
        return misorder(request);
    };
    EXPECT_NO_THROW(put_root(*session));
    EXPECT_EQ(server->executed(kPutrootfh), 1u);
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
