// XDR (RFC 4506) encoding and decoding for our own ONC-RPC messages (NFSv4.1, NFSv3, MOUNT,
// portmapper, NLM): big-endian 32 and 64 bit integers, booleans, fixed and variable-length opaque
// data and strings padded to four bytes, and bitmaps (arrays of 32-bit words).
// XdrEncoder appends to a byte string it owns. XdrDecoder reads a byte view it does not own and
// throws nfsfuse::Error(EIO) naming what it was reading when the data ends early or a length
// exceeds its limit: a malformed reply must fail the call, never read past the buffer.
// Thread-safety: none; one per message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nfsfuse::nfs {

class XdrEncoder {
  public:
    void u32(uint32_t value);
    void u64(uint64_t value);
    void boolean(bool value) { u32(value ? 1 : 0); }
    // Exactly `bytes`, padded to a multiple of four (fixed-length opaque[n]).
    void fixed_opaque(std::string_view bytes);
    // Length, bytes, padding (opaque<>, string<>).
    void opaque(std::string_view bytes);
    void string(std::string_view text) { opaque(text); }
    void bitmap(const std::vector<uint32_t>& words);
    // The padding of an opaque of `length` bytes whose bytes are sent from elsewhere.
    void padding_for(size_t length);

    // Reserves a 32-bit word to be filled in later (an array's count, known only at its end).
    size_t reserve_u32();
    void patch_u32(size_t position, uint32_t value);

    size_t size() const { return bytes_.size(); }
    const std::string& bytes() const { return bytes_; }
    std::string take() { return std::move(bytes_); }

  private:
    std::string bytes_;
};

class XdrDecoder {
  public:
    explicit XdrDecoder(std::string_view bytes) : bytes_(bytes) {}

    uint32_t u32(const char* what);
    uint64_t u64(const char* what);
    bool boolean(const char* what);
    std::string fixed_opaque(size_t length, const char* what);
    // opaque<max_length>: fails when the encoded length is above max_length.
    std::string opaque(size_t max_length, const char* what);
    // The same without a copy; valid while the decoded buffer is.
    std::string_view opaque_view(size_t max_length, const char* what);
    std::string string(size_t max_length, const char* what) { return opaque(max_length, what); }
    std::vector<uint32_t> bitmap(const char* what);
    void skip(size_t length, const char* what);

    size_t remaining() const { return bytes_.size() - position_; }
    size_t position() const { return position_; }

  private:
    std::string_view take(size_t length, const char* what);

    std::string_view bytes_;
    size_t position_ = 0;
};

// Bytes of padding after `length` bytes of opaque data.
constexpr size_t xdr_padding(size_t length) {
    return (4 - length % 4) % 4;
}

}  // namespace nfsfuse::nfs
