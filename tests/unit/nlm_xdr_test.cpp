// The NLM v4 messages: the arguments of TEST, LOCK and UNLOCK as the protocol spells them, and
// nlm4_res and nlm4_testres read with bounds. A reply cut short, a cookie or owner handle longer
// than a netobj may be (1024) or a boolean that is not 0 or 1 throws EIO without reading outside
// the reply.
#include <gtest/gtest.h>

#include "hostile_replies.h"
#include "nfs/nlm_status.h"
#include "nfs/nlm_xdr.h"
#include "nfs4_xdr_bytes.h"

namespace nfsfuse::nfs {
namespace {

using testing::expect_every_truncation_refused;
using testing::expect_refused;
using Xdr = v4::testing::Xdr;

const Nlm4Lock kLock{"host-a", "file-handle", "nfsfuse/1/2", 4242, 10, 0};

// nlm4_lock, field by field.
Xdr& lock_fields(Xdr& xdr) {
    return xdr.str("host-a").str("file-handle").str("nfsfuse/1/2").u32(4242).u64(10).u64(0);
}

std::string holder_reply(std::string_view cookie, std::string_view oh) {
    return Xdr().str(cookie).u32(kNlm4Denied).u32(1).u32(77).str(oh).u64(5).u64(100);
}

void decode_res(std::string_view results) {
    decode_nlm4_res(results);
}
void decode_testres(std::string_view results) {
    decode_nlm4_testres(results);
}

TEST(NlmXdrTest, EncodesLockArguments) {
    Xdr expected;
    expected.str("").u32(0).u32(1);       // cookie, block, exclusive
    lock_fields(expected).u32(0).u32(0);  // reclaim, state
    EXPECT_EQ(encode_nlm4_lock_args(false, true, kLock, false, 0), expected.bytes());
}

TEST(NlmXdrTest, EncodesTestAndUnlockArguments) {
    Xdr test;
    test.str("").u32(0);  // cookie, exclusive
    lock_fields(test);
    EXPECT_EQ(encode_nlm4_test_args(false, kLock), test.bytes());
    Xdr unlock;
    unlock.str("");
    lock_fields(unlock);
    EXPECT_EQ(encode_nlm4_unlock_args(kLock), unlock.bytes());
}

TEST(NlmXdrTest, ReadsTheStatusAfterAnyCookie) {
    EXPECT_EQ(decode_nlm4_res(Xdr().str("").u32(kNlm4Granted).bytes()), kNlm4Granted);
    EXPECT_EQ(decode_nlm4_res(Xdr().str("cookie!").u32(kNlm4DeniedNolocks).bytes()),
              kNlm4DeniedNolocks);
    EXPECT_EQ(decode_nlm4_res(Xdr().str(std::string(kNlmNetobjMax, 'c')).u32(9).bytes()), 9u);
}

TEST(NlmXdrTest, ReadsTheHolderOfADeniedTest) {
    const Nlm4TestResult denied = decode_nlm4_testres(holder_reply("c", "other-owner"));
    EXPECT_EQ(denied.status, kNlm4Denied);
    ASSERT_TRUE(denied.holder);
    EXPECT_TRUE(denied.holder->exclusive);
    EXPECT_EQ(denied.holder->svid, 77u);
    EXPECT_EQ(denied.holder->oh, "other-owner");
    EXPECT_EQ(denied.holder->offset, 5u);
    EXPECT_EQ(denied.holder->length, 100u);

    const Nlm4TestResult granted = decode_nlm4_testres(Xdr().str("").u32(kNlm4Granted).bytes());
    EXPECT_EQ(granted.status, kNlm4Granted);
    EXPECT_FALSE(granted.holder);
    EXPECT_FALSE(decode_nlm4_testres(Xdr().str("").u32(kNlm4DeniedGracePeriod).bytes()).holder);
}

TEST(NlmXdrTest, RefusesAShortReply) {
    expect_every_truncation_refused(Xdr().str("cookie").u32(kNlm4Granted).bytes(), decode_res);
    expect_every_truncation_refused(holder_reply("cookie", "oh"), decode_testres);
    expect_every_truncation_refused(Xdr().str("").u32(kNlm4Granted).bytes(), decode_testres);
}

TEST(NlmXdrTest, RefusesNetobjLengthsAboveTheirLimit) {
    for (const uint32_t length : {0xFFFFFFFFu, 0xFFFFFFFCu, 1025u}) {
        const std::string cookie = Xdr().u32(length).append(std::string(64, 'c')).u32(0);
        expect_refused(cookie, decode_res);
        expect_refused(cookie, decode_testres);
        expect_refused(Xdr()
                           .str("")
                           .u32(kNlm4Denied)
                           .u32(0)
                           .u32(1)
                           .u32(length)
                           .append(std::string(64, 'o'))
                           .bytes(),
                       decode_testres);
    }
}

TEST(NlmXdrTest, RefusesAHolderWhoseExclusiveIsNotABoolean) {
    expect_refused(Xdr().str("").u32(kNlm4Denied).u32(2).u32(1).str("oh").u64(0).u64(0).bytes(),
                   decode_testres);
}

}  // namespace
}  // namespace nfsfuse::nfs
