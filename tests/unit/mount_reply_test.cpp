// MOUNT's MNT: the dirpath argument, and mountres3 read with bounds. A good reply gives the root
// handle; a refusal its status (and errno); a reply cut short, a handle longer than FHSIZE3 or
// an auth_flavors<> count larger than the bytes there (libnfs 4.0 multiplied it by 4 in 32 bits
// and wrote past its allocation) throws EIO without reading outside the reply.
#include <gtest/gtest.h>

#include "hostile_replies.h"
#include "nfs/mount_protocol.h"
#include "nfs4_xdr_bytes.h"

namespace nfsfuse::nfs {
namespace {

using testing::expect_every_truncation_refused;
using testing::expect_refused;
using Xdr = v4::testing::Xdr;

constexpr uint32_t kAuthSys = 1;
constexpr uint32_t kAuthNone = 0;

void decode(std::string_view results) {
    decode_mnt_reply(results);
}

std::string ok_reply(std::string_view handle) {
    return Xdr().u32(0).str(handle).u32(2).u32(kAuthSys).u32(kAuthNone);
}

TEST(MountReplyTest, SendsTheExportPath) {
    EXPECT_EQ(encode_mnt_args("/srv/nfs"), std::string(Xdr().str("/srv/nfs")));
}

TEST(MountReplyTest, RefusesAPathLongerThanMntpathlen) {
    try {
        encode_mnt_args(std::string(kMountPathMax + 1, 'a'));
        ADD_FAILURE() << "a too long path was sent";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), ENAMETOOLONG);
    }
    EXPECT_NO_THROW(encode_mnt_args(std::string(kMountPathMax, 'a')));
}

TEST(MountReplyTest, ReadsTheRootHandle) {
    const MountReply reply = decode_mnt_reply(ok_reply("root-handle"));
    EXPECT_EQ(reply.status, 0u);
    EXPECT_EQ(reply.root.bytes, "root-handle");
    const std::string largest(kNfs3HandleMax, 'h');
    EXPECT_EQ(decode_mnt_reply(ok_reply(largest)).root.bytes, largest);
    EXPECT_EQ(decode_mnt_reply(Xdr().u32(0).str("h").u32(0).bytes()).root.bytes, "h")
        << "no flavors";
}

TEST(MountReplyTest, ARefusalHasItsStatusAndNoHandle) {
    const MountReply reply = decode_mnt_reply(Xdr().u32(2).bytes());  // MNT3ERR_NOENT
    EXPECT_EQ(reply.status, 2u);
    EXPECT_TRUE(reply.root.bytes.empty());
    EXPECT_EQ(mountstat3_to_errno(2), ENOENT);
    EXPECT_EQ(mountstat3_to_errno(13), EACCES);
    EXPECT_EQ(mountstat3_to_errno(4711), EIO);
    EXPECT_NE(mountstat3_text(2).find("MNT3ERR_NOENT"), std::string::npos);
    EXPECT_NE(mountstat3_text(4711).find("4711"), std::string::npos);
}

TEST(MountReplyTest, RefusesAShortReply) {
    expect_every_truncation_refused(ok_reply("root-handle"), decode);
    expect_every_truncation_refused(Xdr().u32(13).bytes(), decode);
}

TEST(MountReplyTest, RefusesHandleLengthsAboveFhsize3) {
    expect_refused(ok_reply(std::string(kNfs3HandleMax + 1, 'h')), decode);
    for (const uint32_t length : {0xFFFFFFFFu, 0xFFFFFFFCu, 0x80000000u})
        expect_refused(Xdr().u32(0).u32(length).append(std::string(64, 'h')).bytes(), decode);
}

TEST(MountReplyTest, RefusesFlavorCountsTheReplyDoesNotHold) {
    // 0x40000001 * 4 wraps to 4 in 32 bits; 0xFFFFFFFF * 4 to 0xFFFFFFFC.
    for (const uint32_t count : {0x40000001u, 0xFFFFFFFFu, 0x40000000u, 3u})
        expect_refused(Xdr().u32(0).str("h").u32(count).u32(kAuthSys).u32(kAuthNone).bytes(),
                       decode);
}

}  // namespace
}  // namespace nfsfuse::nfs
