// nfsfuse's filesystem semantics without FUSE: each operation takes inode ids, names and open
// handles, talks to the server through NfsClient, keeps the caches and the per-file state right,
// and returns entries, attributes and data, or throws nfsfuse::Error. fusefs/ only translates
// kernel requests into these calls and their results into replies; tests drive it directly over
// a fake server (tests/unit/model).
// Thread-safety: every method may be called concurrently, as FUSE's worker threads do. Requests
// of one open handle come as the kernel sends them (readdir of one directory handle in order;
// release after every other request of the handle).
// Ownership: owns its tables, caches and write senders; holds a reference to the client, which
// must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/block_cache.h"
#include "cache/cache_timeouts.h"
#include "cache/directory_names.h"
#include "cache/recent_attributes.h"
#include "nfs/nfs_client.h"
#include "options/mount_options.h"
#include "vfs/file_table.h"
#include "vfs/inode_table.h"
#include "vfs/lock_waits.h"
#include "vfs/write_senders.h"

namespace nfsfuse::vfs {

struct FilesystemSettings {
    options::CacheMode cache = options::CacheMode::full;
    options::AttributeCacheTimes attribute_cache;  // what the kernel may trust, for how long
    bool read_only = false;
    size_t block_cache_bytes = 0;  // nfsfuse's own data cache (cache=full only); 0: none
    // Its blocks: the kernel's readahead requests (256 KiB to 1 MiB) start on multiples of 256
    // KiB, so each of them fills whole blocks. Tests with small files make them smaller.
    uint32_t cache_block_bytes = 256 * 1024;
    // Unstable bytes of one file kept for a resend before a COMMIT goes (FileContext). Tests
    // make it small to have COMMITs race writes and restarts.
    uint64_t commit_threshold_bytes = 64 * 1024 * 1024;
};

// An object the kernel learns of (one lookup counted for `ino`), or with ino 0 a name that does
// not exist, to be remembered for timeouts.entry_s.
struct EntryReply {
    uint64_t ino = 0;
    nfs::Attributes attributes;
    cache::CacheTimeouts timeouts;
};

struct AttributesReply {
    nfs::Attributes attributes;
    double timeout_s = 0;
};

// An open file: `handle` names it in later calls until release.
struct OpenReply {
    uint64_t handle = 0;
    bool keep_cache = false;  // the kernel may keep the pages it cached of the file
    bool direct_io = false;   // the kernel must not cache the file's pages at all
};

// What a change of attributes does besides to setuid and setgid bits. `clear`: the kernel says
// the change must drop them (FATTR_KILL_SUIDGID: a truncate by a caller without CAP_FSETID, a
// chown), as a local filesystem would; what the server keeps, nfsfuse clears.
enum class SetidBits { leave_to_server, clear };

struct CreateReply {
    EntryReply entry;
    OpenReply open;
};

// What shutdown could not put on the server.
struct ShutdownReport {
    size_t files_flushed = 0;
    std::vector<std::string> failures;  // one line a file: which file, what went wrong
};

class Filesystem {
  public:
    Filesystem(nfs::NfsClient& client, FilesystemSettings settings);
    ~Filesystem();
    Filesystem(const Filesystem&) = delete;
    Filesystem& operator=(const Filesystem&) = delete;

    const FilesystemSettings& settings() const { return settings_; }
    uint32_t max_write() const { return client_.max_write(); }
    // The calls sent to the server by procedure, one "NAME COUNT" line each (mountstats).
    std::string call_counts_text() const;

    // --- names and attributes ---
    EntryReply lookup(const nfs::CallContext& context, uint64_t parent, const std::string& name);
    void forget(uint64_t ino, uint64_t count);
    AttributesReply getattr(const nfs::CallContext& context, uint64_t ino);
    // open_handle: the open the change came through, if any (ftruncate).
    AttributesReply setattr(const nfs::CallContext& context, uint64_t ino,
                            std::optional<uint64_t> open_handle, const nfs::SetAttributes& changes,
                            SetidBits setid = SetidBits::leave_to_server);
    std::string readlink(const nfs::CallContext& context, uint64_t ino);
    // Regular files, FIFOs, unix sockets and block and character devices (`mode` with its
    // S_IFMT bits; `rdev`: the device's number).
    EntryReply mknod(const nfs::CallContext& context, uint64_t parent, const std::string& name,
                     uint32_t mode, uint64_t rdev);
    EntryReply mkdir(const nfs::CallContext& context, uint64_t parent, const std::string& name,
                     uint32_t mode);
    EntryReply symlink(const nfs::CallContext& context, const std::string& target, uint64_t parent,
                       const std::string& name);
    EntryReply link(const nfs::CallContext& context, uint64_t ino, uint64_t new_parent,
                    const std::string& new_name);
    // A file some process still has open is renamed to a hidden name and removed at its last
    // close (the NFS client's "silly rename").
    void unlink(const nfs::CallContext& context, uint64_t parent, const std::string& name);
    void rmdir(const nfs::CallContext& context, uint64_t parent, const std::string& name);
    // flags: RENAME_NOREPLACE (checked, then renamed); RENAME_EXCHANGE is refused (EINVAL). A
    // file replaced while some process has it open is hidden first, as unlink does.
    void rename(const nfs::CallContext& context, uint64_t parent, const std::string& name,
                uint64_t new_parent, const std::string& new_name, unsigned flags);
    void access(const nfs::CallContext& context, uint64_t ino, int mask);
    nfs::FsStats statfs(const nfs::CallContext& context, uint64_t ino);

    // --- open files ---
    // flags: open(2)'s, O_TRUNC included (the kernel leaves it to us).
    OpenReply open(const nfs::CallContext& context, uint64_t ino, int flags);
    CreateReply create(const nfs::CallContext& context, uint64_t parent, const std::string& name,
                       uint32_t mode, int flags);
    // Who opened `handle` (the CallContext's credentials at open or create): the identity its
    // reads and writes are to be made as, as the kernel client makes them.
    const std::optional<nfs::Credentials>& opener(uint64_t handle) const;
    std::vector<cache::BlockCache::Piece> read(const nfs::CallContext& context, uint64_t handle,
                                               uint64_t offset, uint32_t size);
    void write(const nfs::CallContext& context, uint64_t handle, uint64_t offset,
               std::string_view data);
    // close(2) of one descriptor and fsync(2): what was written is on the server, durably, and a
    // write that failed on the way is reported here. `closing_owner` (close only): the process
    // closing it, whose POSIX locks on the file end with any close of it, as POSIX has it.
    void flush(const nfs::CallContext& context, uint64_t handle,
               std::optional<nfs::LockOwner> closing_owner = std::nullopt);
    // The kernel's RELEASE of `handle` was taken from the device: from now on the file does not
    // count as open, before any later request (an unlink) is handled.
    void release_received(uint64_t handle);
    // Runs before a file about to be unlinked or renamed over is taken for still open (and so
    // hidden, not removed): lets the FUSE transport hand over every RELEASE the kernel already
    // sent, when it cannot keep them in order with the request at hand (fusefs' io_uring
    // entries). None (the default): nothing to wait for.
    void set_release_barrier(std::function<void()> barrier);
    // Ends the open (counting it closed if release_received did not). Never throws: close(2)
    // has returned already.
    void release(uint64_t handle) noexcept;

    // --- locks: byte-range locks the server keeps (flock(2): the whole file) ---
    // F_GETLK through the open `handle`: the lock in the way of `request`, if any.
    std::optional<nfs::LockHolder> test_lock(const nfs::CallContext& context, uint64_t handle,
                                             const nfs::LockRequest& request);
    // F_SETLK: takes the lock, or throws EAGAIN when another owner's lock is in the way. A
    // request interrupted on the wire may have been granted: like every lock of its owner, it
    // goes at the owner's close (docs/SEMANTICS.md, "Locks").
    void lock(const nfs::CallContext& context, uint64_t handle, const nfs::LockRequest& request);
    // F_SETLKW: takes the lock now, or waits for it on LockWaits' thread, then calls `done`
    // with 0 or the errno (at once when it is decided at once). Cancel `context` and call
    // wake_lock_waits() when the caller gives up. Throws only what fails before waiting starts.
    void lock_waiting(std::shared_ptr<const nfs::CallContext> context, uint64_t handle,
                      nfs::LockRequest request, LockWaits::Done done);
    void wake_lock_waits() { lock_waits_.wake(); }
    void unlock(const nfs::CallContext& context, uint64_t handle, nfs::LockOwner owner,
                const nfs::LockRange& range);

    // --- directories ---
    uint64_t opendir(uint64_t ino);
    // The listing of an open directory, read anew when reading starts at offset 0, so offsets
    // stay meaningful across the calls of one pass.
    const std::vector<nfs::DirectoryEntry>& readdir(const nfs::CallContext& context,
                                                    uint64_t handle, uint64_t offset);
    // A listed entry the kernel is about to learn of (readdirplus): counts one lookup.
    EntryReply listed_entry(const nfs::Entry& entry);
    void releasedir(uint64_t handle) noexcept;

    // Before the process exits (a signal, an unmount): lock waits end (EINTR) and every file's
    // data is sent and committed, whether or not it is still open. `context` bounds the wait.
    ShutdownReport shutdown(const nfs::CallContext& context);

  private:
    struct OpenFile;
    struct OpenDirectory;

    void reject_if_read_only() const;
    OpenFile& open_file(uint64_t handle) const;
    EntryReply make_entry(const nfs::Entry& entry);
    // Attributes as a program sees them: a file's size includes the data owed for it.
    nfs::Attributes as_seen(const nfs::FileHandle& fh, nfs::Attributes attributes) const;
    AttributesReply attributes_reply(const nfs::FileHandle& fh,
                                     const nfs::Attributes& attributes) const;
    cache::CacheTimeouts timeouts_for(const nfs::Attributes& attributes) const;
    // Attributes just received from the server.
    void received_attributes(const nfs::FileHandle& fh, const nfs::Attributes& attributes);
    nfs::Attributes current_attributes(const nfs::CallContext& context, const nfs::FileHandle& fh);
    // For SetidBits::clear: `after` (the server's answer to the change) with the setuid and
    // setgid bits the server kept cleared by a SETATTR of the mode; kept if it refuses that.
    nfs::Attributes clear_setid_kept(const nfs::CallContext& context, const nfs::FileHandle& handle,
                                     const nfs::Attributes& after);
    // `entry` with attributes that include data owed for it (sent first).
    nfs::Entry with_settled_data(const nfs::CallContext& context, nfs::Entry entry);
    bool certainly_absent(const nfs::FileHandle& dir, const std::string& name);
    void name_added(const nfs::FileHandle& dir, const std::string& name,
                    const nfs::DirectoryChange& change);
    void name_removed(const nfs::FileHandle& dir, const std::string& name,
                      const nfs::DirectoryChange& change);
    void renamed(const nfs::FileHandle& from_dir, const std::string& from_name,
                 const nfs::FileHandle& to_dir, const std::string& to_name,
                 const nfs::RenameChanges& changes);
    // Runs a call that changes `dir`; if it fails, what we knew of its names may be wrong.
    template <class Call>
    auto changing(const nfs::FileHandle& dir, Call&& call);
    void hide(const nfs::CallContext& context, const nfs::FileHandle& dir, const std::string& name,
              const nfs::Entry& entry, File& file);
    bool hide_if_open(const nfs::CallContext& context, const nfs::FileHandle& dir,
                      const std::string& name);
    // Whether `file`, open a moment ago, is still open once the release barrier has run.
    bool still_open_after_releases(File& file);
    void hide_replaced_if_open(const nfs::CallContext& context, const nfs::FileHandle& from,
                               const std::string& name, const nfs::FileHandle& to,
                               const std::string& new_name);
    void truncate_at_open(const nfs::CallContext& context, File& file);
    bool keep_cache_at_open(File& file, const nfs::Attributes& current);
    uint64_t register_open(std::shared_ptr<File> file, nfs::OpenId open,
                           std::optional<nfs::Credentials> opener);
    // Drops the file's state once nothing needs it: not open, nothing owed, and the kernel no
    // longer knows the inode.
    void drop_file_if_unused(const nfs::FileHandle& fh);
    // client_.lock through `handle`, recording the owner first: a close racing it releases it.
    std::optional<nfs::LockHolder> try_lock(const nfs::CallContext& context, uint64_t handle,
                                            const nfs::LockRequest& request);
    // Releases everything `owner` holds on the file of `open` (a close). Never throws: a
    // failure is logged, and the server drops what is left with our lease or at our next
    // unlock.
    void release_locks(const OpenFile& open, nfs::LockOwner owner) noexcept;

    nfs::NfsClient& client_;
    const FilesystemSettings settings_;
    InodeTable inodes_;
    cache::BlockCache blocks_;
    cache::DirectoryNames names_;
    cache::RecentAttributes recent_attributes_;
    // The open handles, owned here (the kernel releases them all before an unmount completes;
    // a Filesystem that ends first frees them). The handle is the object's address, so reads
    // and writes need no lookup; only open and release take this mutex.
    std::mutex handles_mutex_;
    std::unordered_map<uint64_t, std::unique_ptr<OpenFile>> open_files_;             // guarded
    std::unordered_map<uint64_t, std::unique_ptr<OpenDirectory>> open_directories_;  // guarded
    FileContext file_context_;  // refers to senders_, which stops before it goes
    FileTable files_;
    WriteSenders senders_;  // its jobs use the files, the context and the caches: stops first
    LockWaits lock_waits_;  // its waiters use the open files: stops before them
    std::mutex release_barrier_mutex_;
    std::function<void()> release_barrier_;  // guarded by release_barrier_mutex_
};

}  // namespace nfsfuse::vfs
