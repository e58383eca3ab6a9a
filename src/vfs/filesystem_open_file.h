// Filesystem's record of one open regular file, shared by the files that implement Filesystem
// (filesystem.cpp, filesystem_locks.cpp). Not for anyone else.
#pragma once

#include <memory>
#include <optional>

#include "vfs/file.h"
#include "vfs/filesystem.h"

namespace nfsfuse::vfs {

// An open regular file. The File is shared with the table; `open` is the server's open.
struct Filesystem::OpenFile {
    std::shared_ptr<File> file;
    nfs::OpenId open = 0;
    // Who opened it: its reads and writes go to the server as that user, whoever holds the
    // descriptor now (the kernel client's nfs_open_context). Empty: the mount's own identity.
    std::optional<nfs::Credentials> opener;
    // Set when the kernel's RELEASE was taken from the device (release_received): from then on
    // the file no longer counts as open, whatever the release still has to do.
    bool counted_closed = false;
    std::optional<PendingRemoval> removal_at_close;
};

}  // namespace nfsfuse::vfs
