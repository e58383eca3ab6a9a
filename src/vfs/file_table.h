// The one table of per-file state: a file handle's File, created at its first open and dropped
// once idle (closed, owing nothing, nothing to report) and forgotten by the kernel. Everything
// about a file's data is reached through it (vfs::File's header has the rules and the lock order).
// Thread-safety: all methods may be called concurrently; the table's mutex is never held across
// a network call, and it is taken before any File's mutex.
// Ownership: owned by the Filesystem; holds its Files through shared_ptr.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "vfs/file.h"

namespace nfsfuse::vfs {

class FileTable {
  public:
    explicit FileTable(FileContext& context) : context_(context) {}

    // The file's state, created if it has none.
    std::shared_ptr<File> get(const nfs::FileHandle& handle);
    // The file's state if it has one.
    std::shared_ptr<File> find(const nfs::FileHandle& handle) const;
    // Drops the file's state if it is idle (File::idle), so the table does not grow with every
    // file ever opened.
    void drop_if_idle(const nfs::FileHandle& handle);
    // Every file with state, for what concerns them all (readdir, shutdown).
    std::vector<std::shared_ptr<File>> all() const;
    // settle() for every file: sizes listed by a READDIR include what we hold.
    void settle_all(const nfs::CallContext& context) const;
    // File::opened and File::released, counted for any_open.
    void opened(File& file);
    std::optional<PendingRemoval> released(File& file);
    // Whether any file is open (an unlink then looks whether it removes an open file): one
    // counter, so an unlink among thousands of files known but closed costs nothing.
    bool any_open() const { return opens_.load() > 0; }
    // A fresh hidden name for an open file that is unlinked, unique within this mount.
    std::string hidden_name(uint64_t fileid);

  private:
    FileContext& context_;
    mutable std::mutex mutex_;
    std::unordered_map<nfs::FileHandle, std::shared_ptr<File>, nfs::FileHandleHash>
        files_;                    // guarded by mutex_
    uint64_t hidden_counter_ = 0;  // guarded by mutex_
    std::atomic<uint64_t> opens_{0};
};

}  // namespace nfsfuse::vfs
