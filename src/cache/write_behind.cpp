#include "cache/write_behind.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "util/error.h"

namespace nfsfuse::cache {
namespace {

// A server whose verifier keeps changing (restarting in a loop) would make flush resend for
// ever; after this many rounds the flush fails instead.
constexpr int kMaxResendRounds = 5;

}  // namespace

WriteBehind::WriteBehind(nfs::NfsClient& client, size_t gather_limit, size_t commit_threshold,
                         OnWritten on_written)
    : client_(client),
      gather_limit_(gather_limit),
      commit_threshold_(commit_threshold),
      on_written_(std::move(on_written)) {}

std::shared_ptr<WriteBehind::File> WriteBehind::file_of(const nfs::FileHandle& fh, bool create) {
    std::lock_guard lock(table_mutex_);
    const auto found = files_.find(fh);
    if (found != files_.end()) return found->second;
    if (!create) return nullptr;
    return files_.emplace(fh, std::make_shared<File>()).first->second;
}

void WriteBehind::throw_failure(const File& file) {
    throw Error(file.failure->first, file.failure->second);
}

void WriteBehind::write(const nfs::CancelToken& cancel, const nfs::FileHandle& fh, uint64_t offset,
                        std::string_view data) {
    std::shared_ptr<File> file = file_of(fh, true);
    std::unique_lock lock(file->mutex);
    while (file->retired) {  // forgotten between file_of and the lock: take the new one
        lock.unlock();
        file = file_of(fh, true);
        lock = std::unique_lock(file->mutex);
    }
    if (file->failure) throw_failure(*file);
    Extent& gathered = file->gathered;
    const bool continues = !gathered.data.empty() &&
                           offset == gathered.offset + gathered.data.size() &&
                           gathered.data.size() + data.size() <= gather_limit_;
    if (!gathered.data.empty() && !continues) send_locked(cancel, fh, *file);
    if (gathered.data.empty()) gathered.offset = offset;
    gathered.data.append(data);
    // A full request goes now: waiting longer gains nothing and delays the data.
    if (gathered.data.size() >= gather_limit_) send_locked(cancel, fh, *file);
    if (file->uncommitted_bytes > commit_threshold_) commit_locked(cancel, fh, *file);
}

void WriteBehind::send(const nfs::CancelToken& cancel, const nfs::FileHandle& fh) {
    const std::shared_ptr<File> file = file_of(fh, false);
    if (!file) return;
    std::lock_guard lock(file->mutex);
    send_locked(cancel, fh, *file);
}

void WriteBehind::send_all(const nfs::CancelToken& cancel) {
    std::vector<std::pair<nfs::FileHandle, std::shared_ptr<File>>> files;
    {
        std::lock_guard lock(table_mutex_);
        files.assign(files_.begin(), files_.end());
    }
    for (const auto& [fh, file] : files) {
        std::lock_guard lock(file->mutex);
        send_locked(cancel, fh, *file);
    }
}

bool WriteBehind::has_pending(const nfs::FileHandle& fh) {
    const std::shared_ptr<File> file = file_of(fh, false);
    if (!file) return false;
    std::lock_guard lock(file->mutex);
    return !file->gathered.data.empty() || !file->uncommitted.empty();
}

void WriteBehind::forget_if_clean(const nfs::FileHandle& fh) {
    std::lock_guard table_lock(table_mutex_);
    const auto found = files_.find(fh);
    if (found == files_.end()) return;
    File& file = *found->second;
    std::unique_lock file_lock(file.mutex, std::try_to_lock);
    if (!file_lock.owns_lock()) return;  // in use right now: not clean
    if (!file.gathered.data.empty() || !file.uncommitted.empty() || file.failure) return;
    file.retired = true;
    files_.erase(found);
}

void WriteBehind::send_locked(const nfs::CancelToken& cancel, const nfs::FileHandle& fh,
                              File& file) {
    if (file.gathered.data.empty()) return;
    Extent extent = std::move(file.gathered);
    file.gathered = {};
    try {
        send_extent_locked(cancel, fh, file, std::move(extent));
    } catch (const Error& error) {
        // The data is gone from here: the application must learn it at flush/fsync at the latest.
        if (!file.failure) file.failure = {error.errnum(), error.what()};
        throw;
    }
}

void WriteBehind::send_extent_locked(const nfs::CancelToken& cancel, const nfs::FileHandle& fh,
                                     File& file, Extent extent) {
    const nfs::WriteResult result =
        client_.write(cancel, fh, extent.offset, extent.data, nfs::Stability::unstable);
    if (on_written_) on_written_(fh, result);
    if (result.stable) return;  // the server wrote it through: nothing to keep
    if (file.verifier && *file.verifier != result.verifier) file.verifier_changed = true;
    file.verifier = result.verifier;
    file.uncommitted_bytes += extent.data.size();
    file.uncommitted.push_back(std::move(extent));
}

void WriteBehind::commit_locked(const nfs::CancelToken& cancel, const nfs::FileHandle& fh,
                                File& file) {
    for (int round = 0; !file.uncommitted.empty(); ++round) {
        if (round == kMaxResendRounds) {
            throw Error(EIO,
                        "COMMIT: the server's write verifier kept changing (restarting?); "
                        "written data may be lost");
        }
        const uint64_t committed = client_.commit(cancel, fh);
        if (!file.verifier_changed && file.verifier == committed) {
            file.uncommitted.clear();
            file.uncommitted_bytes = 0;
            file.verifier.reset();
            return;
        }
        // The server restarted since (some of) these writes: they may be lost. Send them again,
        // in order, and commit once more.
        spdlog::warn("the server's write verifier changed: sending {} uncommitted bytes again",
                     file.uncommitted_bytes);
        std::vector<Extent> resend = std::move(file.uncommitted);
        file.uncommitted.clear();
        file.uncommitted_bytes = 0;
        file.verifier.reset();
        file.verifier_changed = false;
        for (Extent& extent : resend) send_extent_locked(cancel, fh, file, std::move(extent));
    }
}

void WriteBehind::flush(const nfs::CancelToken& cancel, const nfs::FileHandle& fh) {
    const std::shared_ptr<File> file = file_of(fh, false);
    if (!file) return;
    std::lock_guard lock(file->mutex);
    try {
        send_locked(cancel, fh, *file);
        commit_locked(cancel, fh, *file);
    } catch (const Error& error) {
        if (!file->failure) file->failure = {error.errnum(), error.what()};
    }
    if (file->failure) {
        const auto failure = std::move(*file->failure);
        file->failure.reset();
        // What could not be written is dropped with the report; what was written stays known.
        file->uncommitted.clear();
        file->uncommitted_bytes = 0;
        file->verifier.reset();
        file->verifier_changed = false;
        throw Error(failure.first, failure.second);
    }
}

}  // namespace nfsfuse::cache
