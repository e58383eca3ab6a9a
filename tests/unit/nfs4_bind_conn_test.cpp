// BIND_CONN_TO_SESSION byte for byte (RFC 8881 section 18.34, RFC 5662): the arguments nfsfuse
// sends to bind a connection of nconnect to its session, and the reply it reads.
#include <gtest/gtest.h>

#include <string>

#include "nfs/v4/compound_builder.h"
#include "nfs/v4/compound_reply.h"
#include "nfs/v4/nfs4_status.h"
#include "nfs4_xdr_bytes.h"

namespace nfsfuse::nfs::v4 {
namespace {

using testing::Xdr;

const SessionId kSession{'0', '1', '2', '3', '4', '5', '6', '7',
                         '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

TEST(Nfs4BindConnTest, TheArgumentsNameTheSessionTheForeChannelAndNoRdma) {
    CompoundBuilder builder("t");
    builder.bind_conn_to_session(kSession, channel_dir_from_client4::fore);
    EXPECT_EQ(builder.finish(), std::string(Xdr()
                                                .str("t")
                                                .u32(1)   // minorversion
                                                .u32(1)   // one operation
                                                .u32(41)  // OP_BIND_CONN_TO_SESSION
                                                .fixed("0123456789abcdef")
                                                .u32(1)     // CDFC4_FORE
                                                .u32(0)));  // not in RDMA mode
}

TEST(Nfs4BindConnTest, TheReplyGivesTheSessionAndTheChannel) {
    const std::string bytes = Xdr()
                                  .u32(0)  // NFS4_OK
                                  .str("t")
                                  .u32(1)
                                  .result(41)
                                  .fixed("0123456789abcdef")
                                  .u32(1)   // CDFS4_FORE
                                  .u32(0);  // not in RDMA mode
    CompoundReply reply(bytes);
    const BindConnReply bound = reply.bind_conn_to_session();
    EXPECT_EQ(bound.sessionid, kSession);
    EXPECT_EQ(bound.direction, channel_dir_from_server4::fore);
}

TEST(Nfs4BindConnTest, ARefusalIsAnNfs4Error) {
    const std::string bytes = Xdr()
                                  .u32(10052)  // NFS4ERR_BADSESSION
                                  .str("t")
                                  .u32(1)
                                  .result(41, 10052);
    CompoundReply reply(bytes);
    try {
        reply.bind_conn_to_session();
        FAIL() << "no error";
    } catch (const Nfs4Error& error) {
        EXPECT_EQ(error.status(), Nfs4Status::badsession);
    }
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
