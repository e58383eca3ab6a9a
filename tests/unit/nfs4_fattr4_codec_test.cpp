// fattr4 both ways: settable attributes encoded in increasing bit order inside one opaque, replies
// decoded into nfs::Attributes and the NFSv4 extras, and malformed or undecodable ones refused.
#include "nfs/v4/fattr4_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "nfs4_xdr_bytes.h"
#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

using testing::Xdr;

std::string encoded(const AttributesToSet& attributes) {
    XdrEncoder out;
    encode_fattr4(out, attributes);
    return out.take();
}

Fattr4 decoded(const std::string& bytes) {
    XdrDecoder in(bytes);
    Fattr4 result = decode_fattr4(in);
    EXPECT_EQ(in.remaining(), 0u);
    return result;
}

// The message of the nfsfuse::Error decoding `bytes` throws, "" when it throws none.
std::string decode_error(const std::string& bytes) {
    try {
        decoded(bytes);
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), EIO);
        return error.what();
    }
    return "";
}

TEST(Nfs4Fattr4Test, EncodesEverySettableAttributeInBitOrder) {
    AttributesToSet attributes;
    attributes.mtime_how = SetAttributes::Time::server_now;
    attributes.atime_how = SetAttributes::Time::client_value;
    attributes.atime = {1700000000, 123456789};
    attributes.owner_group = "staff";
    attributes.owner = "alice@example.com";
    attributes.mode = 04755;
    attributes.size = 1ULL << 40;

    const std::string values = Xdr()
                                   .u64(1ULL << 40)           // size (4)
                                   .u32(04755)                // mode (33)
                                   .str("alice@example.com")  // owner (36)
                                   .str("staff")              // owner_group (37)
                                   .u32(1)           // time_access_set (48): SET_TO_CLIENT_TIME4
                                   .u64(1700000000)  //   seconds
                                   .u32(123456789)   //   nseconds
                                   .u32(0);          // time_modify_set (54): SET_TO_SERVER_TIME4
    EXPECT_EQ(encoded(attributes),
              std::string(Xdr()
                              .u32(2)        // attrmask: two words
                              .u32(1u << 4)  // SIZE
                              .u32(1u << 1 | 1u << 4 | 1u << 5 | 1u << 16 | 1u << 22)
                              .str(values)));
}

TEST(Nfs4Fattr4Test, EncodesOnlyTheWordsNeededAndNothingForNoChange) {
    AttributesToSet mode_only;
    mode_only.mode = 0600;
    EXPECT_EQ(encoded(mode_only),
              std::string(Xdr().u32(2).u32(0).u32(1u << 1).str(std::string(Xdr().u32(0600)))));
    EXPECT_EQ(encoded(AttributesToSet{}), std::string(Xdr().u32(0).u32(0)));

    AttributesToSet negative_time;  // before 1970: nfstime4.seconds is signed
    negative_time.mtime_how = SetAttributes::Time::client_value;
    negative_time.mtime = {-2, 5};
    EXPECT_EQ(encoded(negative_time), std::string(Xdr().u32(2).u32(0).u32(1u << 22).str(std::string(
                                          Xdr().u32(1).u64(static_cast<uint64_t>(-2)).u32(5)))));
}

TEST(Nfs4Fattr4Test, SetAttributesGiveOwnersOnlyWhenTheirIdsChange) {
    SetAttributes set;
    set.uid = 1000;
    set.mode = 0100644;  // file type bits are not settable
    set.mtime_how = SetAttributes::Time::server_now;
    const AttributesToSet attributes = attributes_to_set(set, "1000", "100");
    EXPECT_EQ(attributes.owner, "1000");
    EXPECT_FALSE(attributes.owner_group);
    EXPECT_EQ(attributes.mode, 0644u);
    EXPECT_FALSE(attributes.size);
    EXPECT_EQ(attributes.atime_how, SetAttributes::Time::dont_change);
    EXPECT_EQ(attributes.mtime_how, SetAttributes::Time::server_now);
}

TEST(Nfs4Fattr4Test, NewObjectsGetOnlyTheirModeTheServerGivesThemTheirOwner) {
    const AttributesToSet for_create = attributes_to_set(NewObjectAttributes{0100750});
    EXPECT_EQ(for_create.mode, 0750u);
    EXPECT_FALSE(for_create.owner);
    EXPECT_FALSE(for_create.owner_group);
}

TEST(Nfs4Fattr4Test, DecodesFileAttributes) {
    const std::string values = Xdr()
                                   .u32(5)                    // type (1): NF4LNK
                                   .u64(0xC0FFEE)             // change (3)
                                   .u64(12345)                // size (4)
                                   .u64(0x11)                 // fsid (8): major
                                   .u64(0x2)                  //   minor
                                   .u64(987654321)            // fileid (20)
                                   .u32(0104755)              // mode (33), type bits dropped
                                   .u32(3)                    // numlinks (35)
                                   .str("alice@example.com")  // owner (36)
                                   .str("users")              // owner_group (37)
                                   .u32(8)                    // rawdev (41): major
                                   .u32(1)                    //   minor
                                   .u64(16384)                // space_used (45)
                                   .u64(1600000000)           // time_access (47)
                                   .u32(1)
                                   .u64(1600000002)  // time_metadata (52)
                                   .u32(3)
                                   .u64(1600000001)  // time_modify (53)
                                   .u32(2);
    const Fattr4 result = decoded(Xdr()
                                      .u32(2)
                                      .u32(1u << 1 | 1u << 3 | 1u << 4 | 1u << 8 | 1u << 20)
                                      .u32(1u << 1 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 9 |
                                           1u << 13 | 1u << 15 | 1u << 20 | 1u << 21)
                                      .str(values));
    EXPECT_EQ(result.present, file_attribute_request());
    EXPECT_TRUE(result.has(Attr::owner));
    EXPECT_FALSE(result.has(Attr::space_total));
    const Attributes& a = result.attributes;
    EXPECT_EQ(a.type, FileType::symlink);
    EXPECT_EQ(result.change, 0xC0FFEEu);
    EXPECT_EQ(a.size, 12345u);
    EXPECT_EQ(a.fsid, 0x11u ^ (0x2ULL << 32));
    EXPECT_EQ(a.fileid, 987654321u);
    EXPECT_EQ(a.mode, 04755u);
    EXPECT_EQ(a.nlink, 3u);
    EXPECT_EQ(result.owner, "alice@example.com");
    EXPECT_EQ(result.owner_group, "users");
    EXPECT_EQ(a.rdev_major, 8u);
    EXPECT_EQ(a.rdev_minor, 1u);
    EXPECT_EQ(a.used, 16384u);
    EXPECT_EQ(a.atime.tv_sec, 1600000000);
    EXPECT_EQ(a.atime.tv_nsec, 1);
    EXPECT_EQ(a.mtime.tv_sec, 1600000001);
    EXPECT_EQ(a.mtime.tv_nsec, 2);
    EXPECT_EQ(a.ctime.tv_sec, 1600000002);
    EXPECT_EQ(a.ctime.tv_nsec, 3);
}

TEST(Nfs4Fattr4Test, DecodesTheFileHandleBetweenLowerAndHigherAttributes) {
    // As READDIR returns it: filehandle (19) comes after fsid (8) and before fileid (20).
    const std::string handle("\x01\x02\x03\x04\x05", 5);  // padded to 8 on the wire
    const std::string values = Xdr()
                                   .u32(2)     // type (1): NF4DIR
                                   .u64(0x10)  // fsid (8): major
                                   .u64(0x20)  //   minor
                                   .str(handle)
                                   .u64(42);  // fileid (20)
    const Fattr4 result =
        decoded(Xdr().u32(1).u32(1u << 1 | 1u << 8 | 1u << 19 | 1u << 20).str(values));
    ASSERT_TRUE(result.filehandle);
    EXPECT_EQ(result.filehandle->bytes, handle);
    EXPECT_EQ(result.attributes.type, FileType::directory);
    EXPECT_EQ(result.attributes.fsid, 0x10u ^ (0x20ULL << 32));
    EXPECT_EQ(result.attributes.fileid, 42u);

    EXPECT_FALSE(decoded(Xdr().u32(1).u32(1u << 4).str(std::string(Xdr().u64(5)))).filehandle)
        << "no handle when the server sent none";
    // An nfs_fh4 is at most 128 bytes (NFS4_FHSIZE).
    EXPECT_NE(
        decode_error(Xdr().u32(1).u32(1u << 19).str(std::string(Xdr().str(std::string(129, 'h'))))),
        "");
}

TEST(Nfs4Fattr4Test, ReaddirAsksForTheFileAttributesAndTheHandle) {
    EXPECT_FALSE(file_attribute_request().has(Attr::filehandle))
        << "GETATTR after other operations needs no handle";
    EXPECT_TRUE(readdir_attribute_request().has(Attr::filehandle));
    EXPECT_TRUE(readdir_attribute_request().has_all(file_attribute_request()));
    EXPECT_EQ(readdir_attribute_request(),
              AttrMask(file_attribute_request()).add(Attr::filehandle));
}

TEST(Nfs4Fattr4Test, MaskHasAllOnlyWhenEveryAttributeIsIn) {
    const AttrMask some{Attr::type, Attr::mode};
    EXPECT_TRUE(some.has_all(AttrMask{}));
    EXPECT_TRUE(some.has_all(AttrMask{Attr::mode}));
    EXPECT_TRUE(some.has_all(some));
    EXPECT_FALSE(some.has_all(AttrMask{Attr::type, Attr::size}));
    EXPECT_FALSE(some.has_all(AttrMask{Attr::time_modify}));  // a word `some` does not have
    EXPECT_FALSE(AttrMask{}.has_all(some));
}

TEST(Nfs4Fattr4Test, DecodesFilesystemAttributes) {
    const std::string values = Xdr()
                                   .u32(1)        // supported_attrs (0): a bitmap4 of one word,
                                   .u32(0x3)      //   SUPPORTED_ATTRS and TYPE
                                   .u32(90)       // lease_time (10)
                                   .u64(100)      // files_avail (21)
                                   .u64(200)      // files_free (22)
                                   .u64(300)      // files_total (23)
                                   .u32(255)      // maxname (29)
                                   .u64(1 << 20)  // maxread (30)
                                   .u64(1 << 19)  // maxwrite (31)
                                   .u64(1000)     // space_avail (42)
                                   .u64(2000)     // space_free (43)
                                   .u64(3000);    // space_total (44)
    const Fattr4 result =
        decoded(Xdr()
                    .u32(2)
                    .u32(1u << 0 | 1u << 10 | 1u << 21 | 1u << 22 | 1u << 23 | 1u << 29 | 1u << 30 |
                         1u << 31)
                    .u32(1u << 10 | 1u << 11 | 1u << 12)  // SPACE_AVAIL/FREE/TOTAL 42-44
                    .str(values));
    EXPECT_EQ(result.supported_attrs, (AttrMask{Attr::supported_attrs, Attr::type}));
    EXPECT_EQ(result.lease_time, 90u);
    EXPECT_EQ(result.fs_stats.available_files, 100u);
    EXPECT_EQ(result.fs_stats.free_files, 200u);
    EXPECT_EQ(result.fs_stats.total_files, 300u);
    EXPECT_EQ(result.maxname, 255u);
    EXPECT_EQ(result.maxread, 1u << 20);
    EXPECT_EQ(result.maxwrite, 1u << 19);
    EXPECT_EQ(result.fs_stats.available_bytes, 1000u);
    EXPECT_EQ(result.fs_stats.free_bytes, 2000u);
    EXPECT_EQ(result.fs_stats.total_bytes, 3000u);
}

TEST(Nfs4Fattr4Test, SettableValuesRoundTrip) {
    AttributesToSet attributes;
    attributes.size = 77;
    attributes.mode = 0640;
    attributes.owner = "bob";
    attributes.owner_group = "bobs";
    const Fattr4 result = decoded(encoded(attributes));
    EXPECT_EQ(result.present, (AttrMask{Attr::size, Attr::mode, Attr::owner, Attr::owner_group}));
    EXPECT_EQ(result.attributes.size, 77u);
    EXPECT_EQ(result.attributes.mode, 0640u);
    EXPECT_EQ(result.owner, "bob");
    EXPECT_EQ(result.owner_group, "bobs");
}

TEST(Nfs4Fattr4Test, EmptyAndPaddedBitmapsDecode) {
    EXPECT_TRUE(decoded(Xdr().u32(0).u32(0)).present.empty());
    // Trailing zero words are allowed and mean nothing.
    const Fattr4 result =
        decoded(Xdr().u32(3).u32(1u << 4).u32(0).u32(0).str(std::string(Xdr().u64(5))));
    EXPECT_EQ(result.present, AttrMask{Attr::size});
    EXPECT_EQ(result.attributes.size, 5u);
}

TEST(Nfs4Fattr4Test, RefusesWhatItCannotDecode) {
    // ACL (12) has a value we cannot find the end of without decoding it.
    EXPECT_NE(decode_error(Xdr().u32(1).u32(1u << 12).str(std::string(Xdr().u32(0))))
                  .find("attribute 12"),
              std::string::npos);
    // time_modify_set (54) is write-only.
    EXPECT_NE(decode_error(Xdr().u32(2).u32(0).u32(1u << 22).str(std::string(Xdr().u32(0))))
                  .find("attribute 54"),
              std::string::npos);
    // Values shorter than the bitmap says, and longer.
    EXPECT_NE(decode_error(Xdr().u32(1).u32(1u << 4).str(std::string(Xdr().u32(1)))), "");
    EXPECT_NE(decode_error(Xdr().u32(1).u32(1u << 4).str(std::string(Xdr().u64(1).u32(0))))
                  .find("bytes left"),
              std::string::npos);
    // Nanoseconds out of range, an unknown file type, attr_vals longer than the reply.
    EXPECT_NE(decode_error(Xdr().u32(2).u32(0).u32(1u << 21).str(
                  std::string(Xdr().u64(1).u32(1'000'000'000)))),
              "");
    EXPECT_NE(decode_error(Xdr().u32(1).u32(1u << 1).str(std::string(Xdr().u32(8)))), "");
    EXPECT_NE(decode_error(Xdr().u32(1).u32(1u << 4).u32(8).u32(0)), "");
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
