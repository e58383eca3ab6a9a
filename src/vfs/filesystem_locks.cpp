// Filesystem's locks: requests go to the server through the open they come through; the owners
// that may hold locks are remembered per file, so that a close releases them.
#include <spdlog/spdlog.h>

#include "util/error.h"
#include "vfs/filesystem.h"
#include "vfs/filesystem_open_file.h"

namespace nfsfuse::vfs {

std::optional<nfs::LockHolder> Filesystem::test_lock(const nfs::CallContext& context,
                                                     uint64_t handle,
                                                     const nfs::LockRequest& request) {
    const OpenFile& open = open_file(handle);
    return client_.test(context, open.file->handle(), open.open, request);
}

std::optional<nfs::LockHolder> Filesystem::try_lock(const nfs::CallContext& context,
                                                    uint64_t handle,
                                                    const nfs::LockRequest& request) {
    const OpenFile& open = open_file(handle);
    open.file->lock_taken(request.owner, handle);
    return client_.lock(context, open.file->handle(), open.open, request);
}

void Filesystem::lock(const nfs::CallContext& context, uint64_t handle,
                      const nfs::LockRequest& request) {
    if (const auto holder = try_lock(context, handle, request))
        throw Error(EAGAIN, "the lock is held by another owner");
}

void Filesystem::lock_waiting(std::shared_ptr<const nfs::CallContext> context, uint64_t handle,
                              nfs::LockRequest request, LockWaits::Done done) {
    if (!try_lock(*context, handle, request)) {
        done(0);
        return;
    }
    request.waiting = true;
    lock_waits_.add(
        std::move(context),
        [this, handle, request](const nfs::CallContext& attempt_context) {
            return !try_lock(attempt_context, handle, request);
        },
        std::move(done));
}

void Filesystem::unlock(const nfs::CallContext& context, uint64_t handle, nfs::LockOwner owner,
                        const nfs::LockRange& range) {
    const OpenFile& open = open_file(handle);
    client_.unlock(context, open.file->handle(), open.open, owner, range);
}

void Filesystem::release_locks(const OpenFile& open, nfs::LockOwner owner) noexcept {
    try {
        client_.unlock(nfs::CallContext{}, open.file->handle(), open.open, owner,
                       nfs::LockRange{0, 0});
    } catch (const std::exception& e) {
        spdlog::error("the locks of owner {:x} on a closed file could not be released: {}", owner,
                      e.what());
    }
}

}  // namespace nfsfuse::vfs
