// NFSv3 replies as libnfs hands them over, checked before their bytes are used: a READ reply's
// data length must be one we asked for (libnfs 4.0 lets a hostile length wrap around the end of
// the reply; found by tests/fuzz's nfs3_replies target).
#include "nfs/nfs3_convert.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>

#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

// READ3res as a hostile server sent it: NFS3_OK, no attributes, count 4, eof, and data<> of
// 0xFFFFFFF0 bytes, in a 32-byte reply. libnfs adds the length to its position in 32 bits, so
// it decodes "successfully", the data pointing into the reply with 4 GiB said to follow.
TEST(Nfs3ConvertTest, AReadReplyWithMoreDataThanAskedForIsRefused) {
    uint32_t words[8] = {htonl(NFS3_OK), htonl(0), htonl(4), htonl(1), htonl(0xFFFFFFF0u)};
    ZDR zdr;
    zdrmem_create(&zdr, reinterpret_cast<char*>(words), sizeof words, ZDR_DECODE);
    READ3res reply;
    std::memset(&reply, 0, sizeof reply);
    ASSERT_TRUE(zdr_READ3res(&zdr, &reply)) << "libnfs refuses it now: this test can go";
    ASSERT_EQ(reply.READ3res_u.resok.data.data_len, 0xFFFFFFF0u);
    try {
        read3_data(reply.READ3res_u.resok, 1 << 20);
        FAIL() << "4 GiB of data accepted from a 32-byte reply";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), EIO);
        EXPECT_STREQ(error.what(),
                     "READ: the server returned 4294967280 bytes where 1048576 were asked for");
    }
    zdr_destroy(&zdr);
}

TEST(Nfs3ConvertTest, ReadDataUpToWhatWasAskedForIsTheReplysBytes) {
    char bytes[] = "hello";
    READ3resok ok{};
    ok.data.data_val = bytes;
    ok.data.data_len = 5;
    EXPECT_EQ(read3_data(ok, 5), "hello");
    EXPECT_EQ(read3_data(ok, 4096), "hello");
    EXPECT_THROW(read3_data(ok, 4), Error);
}

}  // namespace
}  // namespace nfsfuse::nfs
