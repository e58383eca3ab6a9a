// XDR primitives against the byte layout of RFC 4506: big-endian words, opaque data padded to four
// bytes, bitmaps; and the decoder's refusal to read past its buffer or accept oversized lengths.
#include "nfs/rpc/xdr.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

using namespace std::string_literals;

TEST(XdrTest, EncodesWordsBigEndianAndPadsOpaqueData) {
    XdrEncoder out;
    out.u32(0x01020304);
    out.u64(0x1122334455667788ULL);
    out.boolean(true);
    out.opaque("abcde");
    out.fixed_opaque("xy");
    out.bitmap({0x10, 0x20});
    EXPECT_EQ(out.bytes(),
              "\x01\x02\x03\x04"
              "\x11\x22\x33\x44\x55\x66\x77\x88"
              "\0\0\0\x01"
              "\0\0\0\x05"
              "abcde\0\0\0"
              "xy\0\0"
              "\0\0\0\x02\0\0\0\x10\0\0\0\x20"s);
}

TEST(XdrTest, DecodesWhatItEncodes) {
    XdrEncoder out;
    out.u32(7);
    out.u64(1ULL << 40);
    out.boolean(false);
    out.string("name");
    out.fixed_opaque(std::string(12, '\x7f'));
    out.bitmap({1, 2, 3});
    const size_t count_at = out.reserve_u32();
    out.patch_u32(count_at, 99);

    XdrDecoder in(out.bytes());
    EXPECT_EQ(in.u32("a"), 7u);
    EXPECT_EQ(in.u64("b"), 1ULL << 40);
    EXPECT_FALSE(in.boolean("c"));
    EXPECT_EQ(in.string(255, "d"), "name");
    EXPECT_EQ(in.fixed_opaque(12, "e"), std::string(12, '\x7f'));
    EXPECT_EQ(in.bitmap("f"), (std::vector<uint32_t>{1, 2, 3}));
    EXPECT_EQ(in.u32("g"), 99u);
    EXPECT_EQ(in.remaining(), 0u);
}

TEST(XdrTest, ShortDataAndOversizedLengthsAreErrorsNamingTheField) {
    // The decoder only views its bytes: each buffer is a named string that outlives it.
    const std::string two_bytes = "\0\0"s;
    XdrDecoder short_word(two_bytes);
    try {
        short_word.u32("status");
        ADD_FAILURE() << "read past the end";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), EIO);
        EXPECT_NE(std::string(error.what()).find("status"), std::string::npos);
    }
    XdrEncoder out;
    out.opaque(std::string(200, 'x'));
    XdrDecoder too_long(out.bytes());
    EXPECT_THROW(too_long.opaque(128, "file handle"), Error);

    const std::string unpadded =
        "\0\0\0\x03"
        "abc"s;
    XdrDecoder missing_padding(unpadded);
    EXPECT_THROW(missing_padding.opaque(16, "name"), Error);
    const std::string two = "\0\0\0\x02"s;
    XdrDecoder not_a_bool(two);
    EXPECT_THROW(not_a_bool.boolean("eof"), Error);
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
