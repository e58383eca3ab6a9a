// Expected NFSv4 XDR for the codec's tests, written field by field from the RFC's definitions.
// Built here without XdrEncoder, so the codec is not checked against its own building blocks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nfsfuse::nfs::v4::testing {

class Xdr {
  public:
    // One 32-bit word (uint32_t, int32_t, enum, bool).
    Xdr& u32(uint32_t value) {
        for (int shift = 24; shift >= 0; shift -= 8)
            bytes_.push_back(static_cast<char>(value >> shift & 0xff));
        return *this;
    }
    // A hyper: two words, high first. Also an 8-byte verifier4 given as a number.
    Xdr& u64(uint64_t value) {
        u32(static_cast<uint32_t>(value >> 32));
        return u32(static_cast<uint32_t>(value));
    }
    // Fixed-length opaque: the bytes, zero-padded to four.
    Xdr& fixed(std::string_view bytes) {
        bytes_.append(bytes);
        bytes_.append((4 - bytes.size() % 4) % 4, '\0');
        return *this;
    }
    // Variable-length opaque or string: length word, bytes, padding.
    Xdr& str(std::string_view bytes) {
        u32(static_cast<uint32_t>(bytes.size()));
        return fixed(bytes);
    }
    // The head of an nfs_resop4: operation number, then its status (NFS4_OK unless given).
    Xdr& result(uint32_t op, uint32_t status = 0) { return u32(op).u32(status); }
    Xdr& append(const std::string& bytes) {
        bytes_ += bytes;
        return *this;
    }

    const std::string& bytes() const { return bytes_; }
    operator std::string() const { return bytes_; }

  private:
    std::string bytes_;
};

}  // namespace nfsfuse::nfs::v4::testing
