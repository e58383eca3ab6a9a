// The NFSv3 reply decoders (nfs/v3) on replies written field by field from RFC 1813: valid ones
// decode to what they say; hostile ones are refused with EIO, never read outside the reply.
// The hostile cases are the ones libnfs 4.0's decoder, which these replaced, got wrong
// (docs/SECURITY.md): lengths near 2^32, fixed-size verifiers past the reply's end, and a
// directory listing long enough to exhaust a recursive decoder's stack.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "hostile_replies.h"
#include "nfs/rpc/xdr.h"
#include "nfs/v3/nfs3_results.h"
#include "nfs4_xdr_bytes.h"
#include "util/error.h"

namespace nfsfuse::nfs::v3 {
namespace {

using Bytes = v4::testing::Xdr;

Bytes fattr3(uint32_t type = 1, uint64_t size = 22, uint32_t nanoseconds = 5) {
    return Bytes()
        .u32(type)
        .u32(0644)
        .u32(1)
        .u32(1000)
        .u32(100)
        .u64(size)
        .u64(4096)
        .u32(0)
        .u32(0)
        .u64(7)
        .u64(4242)
        .u32(1700000000)
        .u32(nanoseconds)
        .u32(1700000001)
        .u32(nanoseconds)
        .u32(1700000002)
        .u32(nanoseconds);
}
Bytes post_op_attr() {
    return Bytes().u32(1).append(fattr3());
}
Bytes wcc_data() {
    return Bytes().u32(1).u64(11).u32(1).u32(2).u32(3).u32(4).append(post_op_attr());
}

// A decoder of nfs/v3 as the checks of hostile_replies.h take it: over a reply's bytes.
template <class Decode>
testing::Decoder reading(Decode decode) {
    return [decode](std::string_view bytes) {
        XdrDecoder in(bytes);
        decode(in);
    };
}

template <class Decode>
void expect_refused(const std::string& bytes, Decode decode, const std::string& why) {
    SCOPED_TRACE(why);
    testing::expect_refused(bytes, reading(decode));
}

template <class Decode>
void expect_every_truncation_refused(const std::string& bytes, Decode decode) {
    testing::expect_every_truncation_refused(bytes, reading(decode));
}

TEST(Nfs3ResultsTest, AttributesDecodeEveryField) {
    const std::string bytes = fattr3(2, 1234);
    XdrDecoder in(bytes);
    const Attributes attributes = decode_fattr(in);
    EXPECT_EQ(attributes.type, FileType::directory);
    EXPECT_EQ(attributes.mode, 0644u);
    EXPECT_EQ(attributes.uid, 1000u);
    EXPECT_EQ(attributes.gid, 100u);
    EXPECT_EQ(attributes.size, 1234u);
    EXPECT_EQ(attributes.fsid, 7u);
    EXPECT_EQ(attributes.fileid, 4242u);
    EXPECT_EQ(attributes.mtime.tv_sec, 1700000001);
    EXPECT_EQ(attributes.ctime.tv_nsec, 5);
    EXPECT_EQ(in.remaining(), 0u);
    expect_every_truncation_refused(bytes, decode_fattr);
}

TEST(Nfs3ResultsTest, AnUnknownFileTypeOrTooManyNanosecondsAreRefused) {
    expect_refused(fattr3(8), decode_fattr, "file type 8");
    expect_refused(fattr3(0), decode_fattr, "file type 0");
    expect_refused(fattr3(1, 22, 1000000000), decode_fattr, "a second's worth of nanoseconds");
}

TEST(Nfs3ResultsTest, LookupGivesTheHandleAndAttributes) {
    const std::string bytes = Bytes().str("fh-0001").append(post_op_attr()).u32(0);
    XdrDecoder in(bytes);
    const LookupResult found = decode_lookup(in);
    EXPECT_EQ(found.handle.bytes, "fh-0001");
    ASSERT_TRUE(found.attributes.has_value());
    EXPECT_EQ(found.attributes->fileid, 4242u);
    expect_every_truncation_refused(bytes, decode_lookup);
}

// libnfs added this length to its 32-bit position and read the next field from before the reply.
TEST(Nfs3ResultsTest, AHandleLengthNearTwoToTheThirtyTwoIsRefused) {
    for (const uint32_t length : {0xFFFFFFFFu, 0xFFFFFFFCu, 0x80000000u, 65u})
        expect_refused(Bytes().u32(length).str("rest").append(post_op_attr()), decode_lookup,
                       "a handle of " + std::to_string(length) + " bytes");
    expect_refused(Bytes().u32(0).append(post_op_attr()).u32(0), decode_lookup, "an empty handle");
}

TEST(Nfs3ResultsTest, ReadGivesItsDataAndRefusesMoreThanAsked) {
    const std::string bytes = Bytes().append(post_op_attr()).u32(5).u32(1).str("hello");
    XdrDecoder in(bytes);
    const ReadReply reply = decode_read(in, 4096);
    EXPECT_EQ(reply.data, "hello");
    EXPECT_TRUE(reply.eof);
    expect_every_truncation_refused(bytes, [](XdrDecoder& d) { decode_read(d, 4096); });
    expect_refused(
        bytes, [](XdrDecoder& d) { decode_read(d, 4); }, "5 bytes where 4 were asked");
    // A length that wraps a 32-bit position around the reply's end (libnfs decoded a 4 GiB READ
    // from a 40-byte reply).
    expect_refused(
        Bytes().u32(0).u32(5).u32(0).u32(0xFFFFFFF0u).str("x"),
        [](XdrDecoder& d) { decode_read(d, 0xFFFFFFFFu); }, "a wrapping READ length");
}

TEST(Nfs3ResultsTest, WriteGivesCountStabilityAndVerifier) {
    const std::string bytes = Bytes().append(wcc_data()).u32(22).u32(2).fixed("verifier");
    XdrDecoder in(bytes);
    const WriteReply reply = decode_write(in);
    EXPECT_EQ(reply.count, 22u);
    EXPECT_TRUE(reply.stable);
    ASSERT_TRUE(reply.file.before.has_value());
    EXPECT_EQ(reply.file.before->size, 11u);
    ASSERT_TRUE(reply.file.after.has_value());
    EXPECT_EQ(reply.file.after->size, 22u);
    EXPECT_NE(reply.verifier, 0u);
    // A verifier cut short: libnfs copied its 8 bytes from past the reply's end.
    expect_every_truncation_refused(bytes, decode_write);
    expect_refused(Bytes().append(wcc_data()).u32(22).u32(3).fixed("verifier"), decode_write,
                   "stability 3");
}

// The input with which the nfs3_replies fuzz target stopped libnfs's decoder (ASan: a
// heap-buffer-overflow copying the WRITE verifier from past the reply's end), less its first
// byte (the reply type): a WRITE reply whose verifier is cut short by the reply's end.
TEST(Nfs3ResultsTest, TheWriteReplyThatOverflowedLibnfsIsRefused) {
    const unsigned char reply[] = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x56, 0x65, 0x53, 0xf1, 0x00, 0x00, 0x00, 0x00, 0x05, 0x65, 0x53, 0xf1, 0x04, 0x00, 0x00,
        0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x0b, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0xa4, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00, 0x41, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 0xe8, 0x00, 0x34, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x65, 0x53, 0xf1, 0x00, 0x00, 0xbb, 0x00, 0x00,
        0x05, 0x65, 0x53, 0xf1, 0x00, 0x00, 0x00, 0x00, 0x05, 0x65, 0x53, 0xf1, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x0e, 0x74,
        0x61, 0x72, 0x67, 0x65, 0x74, 0x2f, 0x6f, 0x66, 0x2f, 0x6c, 0x69, 0x6e, 0x6b, 0x00, 0x00};
    const std::string bytes(reinterpret_cast<const char*>(reply), sizeof reply);
    expect_refused(
        bytes,
        [](XdrDecoder& in) {
            if (decode_status(in) == 0) decode_write(in);
        },
        "the WRITE reply libnfs read past");
}

TEST(Nfs3ResultsTest, CommitCreateRenameLinkAndRemovalDecodeAndRefuseTruncation) {
    const std::string commit = Bytes().append(wcc_data()).fixed("verifier");
    expect_every_truncation_refused(commit, decode_commit);
    const std::string created =
        Bytes().u32(1).str("fh-new").append(post_op_attr()).append(wcc_data());
    XdrDecoder in(created);
    const CreatedObject object = decode_created(in);
    ASSERT_TRUE(object.handle.has_value());
    EXPECT_EQ(object.handle->bytes, "fh-new");
    EXPECT_TRUE(object.attributes.has_value());
    EXPECT_TRUE(object.parent_change.before.has_value());
    expect_every_truncation_refused(created, decode_created);
    expect_every_truncation_refused(Bytes().append(wcc_data()).append(wcc_data()), decode_rename);
    expect_every_truncation_refused(Bytes().append(post_op_attr()).append(wcc_data()), decode_link);
    expect_every_truncation_refused(wcc_data(), decode_removal);
}

Bytes entry(uint64_t number, const std::string& name) {
    return Bytes()
        .u32(1)
        .u64(number)
        .str(name)
        .u64(number * 10)
        .append(post_op_attr())
        .u32(1)
        .str("fh-" + name);
}

TEST(Nfs3ResultsTest, AListingGivesItsEntriesLastCookieAndEof) {
    const std::string bytes = Bytes()
                                  .append(post_op_attr())
                                  .fixed("cookieve")
                                  .append(entry(1, "a"))
                                  .append(entry(2, "bb"))
                                  .u32(0)
                                  .u32(1);
    XdrDecoder in(bytes);
    const ListingReply reply = decode_readdirplus(in);
    ASSERT_EQ(reply.entries.size(), 2u);
    EXPECT_EQ(reply.entries[1].name, "bb");
    EXPECT_EQ(reply.entries[1].fileid, 2u);
    ASSERT_TRUE(reply.entries[1].entry.has_value());
    EXPECT_EQ(reply.entries[1].entry->handle.bytes, "fh-bb");
    EXPECT_EQ(reply.last_cookie, 20u);
    EXPECT_TRUE(reply.eof);
    expect_every_truncation_refused(bytes, decode_readdirplus);
}

// A linked list on the wire: libnfs decoded it recursively, one stack frame per entry, so a
// server ignoring our maxcount chose the depth. Read in a loop, a million entries are only data.
TEST(Nfs3ResultsTest, AMillionEntriesInOneReplyNeedNoDeepStack) {
    Bytes reply;
    reply.u32(0).fixed("cookieve");
    const Bytes one = Bytes().u32(1).u64(1).str("n").u64(1).u32(0).u32(0);
    std::string bytes = reply;
    for (int i = 0; i < 1000000; ++i) bytes += one.bytes();
    bytes += Bytes().u32(0).u32(1).bytes();
    XdrDecoder in(bytes);
    EXPECT_EQ(decode_readdirplus(in).entries.size(), 1000000u);
}

TEST(Nfs3ResultsTest, FsstatAndFsinfoDecodeAndRefuseTruncation) {
    const std::string fsstat = Bytes().u32(0).u64(100).u64(50).u64(40).u64(10).u64(5).u64(4).u32(0);
    XdrDecoder in(fsstat);
    const FsStats stats = decode_fsstat(in);
    EXPECT_EQ(stats.total_bytes, 100u);
    EXPECT_EQ(stats.available_files, 4u);
    expect_every_truncation_refused(fsstat, decode_fsstat);
    const std::string fsinfo =
        Bytes().u32(0).u32(65536).u32(65536).u32(4096).u32(32768).u32(32768).u32(4096);
    XdrDecoder info(fsinfo);
    const ServerLimits limits = decode_fsinfo(info);
    EXPECT_EQ(limits.max_read, 65536u);
    EXPECT_EQ(limits.max_write, 32768u);
    expect_every_truncation_refused(fsinfo.substr(0, 20), decode_fsinfo);
}

TEST(Nfs3ResultsTest, ReadlinkRefusesATargetLongerThanAPath) {
    const std::string ok = Bytes().u32(0).str("target/of/link");
    XdrDecoder in(ok);
    EXPECT_EQ(decode_readlink(in), "target/of/link");
    expect_refused(Bytes().u32(0).str(std::string(4097, 'x')), decode_readlink,
                   "a 4097-byte target");
    expect_refused(Bytes().u32(0).u32(0xFFFFFFFFu), decode_readlink, "a 4 GiB target");
}

}  // namespace
}  // namespace nfsfuse::nfs::v3
