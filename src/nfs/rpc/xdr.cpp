#include "nfs/rpc/xdr.h"

#include <string>

#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

// No bitmap we decode has more words than this (NFSv4.1 attributes fit in three).
constexpr uint32_t kMaxBitmapWords = 8;

}  // namespace

void XdrEncoder::u32(uint32_t value) {
    const char word[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                          static_cast<char>(value >> 8), static_cast<char>(value)};
    bytes_.append(word, 4);
}

void XdrEncoder::u64(uint64_t value) {
    u32(static_cast<uint32_t>(value >> 32));
    u32(static_cast<uint32_t>(value));
}

void XdrEncoder::fixed_opaque(std::string_view bytes) {
    bytes_.append(bytes);
    padding_for(bytes.size());
}

void XdrEncoder::padding_for(size_t length) {
    bytes_.append(xdr_padding(length), '\0');
}

void XdrEncoder::opaque(std::string_view bytes) {
    u32(static_cast<uint32_t>(bytes.size()));
    fixed_opaque(bytes);
}

void XdrEncoder::bitmap(const std::vector<uint32_t>& words) {
    u32(static_cast<uint32_t>(words.size()));
    for (uint32_t word : words) u32(word);
}

size_t XdrEncoder::reserve_u32() {
    const size_t position = bytes_.size();
    u32(0);
    return position;
}

void XdrEncoder::patch_u32(size_t position, uint32_t value) {
    bytes_[position] = static_cast<char>(value >> 24);
    bytes_[position + 1] = static_cast<char>(value >> 16);
    bytes_[position + 2] = static_cast<char>(value >> 8);
    bytes_[position + 3] = static_cast<char>(value);
}

std::string_view XdrDecoder::take(size_t length, const char* what) {
    if (length > remaining()) {
        throw Error(EIO, std::string("malformed XDR: ") + what + " needs " +
                             std::to_string(length) + " bytes, " + std::to_string(remaining()) +
                             " left");
    }
    const std::string_view taken = bytes_.substr(position_, length);
    position_ += length;
    return taken;
}

uint32_t XdrDecoder::u32(const char* what) {
    const std::string_view word = take(4, what);
    const auto byte = [&](size_t i) {
        return static_cast<uint32_t>(static_cast<uint8_t>(word[i]));
    };
    return byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
}

uint64_t XdrDecoder::u64(const char* what) {
    const uint64_t high = u32(what);
    return high << 32 | u32(what);
}

bool XdrDecoder::boolean(const char* what) {
    const uint32_t value = u32(what);
    if (value > 1)
        throw Error(EIO, std::string("malformed XDR: ") + what + " is not a boolean (" +
                             std::to_string(value) + ")");
    return value == 1;
}

std::string XdrDecoder::fixed_opaque(size_t length, const char* what) {
    std::string bytes(take(length, what));
    take(xdr_padding(length), what);
    return bytes;
}

std::string_view XdrDecoder::opaque_view(size_t max_length, const char* what) {
    const uint32_t length = u32(what);
    if (length > max_length) {
        throw Error(EIO, std::string("malformed XDR: ") + what + " of " + std::to_string(length) +
                             " bytes, at most " + std::to_string(max_length) + " allowed");
    }
    const std::string_view bytes = take(length, what);
    take(xdr_padding(length), what);
    return bytes;
}

std::string XdrDecoder::opaque(size_t max_length, const char* what) {
    return std::string(opaque_view(max_length, what));
}

std::vector<uint32_t> XdrDecoder::bitmap(const char* what) {
    const uint32_t count = u32(what);
    if (count > kMaxBitmapWords) {
        throw Error(EIO, std::string("malformed XDR: ") + what + " has " + std::to_string(count) +
                             " words");
    }
    std::vector<uint32_t> words(count);
    for (uint32_t& word : words) word = u32(what);
    return words;
}

void XdrDecoder::skip(size_t length, const char* what) {
    take(length, what);
}

}  // namespace nfsfuse::nfs
