// A call made for someone else within a request (data another user wrote, sent by a program's
// fsync) carries that user's credentials and is abandoned when the request is.
#include "nfs/call_context.h"

#include <gtest/gtest.h>

namespace nfsfuse::nfs {
namespace {

TEST(CallContextTest, WithoutCredentialsACallIsTheMountsOwn) {
    const CallContext own;
    EXPECT_FALSE(own.credentials());
    EXPECT_FALSE(own.cancelled());
}

TEST(CallContextTest, ACallForAnotherIsAbandonedWithItsRequest) {
    const Credentials writer{1000, 100, {4}};
    CallContext request(Credentials{0, 0, {}});
    const CallContext for_writer(request, writer);
    EXPECT_EQ(for_writer.credentials(), writer);
    EXPECT_FALSE(for_writer.cancelled());
    request.cancel();
    EXPECT_TRUE(for_writer.cancelled());
}

TEST(CallContextTest, CancellingTheInnerCallLeavesTheRequestAlone) {
    const CallContext request;
    CallContext inner(request, std::nullopt);
    inner.cancel();
    EXPECT_TRUE(inner.cancelled());
    EXPECT_FALSE(request.cancelled());
}

}  // namespace
}  // namespace nfsfuse::nfs
