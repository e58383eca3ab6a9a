#include "fusefs/request_scope.h"

#include <spdlog/spdlog.h>

#include <cstring>

#include "util/error.h"

namespace nfsfuse::fusefs {
namespace {

void on_interrupt(fuse_req_t, void* data) {
    static_cast<nfs::CallContext*>(data)->cancel();
}

// Errors a filesystem routinely returns (a missing name, a full directory) are not worth a warning.
bool is_routine(int errnum) {
    return errnum == ENOENT || errnum == EEXIST || errnum == ENOTEMPTY || errnum == EINTR ||
           errnum == EACCES || errnum == EPERM || errnum == ENOTDIR || errnum == EISDIR ||
           errnum == EINVAL || errnum == EROFS || errnum == ENOTSUP || errnum == ENODATA;
}

}  // namespace

void run_request(fuse_req_t req, const char* operation, std::optional<nfs::Credentials> caller,
                 const std::function<Reply(const nfs::CallContext&)>& work) {
    nfs::CallContext context(std::move(caller));
    fuse_req_interrupt_func(req, on_interrupt, &context);
    Reply reply;
    int errnum = 0;
    try {
        reply = work(context);
    } catch (const Error& e) {
        errnum = e.errnum();
        if (is_routine(errnum))
            spdlog::debug("{}: {} ({})", operation, e.what(), strerror(errnum));
        else
            spdlog::warn("{}: {} ({})", operation, e.what(), strerror(errnum));
    } catch (const std::exception& e) {
        errnum = EIO;
        spdlog::error("{}: unexpected failure: {}", operation, e.what());
    }
    // Unhook before replying: libfuse runs the hook under the request's lock, which this takes, so
    // after it returns no hook runs any more and `context` may die with this frame.
    fuse_req_interrupt_func(req, nullptr, nullptr);
    if (errnum != 0)
        fuse_reply_err(req, errnum);
    else
        reply();
}

}  // namespace nfsfuse::fusefs
