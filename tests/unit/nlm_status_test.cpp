// NLM v4 refusals -> errno and message: each status becomes the errno a POSIX program expects from
// fcntl(2), and the message names the status and what it means.
#include <gtest/gtest.h>

#include <cctype>
#include <cerrno>
#include <string>

#include "nfs/nlm_status.h"

namespace nfsfuse::nfs {
namespace {

struct StatusCase {
    uint32_t status;
    int errnum;
    std::string name;     // in the message
    std::string meaning;  // in the message too
};

class NlmStatusTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(NlmStatusTest, MapsToErrnoWithAMessageThatNamesTheStatus) {
    const Error error = nlm4_status_error(GetParam().status, "NLM LOCK");
    EXPECT_EQ(error.errnum(), GetParam().errnum);
    EXPECT_EQ(nlm4_status_to_errno(GetParam().status), GetParam().errnum);
    const std::string message = error.what();
    EXPECT_EQ(message.rfind("NLM LOCK: ", 0), 0u) << message;
    EXPECT_NE(message.find(GetParam().name), std::string::npos) << message;
    EXPECT_NE(message.find(GetParam().meaning), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    AllRefusals, NlmStatusTest,
    ::testing::Values(
        StatusCase{kNlm4Denied, EAGAIN, "NLM4_DENIED", "held by another owner"},
        StatusCase{kNlm4DeniedNolocks, ENOLCK, "NLM4_DENIED_NOLOCKS", "no more locks"},
        StatusCase{kNlm4Blocked, EAGAIN, "NLM4_BLOCKED", "blocking"},
        StatusCase{kNlm4DeniedGracePeriod, EAGAIN, "NLM4_DENIED_GRACE_PERIOD", "grace period"},
        StatusCase{kNlm4Deadlck, EDEADLK, "NLM4_DEADLCK", "deadlock"},
        StatusCase{kNlm4Rofs, EROFS, "NLM4_ROFS", "read-only"},
        StatusCase{kNlm4StaleFh, ESTALE, "NLM4_STALE_FH", "stale"},
        StatusCase{kNlm4Fbig, EFBIG, "NLM4_FBIG", "largest file"},
        StatusCase{kNlm4Failed, EIO, "NLM4_FAILED", "failed"},
        StatusCase{4711, EIO, "unknown nlm4_stats 4711", "unknown status"}),
    [](const auto& param_info) {
        std::string name;
        for (const char c : param_info.param.name)
            if (std::isalnum(static_cast<unsigned char>(c))) name += c;
        return name;
    });

TEST(NlmNoServiceAdviceTest, SaysWhatToDo) {
    const std::string advice = kNoNlmServiceAdvice;
    EXPECT_NE(advice.find("the server runs no NLM lock service"), std::string::npos);
    EXPECT_NE(advice.find("local_lock=all"), std::string::npos);
}

}  // namespace
}  // namespace nfsfuse::nfs
