#include "fusefs/fuse_locks.h"

#include <fcntl.h>
#include <sys/file.h>

#include <memory>

#include "fusefs/fuse_adapter.h"
#include "fusefs/request_scope.h"
#include "util/error.h"

namespace nfsfuse::fusefs {
namespace {

nfs::LockType type_of(const struct flock& lock) {
    return lock.l_type == F_RDLCK ? nfs::LockType::read : nfs::LockType::write;
}

nfs::LockRange range_of(const struct flock& lock) {
    // libfuse hands over the kernel's absolute start and an l_len of 0 for "to the end".
    return {static_cast<uint64_t>(lock.l_start), static_cast<uint64_t>(lock.l_len)};
}

nfs::LockRequest request_of(fuse_req_t req, uint64_t owner, nfs::LockType type,
                            nfs::LockRange range) {
    return {owner, type, range, static_cast<uint32_t>(fuse_req_ctx(req)->pid), false};
}

// A blocking request waiting for its lock: the interrupt hook cancels its context.
struct LockWait {
    fuse_req_t req;
    std::shared_ptr<nfs::CallContext> context;
    vfs::Filesystem* filesystem;
};

void on_lock_wait_interrupt(fuse_req_t, void* data) {
    auto* wait = static_cast<LockWait*>(data);
    wait->context->cancel();
    wait->filesystem->wake_lock_waits();
}

// Takes the lock now, or answers once it is taken (or the wait failed or was interrupted).
void lock_waiting(fuse_req_t req, fuse_file_info* fi, const nfs::LockRequest& request) {
    FuseAdapter& adapter = FuseAdapter::of(req);
    auto wait = std::make_shared<LockWait>(LockWait{
        req, std::make_shared<nfs::CallContext>(adapter.caller(req)), &adapter.filesystem()});
    fuse_req_interrupt_func(req, on_lock_wait_interrupt, wait.get());
    try {
        adapter.filesystem().lock_waiting(wait->context, fi->fh, request, [wait](int errnum) {
            // Unhooked first: after this, no interrupt can reach `wait` any more.
            fuse_req_interrupt_func(wait->req, nullptr, nullptr);
            fuse_reply_err(wait->req, errnum);
        });
    } catch (const Error& error) {
        fuse_req_interrupt_func(req, nullptr, nullptr);
        fuse_reply_err(req, error.errnum());
    } catch (const std::exception&) {
        fuse_req_interrupt_func(req, nullptr, nullptr);
        fuse_reply_err(req, EIO);
    }
}

void op_getlk(fuse_req_t req, fuse_ino_t, fuse_file_info* fi, struct flock* lock) {
    run_as_caller(req, "getlk", [&](const nfs::CallContext& context) {
        const nfs::LockType type = type_of(*lock);
        const auto holder = FuseAdapter::of(req).filesystem().test_lock(
            context, fi->fh, request_of(req, fi->lock_owner, type, range_of(*lock)));
        struct flock answer = *lock;
        if (!holder) {
            answer.l_type = F_UNLCK;
        } else {
            answer.l_type = holder->type == nfs::LockType::read ? F_RDLCK : F_WRLCK;
            answer.l_start = static_cast<off_t>(holder->range.offset);
            answer.l_len = static_cast<off_t>(holder->range.length);
            answer.l_pid = static_cast<pid_t>(holder->pid);
        }
        answer.l_whence = SEEK_SET;
        return Reply([req, answer] { fuse_reply_lock(req, &answer); });
    });
}

void op_setlk(fuse_req_t req, fuse_ino_t, fuse_file_info* fi, struct flock* lock, int sleep) {
    vfs::Filesystem& filesystem = FuseAdapter::of(req).filesystem();
    if (lock->l_type == F_UNLCK) {
        run_as_caller(req, "unlock", [&](const nfs::CallContext& context) {
            filesystem.unlock(context, fi->fh, fi->lock_owner, range_of(*lock));
            return Reply([req] { fuse_reply_err(req, 0); });
        });
        return;
    }
    const nfs::LockType type = type_of(*lock);
    const nfs::LockRequest request = request_of(req, fi->lock_owner, type, range_of(*lock));
    if (sleep) return lock_waiting(req, fi, request);
    run_as_caller(req, "setlk", [&](const nfs::CallContext& context) {
        filesystem.lock(context, fi->fh, request);
        return Reply([req] { fuse_reply_err(req, 0); });
    });
}

// flock(2): a lock of the whole file, whose owner is the open file description, as the kernel
// NFS client sends it (so it also excludes fcntl locks of other hosts, see nfs(5)).
void op_flock(fuse_req_t req, fuse_ino_t, fuse_file_info* fi, int op) {
    const nfs::LockRange whole{0, 0};
    vfs::Filesystem& filesystem = FuseAdapter::of(req).filesystem();
    if (op & LOCK_UN) {
        run_as_caller(req, "flock", [&](const nfs::CallContext& context) {
            filesystem.unlock(context, fi->fh, fi->lock_owner, whole);
            return Reply([req] { fuse_reply_err(req, 0); });
        });
        return;
    }
    const nfs::LockType type = (op & LOCK_SH) ? nfs::LockType::read : nfs::LockType::write;
    const nfs::LockRequest request = request_of(req, fi->lock_owner, type, whole);
    if (!(op & LOCK_NB)) return lock_waiting(req, fi, request);
    run_as_caller(req, "flock", [&](const nfs::CallContext& context) {
        // flock's "would block" is EWOULDBLOCK, which is EAGAIN on Linux.
        filesystem.lock(context, fi->fh, request);
        return Reply([req] { fuse_reply_err(req, 0); });
    });
}

}  // namespace

void add_lock_operations(fuse_lowlevel_ops& ops) {
    ops.getlk = op_getlk;
    ops.setlk = op_setlk;
    ops.flock = op_flock;
}

}  // namespace nfsfuse::fusefs
