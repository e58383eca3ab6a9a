// A bitmap4 of attribute numbers: what a GETATTR or READDIR asks for, what a fattr4 holds, what a
// SETATTR or CREATE set. Bit n is bit n % 32 of word n / 32 (RFC 8881 section 3.3.7). The words
// never end in a zero word, so equal sets compare equal however the server padded them.
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "nfs/v4/nfs4_constants.h"

namespace nfsfuse::nfs::v4 {

class AttrMask {
  public:
    AttrMask() = default;
    AttrMask(std::initializer_list<Attr> attrs) {
        for (Attr attr : attrs) add(attr);
    }
    // From the words of a decoded bitmap4.
    static AttrMask from_words(std::vector<uint32_t> words) {
        AttrMask mask;
        mask.words_ = std::move(words);
        while (!mask.words_.empty() && mask.words_.back() == 0) mask.words_.pop_back();
        return mask;
    }

    AttrMask& add(Attr attr) {
        const uint32_t bit = static_cast<uint32_t>(attr);
        if (words_.size() <= bit / 32) words_.resize(bit / 32 + 1, 0);
        words_[bit / 32] |= 1u << (bit % 32);
        return *this;
    }
    bool has(Attr attr) const { return has_bit(static_cast<uint32_t>(attr)); }
    bool has_bit(uint32_t bit) const {
        return bit / 32 < words_.size() && (words_[bit / 32] >> (bit % 32) & 1) != 0;
    }
    // Whether every attribute of `other` is in this mask.
    bool has_all(const AttrMask& other) const {
        for (size_t i = 0; i < other.words_.size(); ++i) {
            const uint32_t mine = i < words_.size() ? words_[i] : 0;
            if ((other.words_[i] & ~mine) != 0) return false;
        }
        return true;
    }
    bool empty() const { return words_.empty(); }
    // One past the highest bit that may be set.
    uint32_t bit_limit() const { return static_cast<uint32_t>(words_.size() * 32); }
    const std::vector<uint32_t>& words() const { return words_; }

    bool operator==(const AttrMask&) const = default;

  private:
    std::vector<uint32_t> words_;
};

}  // namespace nfsfuse::nfs::v4
