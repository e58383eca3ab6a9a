// Checks for decoders of server replies: a reply cut short anywhere, or with a length or count
// that lies, must throw nfsfuse::Error(EIO) and read nothing outside its buffer. Each input is
// copied into a heap buffer of exactly its size, so that a read past it is an out-of-bounds read
// AddressSanitizer reports (the unit tests also run under ASan+UBSan).
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "util/error.h"

namespace nfsfuse::nfs::testing {

using Decoder = std::function<void(std::string_view)>;

// Runs `decode` on a copy of `bytes` of exactly that size; returns its error's errno, 0 for none.
inline int errno_of_decoding(std::string_view bytes, const Decoder& decode) {
    const auto exact = std::make_unique<char[]>(bytes.size() + (bytes.empty() ? 1 : 0));
    std::copy(bytes.begin(), bytes.end(), exact.get());
    try {
        decode(std::string_view(exact.get(), bytes.size()));
    } catch (const Error& error) {
        return error.errnum();
    }
    return 0;
}

// Every proper prefix of a valid reply is refused with EIO.
inline void expect_every_truncation_refused(std::string_view valid, const Decoder& decode) {
    ASSERT_EQ(errno_of_decoding(valid, decode), 0) << "the whole reply must decode";
    for (size_t length = 0; length < valid.size(); ++length)
        EXPECT_EQ(errno_of_decoding(valid.substr(0, length), decode), EIO)
            << "cut to " << length << " of " << valid.size() << " bytes";
}

inline void expect_refused(std::string_view hostile, const Decoder& decode) {
    EXPECT_EQ(errno_of_decoding(hostile, decode), EIO);
}

}  // namespace nfsfuse::nfs::testing
