// The protocol behind small interfaces: operations on file handles and attributes. A file's data
// (DataIo: READ, WRITE, COMMIT), its opens (OpenState: NFSv4 open state), and the namespace
// (Namespace: names, attributes, directories); NfsClient is all three, implemented by NFSv3
// (nfs3_client) and NFSv4.1 (v4/nfs4_client). vfs::File only needs DataIo, so its fakes stub only
// that. Thread-safety: every method may be called concurrently from many threads. Errors: every
// method throws nfsfuse::Error with the POSIX errno (ENOENT, EEXIST, EIO, ETIMEDOUT...).
// `context`: a blocking call returns EINTR soon after context.cancel() (hard mounts rely on this).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/call_context.h"
#include "nfs/types.h"

namespace nfsfuse::nfs {

// A file's data.
class DataIo {
  public:
    virtual ~DataIo() = default;

    // Largest READ / WRITE payload the server takes in one call.
    virtual uint32_t max_read() const = 0;
    virtual uint32_t max_write() const = 0;

    virtual ReadResult read(const CallContext& context, const FileHandle& fh, uint64_t offset,
                            uint32_t count) = 0;
    // Writes all of `data` with the given stability. Returns the file's stamp before the first
    // byte and its attributes after the last, as far as the server says, and its verifier.
    virtual WriteResult write(const CallContext& context, const FileHandle& fh, uint64_t offset,
                              std::string_view data, Stability stability) = 0;
    // Makes earlier writes to `fh` durable on the server. Returns the server's write verifier:
    // unstable writes answered with another verifier must be sent again.
    virtual uint64_t commit(const CallContext& context, const FileHandle& fh) = 0;
};

// Opens of regular files.
class OpenState {
  public:
    virtual ~OpenState() = default;

    // Opens the regular file `fh` for `access` and returns the open and the file's attributes
    // as the server has them now. Reads and writes of `fh` go under one of its opens while any
    // is open (NFSv4 open state: every open is its own, so closing one never disturbs another).
    virtual OpenedFile open(const CallContext& context, const FileHandle& fh,
                            OpenAccess access) = 0;
    // Ends an open. Never throws: close(2) has returned already; a failure is logged and the
    // server drops what is left with our lease.
    virtual void close(OpenId id) noexcept = 0;
    // Creates `name` and opens it for `access` (close the open returned). exclusive: fail with
    // EEXIST when `name` exists (O_EXCL); otherwise open an existing file.
    virtual CreatedFile create(const CallContext& context, const FileHandle& dir,
                               const std::string& name, const NewObjectAttributes& attributes,
                               bool exclusive, OpenAccess access) = 0;
};

// Names, attributes and directories.
class Namespace {
  public:
    virtual ~Namespace() = default;

    virtual const FileHandle& root() const = 0;
    virtual Attributes getattr(const CallContext& context, const FileHandle& fh) = 0;
    virtual Attributes setattr(const CallContext& context, const FileHandle& fh,
                               const SetAttributes& changes) = 0;
    virtual Entry lookup(const CallContext& context, const FileHandle& dir,
                         const std::string& name) = 0;
    // Returns the subset of `wanted` (AccessBits) the server grants.
    virtual uint32_t access(const CallContext& context, const FileHandle& fh, uint32_t wanted) = 0;
    virtual std::string readlink(const CallContext& context, const FileHandle& fh) = 0;
    virtual Entry mkdir(const CallContext& context, const FileHandle& dir, const std::string& name,
                        const NewObjectAttributes& attributes) = 0;
    virtual Entry symlink(const CallContext& context, const FileHandle& dir,
                          const std::string& name, const std::string& target,
                          const NewObjectAttributes& attributes) = 0;
    virtual Entry mknod(const CallContext& context, const FileHandle& dir, const std::string& name,
                        const SpecialFile& what, const NewObjectAttributes& attributes) = 0;
    virtual Entry link(const CallContext& context, const FileHandle& target, const FileHandle& dir,
                       const std::string& name) = 0;
    // These three return what the server said about the directories they changed.
    virtual DirectoryChange remove(const CallContext& context, const FileHandle& dir,
                                   const std::string& name) = 0;
    virtual DirectoryChange rmdir(const CallContext& context, const FileHandle& dir,
                                  const std::string& name) = 0;
    virtual RenameChanges rename(const CallContext& context, const FileHandle& from_dir,
                                 const std::string& from_name, const FileHandle& to_dir,
                                 const std::string& to_name) = 0;
    // The whole directory, with handles and attributes where the server gives them.
    virtual std::vector<DirectoryEntry> readdir(const CallContext& context,
                                                const FileHandle& dir) = 0;
    virtual FsStats statfs(const CallContext& context, const FileHandle& fh) = 0;
};

// Byte-range locks kept by the server, so that every client of it sees them (NFSv4.1 LOCK, LOCKU
// and LOCKT; NFSv3 NLM). flock(2) locks are locks of the whole file, as the kernel client sends
// them. `open`: the open the request comes through (NFSv4 lock state grows out of an open; NFSv3
// has none). Nothing here waits for a lock: a caller that wants to wait asks again (vfs
// LockWaits), as the kernel client polls.
class Locks {
  public:
    virtual ~Locks() = default;

    // Takes `request`'s lock for its owner, or returns the lock in the way and takes nothing.
    // An owner's own locks never conflict with each other: the server merges, splits, upgrades
    // and downgrades them as POSIX does. Throws ENOLCK when the server keeps no locks, EIO when
    // the owner's locks on the file were lost (a server restart without reclaim).
    virtual std::optional<LockHolder> lock(const CallContext& context, const FileHandle& fh,
                                           OpenId open, const LockRequest& request) = 0;
    // Releases whatever `owner` holds in `range` (nothing held: nothing happens). Afterwards
    // the server holds nothing of it there, also when its locks were lost.
    virtual void unlock(const CallContext& context, const FileHandle& fh, OpenId open,
                        LockOwner owner, const LockRange& range) = 0;
    // The lock that would stand in the way of `request`, if any; takes nothing (F_GETLK).
    virtual std::optional<LockHolder> test(const CallContext& context, const FileHandle& fh,
                                           OpenId open, const LockRequest& request) = 0;
};

// A whole client of one server.
class NfsClient : public DataIo, public OpenState, public Namespace, public Locks {
  public:
    // Starts whatever runs in the background. Separate from construction because `nfsfuse`
    // daemonizes (fork) between connecting and serving, and threads do not survive a fork.
    virtual void start() {}

    // Calls sent to the server since the start, by procedure name.
    virtual std::map<std::string, uint64_t> call_counts() const = 0;
};

}  // namespace nfsfuse::nfs
