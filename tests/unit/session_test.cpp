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

TEST(SessionTest, SetsUpClientAndSessionAndCarriesCalls) {
    auto* server = new FakeNfs4Server(4);
    auto session = session_over(server);
    EXPECT_EQ(session->clientid(), 0xC11Eu);
    EXPECT_EQ(session->slot_count(), 4u);
    put_root(*session);
    EXPECT_EQ(server->executed(kPutrootfh), 1u);
    EXPECT_EQ(session->sessions_created(), 1u);
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
