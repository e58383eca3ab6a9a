// Session over a fake server: setup, and the recovery paths a real server shows only by chance:
// a replay the server has no reply for (RETRY_UNCACHED_REP) or takes for another request
// (SEQ_FALSE_RETRY), a session replaced while calls are on their way, and the old session's end.
#include "nfs/v4/session.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "fake_nfs4_server.h"
#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

using namespace std::chrono_literals;
using testing::FakeNfs4Server;
using Request = FakeNfs4Server::Request;

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
        CancelToken{}, "PUTROOTFH", [](CompoundBuilder& b) { b.putrootfh(); },
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
std::function<std::optional<std::string>(const Request&)> lose_first_reply() {
    auto lost = std::make_shared<bool>(false);
    return [lost](const Request& request) -> std::optional<std::string> {
        if (request.next_operation == kPutrootfh && !*lost) {
            *lost = true;
            throw Error(ECONNRESET, "connection reset by the test");
        }
        return std::nullopt;
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

// A WRITE replayed after a connection reset, sent without cachethis: the server ran it but kept
// no reply, and says so in SEQUENCE (Linux's nfsd). The call goes on with the slot's next id.
TEST(SessionTest, AReplayWithoutACachedReplyIsSentAgainWithTheNextSequenceId) {
    auto* server = new FakeNfs4Server(1, FakeNfs4Server::Uncached::sequence_fails);
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

// The same where SEQUENCE succeeds and the operation after it carries the error (the reply
// nfs-ganesha caches for a request without cachethis): the slot's id advanced already.
TEST(SessionTest, AnUncachedReplyInTheOperationAfterSequenceIsSentAgain) {
    auto* server = new FakeNfs4Server(1, FakeNfs4Server::Uncached::next_operation_fails);
    auto session = session_over(server);
    server->after = lose_first_reply();
    EXPECT_NO_THROW(put_root(*session));
    const std::vector<Request> sent = put_roots(*server);
    ASSERT_EQ(sent.size(), 3u);
    EXPECT_EQ(sent[2].sequence, sent[0].sequence + 1);
    EXPECT_EQ(server->misordered(), 0u);
    put_root(*session);
    EXPECT_EQ(server->misordered(), 0u);
}

// SEQ_FALSE_RETRY: the server saw this slot and id with another request. The id is used up.
TEST(SessionTest, AFalseRetryIsSentAgainWithTheNextSequenceId) {
    auto* server = new FakeNfs4Server(1);
    auto session = session_over(server);
    auto refused = std::make_shared<bool>(false);
    server->after = [refused](const Request& request) -> std::optional<std::string> {
        if (request.next_operation != kPutrootfh || *refused) return std::nullopt;
        *refused = true;
        return testing::failed_sequence_reply(Nfs4Status::seq_false_retry);
    };
    EXPECT_NO_THROW(put_root(*session));
    const std::vector<Request> sent = put_roots(*server);
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[1].sequence, sent[0].sequence + 1);
    EXPECT_EQ(server->misordered(), 0u);
    EXPECT_EQ(session->sessions_created(), 1u) << "no new session for a false retry";
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
