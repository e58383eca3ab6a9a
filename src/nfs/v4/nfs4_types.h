// Values that NFSv4.1 operations carry both ways: stateids, session ids, change_info4, channel
// attributes. A verifier4 (opaque[8]) is held as the uint64_t with the same eight bytes: it is
// only ever compared for equality, and nfs::WriteResult already keeps write verifiers that way.
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "nfs/v4/nfs4_constants.h"

namespace nfsfuse::nfs::v4 {

using SessionId = std::array<char, kSessionIdSize>;

inline std::string_view bytes_of(const SessionId& id) {
    return {id.data(), id.size()};
}

// stateid4: which open (or lock, or delegation) an I/O belongs to.
struct Stateid {
    uint32_t seqid = 0;
    std::array<char, kStateidOtherSize> other{};

    bool operator==(const Stateid&) const = default;

    // All zeros: I/O without an open (RFC 8881 section 8.2.3).
    static Stateid anonymous() { return {}; }
    // seqid 1, other all zeros: "the stateid the previous operation of this COMPOUND returned",
    // e.g. OPEN followed by WRITE in one request.
    static Stateid current() { return {1, {}}; }
};

// change_info4: a directory's change attribute around an operation we made in it. `atomic`: no
// one else changed the directory in between, so `before` matching our cache means it stays good.
struct ChangeInfo {
    bool atomic = false;
    uint64_t before = 0;
    uint64_t after = 0;

    bool operator==(const ChangeInfo&) const = default;
};

// channel_attrs4 without RDMA (ca_rdma_ird is always empty when we send it and ignored when the
// server answers).
struct ChannelAttrs {
    uint32_t headerpadsize = 0;
    uint32_t maxrequestsize = 0;
    uint32_t maxresponsesize = 0;
    uint32_t maxresponsesize_cached = 0;
    uint32_t maxoperations = 0;
    uint32_t maxrequests = 0;

    bool operator==(const ChannelAttrs&) const = default;
};

}  // namespace nfsfuse::nfs::v4
