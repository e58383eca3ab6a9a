// The portmapper's GETPORT: the question as RFC 1833 spells it, and the reply read with bounds:
// a port, 0 for a program nobody registered, and EIO for a reply that is short or names a port
// TCP cannot have.
#include <gtest/gtest.h>

#include "hostile_replies.h"
#include "nfs/portmapper.h"
#include "nfs4_xdr_bytes.h"

namespace nfsfuse::nfs {
namespace {

using testing::expect_every_truncation_refused;
using testing::expect_refused;
using Xdr = v4::testing::Xdr;

void decode(std::string_view results) {
    decode_getport_reply(results);
}

TEST(PortmapperTest, AsksForTheProgramsTcpPort) {
    const std::string expected = Xdr().u32(100021).u32(4).u32(6).u32(0);
    EXPECT_EQ(encode_getport_args(100021, 4), expected);
}

TEST(PortmapperTest, ReadsThePort) {
    EXPECT_EQ(decode_getport_reply(Xdr().u32(2049).bytes()), 2049);
    EXPECT_EQ(decode_getport_reply(Xdr().u32(65535).bytes()), 65535);
    EXPECT_EQ(decode_getport_reply(Xdr().u32(0).bytes()), 0) << "not registered";
}

TEST(PortmapperTest, RefusesPortsTcpCannotHave) {
    expect_refused(Xdr().u32(70000).bytes(), decode);
    expect_refused(Xdr().u32(65536).bytes(), decode);
    expect_refused(Xdr().u32(0xFFFFFFFF).bytes(), decode);
}

TEST(PortmapperTest, RefusesAShortReply) {
    expect_every_truncation_refused(Xdr().u32(20048).bytes(), decode);
}

TEST(PortmapperTest, NamesProgramsInMessages) {
    EXPECT_EQ(rpc_program_name(100005, 3), "MOUNT v3 (program 100005)");
    EXPECT_EQ(rpc_program_name(100021, 4), "NLM v4 (program 100021)");
    EXPECT_EQ(rpc_program_name(4711, 1), "program v1 (program 4711)");
}

}  // namespace
}  // namespace nfsfuse::nfs
