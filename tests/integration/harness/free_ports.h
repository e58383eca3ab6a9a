// Picks TCP ports on which nothing listens, for a private ganesha. Random within a range below the
// kernel's ephemeral ports, so that neither concurrent test processes nor the source ports of
// client connections are likely to take them between a stop and a restart.
// Thread-safety: free function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nfsfuse::it {

// count distinct ports that can be bound right now. Throws HarnessError if none are found.
std::vector<uint16_t> pick_free_ports(size_t count);

}  // namespace nfsfuse::it
