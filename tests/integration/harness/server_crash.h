// A crash of the NFS server as a client sees it. ganesha's VFS backend writes UNSTABLE data into
// the host's page cache, so a plain restart loses nothing and only the write verifier changes.
// A real crash loses what the server never wrote through; the test knows which bytes no fsync or
// close acknowledged, and crash_and_restart overwrites exactly those on the server's disk with
// kCrashMarker while ganesha is down. A client that still owes them must send them again.
// Thread-safety: free functions; call from the test thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/ganesha_server.h"

namespace nfsfuse::it {

// What a crash leaves where unacknowledged data was. A byte that holds it where the data written
// differs was lost and never sent again.
inline constexpr char kCrashMarker = '\xDE';

struct ByteRange {
    uint64_t offset = 0;
    uint64_t length = 0;
};

// Stops the server, overwrites `lost` of `file` (a path on the server's disk) with kCrashMarker,
// and starts it again more than a second later: ganesha's write verifier is its start time in
// seconds, so the restarted server has a new one. With no ranges: a restart that loses nothing.
void crash_and_restart(GaneshaServer& server, const std::filesystem::path& file,
                       const std::vector<ByteRange>& lost = {});
// A restart that loses nothing, with a new write verifier.
void restart_with_new_verifier(GaneshaServer& server);

// Empty when actual == expected; else where they first differ, how many bytes differ and how
// many hold kCrashMarker (data lost in a crash and never sent again).
std::string difference(const std::string& actual, const std::string& expected);

}  // namespace nfsfuse::it
