// ONC-RPC headers (RFC 5531): the CALL header with AUTH_SYS credentials byte for byte, and every
// kind of REPLY: accepted, and the refusals as clear errors.
#include "nfs/rpc/rpc_message.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

using namespace std::string_literals;

std::string words(std::initializer_list<uint32_t> values) {
    XdrEncoder out;
    for (uint32_t value : values) out.u32(value);
    return out.take();
}

int reply_error(const std::string& record) {
    XdrDecoder in(record);
    try {
        decode_reply_header(in);
    } catch (const Error& error) {
        return error.errnum();
    }
    return 0;
}

TEST(RpcMessageTest, CallHeaderCarriesTheCallersAuthSysAndNoVerifier) {
    XdrEncoder out;
    // The machine's own identity is root; the call is made for user 1000.
    encode_call_header(out, {0x11223344, 100003, 4, 1}, AuthSys{7, "host", {0, 0, {}}},
                       Credentials{1000, 100, {4, 27}});
    const std::string expected = words({0x11223344, 0 /*CALL*/, 2 /*rpcvers*/, 100003, 4, 1,
                                        1 /*AUTH_SYS*/, 4 * 8 /*body length*/, 7 /*stamp*/, 4}) +
                                 "host"s + words({1000, 100, 2, 4, 27, 0 /*AUTH_NONE*/, 0});
    EXPECT_EQ(out.bytes(), expected);
}

TEST(RpcMessageTest, GroupsBeyondSixteenAreLeftOut) {
    Credentials many{1000, 100, {}};
    for (uint32_t group = 1; group <= 20; ++group) many.groups.push_back(group);
    XdrEncoder out;
    encode_authsys_parms(out, AuthSys{0, "", {}}, many);
    XdrDecoder in(out.bytes());
    in.u32("stamp");
    EXPECT_EQ(in.u32("machine name length"), 0u);
    EXPECT_EQ(in.u32("uid"), 1000u);
    EXPECT_EQ(in.u32("gid"), 100u);
    ASSERT_EQ(in.u32("groups"), 16u);
    for (uint32_t group = 1; group <= 16; ++group) EXPECT_EQ(in.u32("group"), group);
    EXPECT_EQ(in.remaining(), 0u);
}

TEST(RpcMessageTest, AnAcceptedReplyLeavesTheResults) {
    const std::string record =
        words({9, 1 /*REPLY*/, 0 /*ACCEPTED*/, 0, 0 /*verf*/, 0 /*SUCCESS*/, 42 /*results*/});
    EXPECT_EQ(reply_xid(record), 9u);
    XdrDecoder in(record);
    decode_reply_header(in);
    EXPECT_EQ(in.u32("results"), 42u);
}

TEST(RpcMessageTest, RefusalsBecomeErrors) {
    EXPECT_EQ(reply_error(words({1, 1, 0, 0, 0, 1 /*PROG_UNAVAIL*/})), EPROTONOSUPPORT);
    EXPECT_EQ(reply_error(words({1, 1, 0, 0, 0, 2 /*PROG_MISMATCH*/, 3, 3})), EPROTONOSUPPORT);
    EXPECT_EQ(reply_error(words({1, 1, 0, 0, 0, 3 /*PROC_UNAVAIL*/})), ENOSYS);
    EXPECT_EQ(reply_error(words({1, 1, 0, 0, 0, 4 /*GARBAGE_ARGS*/})), EIO);
    EXPECT_EQ(reply_error(words({1, 1, 1 /*DENIED*/, 1 /*AUTH_ERROR*/, 5})), EACCES);
    EXPECT_EQ(reply_error(words({1, 1, 1 /*DENIED*/, 0 /*RPC_MISMATCH*/, 2, 2})), EPROTONOSUPPORT);
    EXPECT_EQ(reply_error(words({1, 1, 0})), EIO) << "truncated";
    EXPECT_THROW(reply_xid(words({1, 0 /*CALL*/})), Error);
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
