// The NFSv4 opens nfsfuse holds on the server: one per open of a file by an application, each under
// its own open-owner, so each has its own stateid and closing one never invalidates another (a
// stateid belongs to an open-owner and a file: RFC 8881 section 9.1.4).
// Reads and writes do not know which open they serve (the block cache and the write-behind work
// per file), so they go under any open of the file that allows them. With none (readahead racing
// a close, say), they use the anonymous stateid, which NFSv4 allows for exactly this.
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nfs/types.h"
#include "nfs/v4/nfs4_types.h"

namespace nfsfuse::nfs::v4 {

class OpenStates {
  public:
    struct Open {
        FileHandle handle;
        OpenAccess access = OpenAccess::read;
        std::string owner;  // the open-owner's name (the client id goes with it on the wire)
        Stateid stateid;
    };
    // The state an I/O goes under. id 0: none of ours, the anonymous stateid.
    struct ForIo {
        OpenId id = 0;
        Stateid stateid;
    };

    // An open-owner for a new open: one that holds no open now, so two opens of one file never
    // share one. Owners are used again (in NFSv4.1 an open-owner carries no sequence), which
    // spares the server a new owner for every open. Give it back when the OPEN failed, or after
    // the CLOSE of its open (not before: its state must be gone from the server).
    std::string take_owner();
    void give_back_owner(std::string owner);
    OpenId add(Open open);
    // Forgets an open and returns it, or nothing when there is no such open.
    std::optional<Open> remove(OpenId id);
    std::optional<Open> find(OpenId id) const;
    // Every open, for a reclaim after a server restart.
    std::vector<std::pair<OpenId, Open>> all() const;
    // The state for reading (writing: false) or writing `handle`.
    ForIo for_io(const FileHandle& handle, bool writing) const;
    // Puts a reopened open's new stateid in place of `failed`, or of an older version of the
    // same state (another thread reopened it at the same time). False when the open is gone, or
    // holds a newer stateid already.
    bool replace(OpenId id, const Stateid& failed, const Stateid& fresh);

  private:
    mutable std::mutex mutex_;
    OpenId next_id_ = 1;
    uint64_t next_owner_ = 1;
    std::vector<std::string> idle_owners_;
    std::unordered_map<OpenId, Open> opens_;
    std::unordered_multimap<FileHandle, OpenId, FileHandleHash> by_handle_;
};

}  // namespace nfsfuse::nfs::v4
