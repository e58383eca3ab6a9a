// Session over several connections (nconnect) to a fake server: the connections beyond the first
// are bound with BIND_CONN_TO_SESSION, data calls go over them in turn and the rest over the
// first, and recovery keeps every connection bound: one made again after it broke (its request
// replayed on the same slot and sequence id), all of them after a new session.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fake_nfs4_server.h"
#include "nfs/v4/session.h"
#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

using namespace std::chrono_literals;
using testing::FakeConnection;
using testing::FakeNfs4Server;
using Request = FakeNfs4Server::Request;

constexpr uint32_t kPutrootfh = static_cast<uint32_t>(Op::putrootfh);
constexpr uint32_t kBind = static_cast<uint32_t>(Op::bind_conn_to_session);
constexpr uint32_t kSequence = static_cast<uint32_t>(Op::sequence);
constexpr size_t kConnections = 4;

// A Session over `count` connections to `server` (which outlives it).
std::unique_ptr<Session> session_over(FakeNfs4Server& server, size_t count = kConnections) {
    SessionSettings settings;
    settings.rpc.host = "fake";
    settings.owner_id = "nfsfuse-unit-test";
    settings.call_timeout = 10s;  // a failing test fails instead of hanging
    settings.connections = static_cast<uint32_t>(count);
    std::vector<std::unique_ptr<RpcTransport>> connections;
    for (size_t i = 0; i < count; ++i)
        connections.push_back(std::make_unique<FakeConnection>(server, static_cast<uint32_t>(i)));
    return std::make_unique<Session>(settings, std::move(connections));
}

// A call named `what` (its name picks the connection); the fake runs any operation.
void call_named(Session& session, const char* what) {
    session.call(
        CallContext{}, what, [](CompoundBuilder& b) { b.putrootfh(); },
        [](CompoundReply& r) { r.putrootfh(); });
}

// SEQUENCEs that carried an operation, per connection.
std::vector<size_t> calls_per_connection(const FakeNfs4Server& server) {
    std::vector<size_t> calls(kConnections, 0);
    for (const Request& request : server.requests())
        if (request.operation == kSequence && request.next_operation == kPutrootfh)
            ++calls.at(request.connection);
    return calls;
}

std::vector<Request> binds(const FakeNfs4Server& server) {
    std::vector<Request> found;
    for (const Request& request : server.requests())
        if (request.operation == kBind) found.push_back(request);
    return found;
}

TEST(SessionNconnectTest, TheOtherConnectionsAreBoundToTheNewSession) {
    FakeNfs4Server server(8);
    server.require_binding();
    auto session = session_over(server);
    EXPECT_EQ(session->connection_count(), kConnections);
    const std::vector<Request> bound = binds(server);
    ASSERT_EQ(bound.size(), kConnections - 1) << "CREATE_SESSION binds the first itself";
    for (size_t i = 0; i < bound.size(); ++i) {
        EXPECT_EQ(bound[i].connection, i + 1);
        EXPECT_EQ(bound[i].direction, channel_dir_from_client4::fore);
    }
}

TEST(SessionNconnectTest, DataGoesOverTheOtherConnectionsInTurnAndMetadataOverTheFirst) {
    FakeNfs4Server server(8);
    server.require_binding();
    auto session = session_over(server);
    for (int i = 0; i < 10; ++i) {
        call_named(*session, "READ");
        call_named(*session, "WRITE");
        call_named(*session, "COMMIT");
        call_named(*session, "LOOKUP");
    }
    EXPECT_EQ(calls_per_connection(server), (std::vector<size_t>{10, 10, 10, 10}));
    // RECLAIM_COMPLETE went over the first too.
    EXPECT_EQ(session->calls_sent(0), 11u);
    for (size_t i = 1; i < kConnections; ++i) EXPECT_EQ(session->calls_sent(i), 10u) << i;
    EXPECT_EQ(server.misordered(), 0u);
}

// The slots are the session's: calls in parallel over all connections share them, and the
// server sees every slot's sequence ids in order whichever connection carried them.
TEST(SessionNconnectTest, ParallelCallsOverAllConnectionsShareTheSlots) {
    FakeNfs4Server server(4);
    server.require_binding();
    auto session = session_over(server);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) call_named(*session, t % 2 ? "READ" : "GETATTR");
        });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(server.executed(kPutrootfh), 400u);
    const std::vector<size_t> calls = calls_per_connection(server);
    EXPECT_EQ(calls[0], 200u);
    EXPECT_EQ(calls[1] + calls[2] + calls[3], 200u);
    for (size_t i = 1; i < kConnections; ++i) EXPECT_GT(calls[i], 50u) << i;
    EXPECT_EQ(server.misordered(), 0u);
    EXPECT_EQ(session->sessions_created(), 1u);
}

// A data connection breaks after the server ran a WRITE: the connection is made again, bound
// again (this server binds none by itself), and the WRITE replayed on its slot and sequence id.
TEST(SessionNconnectTest, ABrokenDataConnectionIsMadeAndBoundAgainAndTheCallReplayed) {
    FakeNfs4Server server(4);
    server.require_binding();
    auto session = session_over(server);
    call_named(*session, "WRITE");  // over connection 1; the next data call goes over 2
    auto lost = std::make_shared<bool>(false);
    server.after = [lost](const Request& request) -> std::optional<std::string> {
        if (request.operation == kSequence && request.connection == 2 && !*lost) {
            *lost = true;
            throw Error(ECONNRESET, "connection reset by the test");
        }
        return std::nullopt;
    };
    EXPECT_NO_THROW(call_named(*session, "WRITE"));
    std::vector<Request> over_two;
    for (const Request& request : server.requests())
        if (request.connection == 2 &&
            request.operation != static_cast<uint32_t>(Op::bind_conn_to_session))
            over_two.push_back(request);
    ASSERT_GE(over_two.size(), 2u);
    const Request& first = over_two[over_two.size() - 2];
    const Request& replay = over_two.back();
    EXPECT_EQ(first.incarnation, 1u);
    EXPECT_EQ(replay.incarnation, 2u) << "over the connection made again";
    EXPECT_EQ(replay.slot, first.slot);
    EXPECT_EQ(replay.sequence, first.sequence) << "a replay";
    const std::vector<Request> bound = binds(server);
    ASSERT_EQ(bound.size(), kConnections);  // three at setup, one after the break
    EXPECT_EQ(bound.back().connection, 2u);
    EXPECT_EQ(bound.back().incarnation, 2u);
    EXPECT_EQ(server.misordered(), 0u);
    EXPECT_EQ(session->sessions_created(), 1u);
    call_named(*session, "WRITE");
    call_named(*session, "WRITE");
    EXPECT_EQ(binds(server).size(), kConnections) << "bound once is enough";
}

// A restarted server (the sessions gone): the call that finds out makes a new session, and every
// connection is bound to it, not only the one that call goes over.
TEST(SessionNconnectTest, ANewSessionIsBoundToEveryConnection) {
    FakeNfs4Server server(4);
    server.require_binding();
    auto session = session_over(server);
    server.forget_sessions();
    EXPECT_NO_THROW(call_named(*session, "READ"));
    EXPECT_EQ(session->sessions_created(), 2u);
    std::vector<bool> bound_to_new(kConnections, false);
    bound_to_new[0] = true;  // CREATE_SESSION's connection
    const std::vector<Request> bound = binds(server);
    for (size_t i = kConnections - 1; i < bound.size(); ++i)
        bound_to_new[bound[i].connection] = true;
    EXPECT_EQ(bound_to_new, std::vector<bool>(kConnections, true));
    for (int i = 0; i < 6; ++i) call_named(*session, "READ");
    EXPECT_EQ(server.executed(kPutrootfh), 7u);
    EXPECT_EQ(session->sessions_created(), 2u);
}

// The connection broke because the server restarted: binding the new connection to the old
// session fails with BADSESSION, which starts a new session like a failed SEQUENCE does.
TEST(SessionNconnectTest, ABindingRefusedForALostSessionStartsANewOne) {
    FakeNfs4Server server(4);
    server.require_binding();
    auto session = session_over(server);
    auto lost = std::make_shared<bool>(false);
    server.after = [&server, lost](const Request& request) -> std::optional<std::string> {
        if (request.operation == kSequence && request.connection == 1 && !*lost) {
            *lost = true;
            server.forget_sessions();  // called without the server's lock
            throw Error(ECONNRESET, "the server restarted");
        }
        return std::nullopt;
    };
    EXPECT_NO_THROW(call_named(*session, "READ"));
    EXPECT_EQ(session->sessions_created(), 2u);
    EXPECT_EQ(server.executed(kPutrootfh), 2u) << "ran before the restart, and on the new session";
}

// A server may drop a connection's binding (or never bind by SEQUENCE): after
// CONN_NOT_BOUND_TO_SESSION the call goes on (over the next data connection), and the connection
// is bound again before its next use.
TEST(SessionNconnectTest, AConnectionTheServerDoesNotKnowIsBoundAgain) {
    FakeNfs4Server server(4);
    auto session = session_over(server);
    auto refused = std::make_shared<bool>(false);
    server.before = [refused](const Request& request) -> std::optional<std::string> {
        if (request.operation != kSequence || request.connection != 1 || *refused)
            return std::nullopt;
        *refused = true;
        return testing::failed_sequence_reply(Nfs4Status::conn_not_bound_to_session);
    };
    EXPECT_NO_THROW(call_named(*session, "READ"));  // refused over 1, then over 2
    EXPECT_EQ(binds(server).size(), kConnections - 1);
    call_named(*session, "READ");  // over 3
    call_named(*session, "READ");  // over 1, bound again first
    const std::vector<Request> bound = binds(server);
    ASSERT_EQ(bound.size(), kConnections);
    EXPECT_EQ(bound.back().connection, 1u);
    EXPECT_EQ(calls_per_connection(server), (std::vector<size_t>{0, 1, 1, 1}));
    EXPECT_EQ(session->calls_sent(1), 2u) << "the refused one and the last";
    EXPECT_EQ(server.executed(kPutrootfh), 3u);
    EXPECT_EQ(session->sessions_created(), 1u);
}

// One connection (the default): no binding at all until it breaks; then it is bound again
// before the replay, as each connection of several is. (The replay of a request sent without
// cachethis finds no cached reply, and goes once more with the slot's next id.)
TEST(SessionNconnectTest, OneConnectionIsBoundAgainAfterItBroke) {
    FakeNfs4Server server(4);
    server.require_binding();
    auto session = session_over(server, 1);
    EXPECT_TRUE(binds(server).empty());
    auto lost = std::make_shared<bool>(false);
    server.after = [lost](const Request& request) -> std::optional<std::string> {
        if (request.next_operation == kPutrootfh && !*lost) {
            *lost = true;
            throw Error(ECONNRESET, "connection reset by the test");
        }
        return std::nullopt;
    };
    EXPECT_NO_THROW(call_named(*session, "READ"));
    ASSERT_EQ(binds(server).size(), 1u);
    EXPECT_EQ(binds(server)[0].incarnation, 2u);
    std::vector<Request> sent;
    for (const Request& request : server.requests())
        if (request.next_operation == kPutrootfh) sent.push_back(request);
    ASSERT_EQ(sent.size(), 3u);
    EXPECT_EQ(sent[1].sequence, sent[0].sequence) << "the replay";
    EXPECT_EQ(sent[1].incarnation, 2u);
    EXPECT_EQ(server.misordered(), 0u);
}

// A server that refuses to bind the other connections fails the setup at once, saying so,
// instead of every READ and WRITE later.
TEST(SessionNconnectTest, AServerThatWillNotBindFailsTheSetup) {
    FakeNfs4Server server(4);
    server.before = [](const Request& request) -> std::optional<std::string> {
        if (request.operation != kBind) return std::nullopt;
        return testing::failed_reply(Op::bind_conn_to_session, Nfs4Status::notsupp);
    };
    try {
        session_over(server);
        FAIL() << "the session was set up";
    } catch (const Error& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("BIND_CONN_TO_SESSION"), std::string::npos) << message;
        EXPECT_NE(message.find("nconnect=4"), std::string::npos) << message;
    }
}

TEST(SessionNconnectTest, OnlyReadWriteAndCommitCarryData) {
    EXPECT_TRUE(carries_data("READ"));
    EXPECT_TRUE(carries_data("WRITE"));
    EXPECT_TRUE(carries_data("COMMIT"));
    EXPECT_FALSE(carries_data("READDIR"));
    EXPECT_FALSE(carries_data("OPEN"));
    EXPECT_FALSE(carries_data("SEQUENCE"));
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
