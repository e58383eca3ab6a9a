// The FUSE low-level operations of nfsfuse: each turns a kernel request into NfsClient calls on
// file handles and answers it. Inode ids come from the InodeTable; open files and directory
// listings live in per-open objects whose address is the FUSE `fh`.
// Thread-safety: operations run concurrently on the threads of the RequestLoop; shared state is
// the InodeTable (internally locked) and the NfsClient (thread-safe). Per-open objects are only
// touched by the requests of that open (the kernel serialises readdir on one directory handle)
// and by release_received, which the kernel's RELEASE triggers once no other request of the open
// is left.
// Ownership: created by main, outlives the FUSE session; holds a reference to the client.
#pragma once

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include <filesystem>
#include <mutex>
#include <string>

#include "cache/block_cache.h"
#include "cache/cache_timeouts.h"
#include "cache/directory_names.h"
#include "cache/page_cache_stamps.h"
#include "cache/recent_attributes.h"
#include "cache/write_behind.h"
#include "nfs/nfs_client.h"
#include "options/mount_options.h"
#include "vfs/inode_table.h"
#include "vfs/open_file_tracker.h"

namespace nfsfuse::fusefs {

struct FilesystemSettings {
    options::CacheMode cache = options::CacheMode::full;
    options::AttributeCacheTimes attribute_cache;  // what the kernel may trust, for how long
    bool read_only = false;
    std::filesystem::path mountpoint;  // absolute
    uint32_t readahead_kib = 0;        // kernel readahead window; 0: the kernel's default
    size_t block_cache_bytes = 0;      // nfsfuse's own data cache (cache=full only); 0: none
    // When nfsfuse talks to the server as root, new objects are given to the calling user, as
    // the kernel NFS client does (it sends the caller's own credentials).
    bool chown_new_objects_to_caller = false;
};

class NfsFilesystem {
  public:
    NfsFilesystem(nfs::NfsClient& client, FilesystemSettings settings);

    // The libfuse operation table; userdata must be this object.
    static const fuse_lowlevel_ops& operations();

    // The session notifications go to; set once the session exists, before it serves requests.
    void set_session(fuse_session* session) { session_ = session; }
    fuse_session* session() const { return session_; }

    // The kernel's RELEASE of the open file `fh` was just taken from the device: from now on the
    // file does not count as open, before any later request (an unlink) is handled.
    void release_received(uint64_t fh);

    nfs::NfsClient& client() { return client_; }
    vfs::InodeTable& inodes() { return inodes_; }
    vfs::OpenFileTracker& open_files() { return open_files_; }
    cache::PageCacheStamps& page_cache() { return page_cache_; }
    cache::WriteBehind& write_behind() { return write_behind_; }
    cache::BlockCache& blocks() { return blocks_; }
    cache::DirectoryNames& names() { return names_; }
    const FilesystemSettings& settings() const { return settings_; }

    // Called by every request: the first one, after INIT, sets what only applies after INIT.
    void after_init();
    // Builds a FUSE entry for an object the kernel is about to learn of (counts one lookup).
    fuse_entry_param make_entry(const nfs::Entry& entry);
    // Records what the server said about a WRITE of ours (close-to-open stamps).
    void note_own_write(const nfs::FileHandle& fh, const nfs::WriteResult& result);
    // `entry` with attributes that include data write-behind still holds for it (sent first).
    nfs::Entry with_sent_data(const nfs::CancelToken& cancel, nfs::Entry entry);
    // The object's attributes for a GETATTR: the server's answer of a moment ago if there is one
    // (RecentAttributes), else asked now. Open never uses this: it always asks the server.
    nfs::Attributes current_attributes(const nfs::CancelToken& cancel, const nfs::FileHandle& fh);
    // SETATTR, with the caches told: what was remembered goes, the answer is remembered.
    nfs::Attributes set_attributes(const nfs::CancelToken& cancel, const nfs::FileHandle& fh,
                                   const nfs::SetAttributes& changes);
    // Attributes just received from the server.
    void received_attributes(const nfs::FileHandle& fh, const nfs::Attributes& attributes);
    // Whether `name` is certainly not in `dir` (docs/SEMANTICS.md): no LOOKUP needed.
    bool certainly_absent(const nfs::FileHandle& dir, const std::string& name);
    // Records a name we added to `dir` / removed from it, with what the server said about `dir`.
    void name_added(const nfs::FileHandle& dir, const std::string& name,
                    const nfs::DirectoryChange& change);
    void name_removed(const nfs::FileHandle& dir, const std::string& name,
                      const nfs::DirectoryChange& change);
    // How long the kernel may trust these attributes and the name that led to them.
    cache::CacheTimeouts timeouts_for(const nfs::Attributes& attributes) const;
    nfs::NewObjectAttributes new_object_attributes(fuse_req_t req, uint32_t mode) const;

  private:
    nfs::NfsClient& client_;
    vfs::InodeTable inodes_;
    vfs::OpenFileTracker open_files_;
    cache::PageCacheStamps page_cache_;
    FilesystemSettings settings_;
    cache::WriteBehind write_behind_;  // after page_cache_ and inodes_: it reports to them
    cache::BlockCache blocks_;
    cache::DirectoryNames names_;
    cache::RecentAttributes recent_attributes_;
    fuse_session* session_ = nullptr;
    std::once_flag after_init_once_;
};

}  // namespace nfsfuse::fusefs
