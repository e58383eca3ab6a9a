#include "cache/write_behind.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "util/error.h"

namespace nfsfuse::cache {
namespace {

// A server whose verifier keeps changing (restarting in a loop) would make flush resend for
// ever; after this many rounds the flush fails instead.
constexpr int kMaxResendRounds = 5;

// How often a wait for requests on the wire looks at its CancelToken.
constexpr auto kCancelPoll = std::chrono::milliseconds(50);

bool overlaps(const std::pair<uint64_t, uint64_t>& range, uint64_t begin, uint64_t end) {
    return range.first < end && begin < range.second;
}

}  // namespace

WriteBehind::WriteBehind(nfs::NfsClient& client, size_t gather_limit, size_t commit_threshold,
                         OnWritten on_written, size_t max_in_flight, size_t senders)
    : client_(client),
      gather_limit_(gather_limit),
      commit_threshold_(commit_threshold),
      on_written_(std::move(on_written)),
      max_in_flight_(std::max<size_t>(1, max_in_flight)),
      sender_count_(std::max<size_t>(1, senders)) {}

WriteBehind::~WriteBehind() {
    {
        std::lock_guard lock(queue_mutex_);
        stopping_ = true;
    }
    queue_changed_.notify_all();
    for (std::thread& sender : senders_) sender.join();
}

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

void WriteBehind::sender_loop() {
    for (;;) {
        Request request;
        {
            std::unique_lock lock(queue_mutex_);
            // Queued requests are sent even when stopping: their writers were told "done".
            queue_changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;
            request = std::move(queue_.front());
            queue_.pop_front();
        }
        File& file = *request.file;
        const uint64_t begin = request.extent.offset;
        const uint64_t end = begin + request.extent.data.size();
        std::optional<nfs::WriteResult> result;
        std::optional<std::pair<int, std::string>> failure;
        try {
            // No cancellation: the application's write() has returned already. A soft mount's
            // timeout bounds the call; a hard mount waits for the server like any NFS client.
            result = client_.write(nfs::CancelToken{}, request.fh, begin, request.extent.data,
                                   nfs::Stability::unstable);
        } catch (const Error& error) {
            failure = {error.errnum(), error.what()};
        }
        if (result && on_written_) on_written_(request.fh, *result);
        {
            std::lock_guard lock(file.mutex);
            if (result) {
                record_sent(file, std::move(request.extent), *result);
            } else if (!file.failure) {
                file.failure = failure;
            }
            const auto range = std::find(file.on_the_wire.begin(), file.on_the_wire.end(),
                                         std::make_pair(begin, end));
            if (range != file.on_the_wire.end()) file.on_the_wire.erase(range);
        }
        file.changed.notify_all();
    }
}

void WriteBehind::record_sent(File& file, Extent extent, const nfs::WriteResult& result) {
    if (result.stable) return;  // the server wrote it through: nothing to keep
    if (file.verifier && *file.verifier != result.verifier) file.verifier_changed = true;
    file.verifier = result.verifier;
    file.uncommitted_bytes += extent.data.size();
    file.uncommitted.push_back(std::move(extent));
}

void WriteBehind::wait_idle(const nfs::CancelToken& cancel, File& file, FileLock& lock) {
    while (!file.on_the_wire.empty()) {
        if (cancel.cancelled()) throw Error(EINTR, "interrupted while writes were on the wire");
        file.changed.wait_for(lock, kCancelPoll);
    }
}

void WriteBehind::queue_gathered(const nfs::CancelToken& cancel, const nfs::FileHandle& fh,
                                 const std::shared_ptr<File>& file, FileLock& lock) {
    if (file->gathered.data.empty()) return;
    const uint64_t begin = file->gathered.offset;
    const uint64_t end = begin + file->gathered.data.size();
    const auto blocked = [&] {
        if (file->on_the_wire.size() >= max_in_flight_) return true;
        return std::any_of(file->on_the_wire.begin(), file->on_the_wire.end(),
                           [&](const auto& range) { return overlaps(range, begin, end); });
    };
    while (blocked()) {
        if (cancel.cancelled()) throw Error(EINTR, "interrupted while writes were on the wire");
        file->changed.wait_for(lock, kCancelPoll);
    }
    file->on_the_wire.emplace_back(begin, end);
    Request request{fh, file, std::move(file->gathered)};
    file->gathered = {};
    enqueue(std::move(request));
}

void WriteBehind::enqueue(Request request) {
    std::call_once(senders_started_, [this] {
        for (size_t i = 0; i < sender_count_; ++i) senders_.emplace_back([this] { sender_loop(); });
    });
    {
        std::lock_guard queue_lock(queue_mutex_);
        queue_.push_back(std::move(request));
    }
    queue_changed_.notify_one();
}

bool WriteBehind::send_alone_stable(const nfs::CancelToken& cancel, const nfs::FileHandle& fh,
                                    const std::shared_ptr<File>& file, FileLock& lock) {
    if (file->gathered.data.empty() || !file->uncommitted.empty() || !file->on_the_wire.empty())
        return false;
    Extent extent = std::move(file->gathered);
    file->gathered = {};
    const std::pair<uint64_t, uint64_t> range{extent.offset, extent.offset + extent.data.size()};
    file->on_the_wire.push_back(range);  // later writers must not overtake it
    lock.unlock();
    std::optional<nfs::WriteResult> result;
    std::optional<std::pair<int, std::string>> failure;
    try {
        result = client_.write(cancel, fh, extent.offset, extent.data, nfs::Stability::file_sync);
    } catch (const Error& error) {
        failure = {error.errnum(), error.what()};
    }
    if (result && on_written_) on_written_(fh, *result);
    lock.lock();
    if (failure && failure->first == EINTR) {
        // The caller stopped waiting, but the data was taken from a write() already answered:
        // it goes in the background like any other (its range stays on the wire until then).
        enqueue(Request{fh, file, std::move(extent)});
        throw Error(failure->first, failure->second);
    }
    file->on_the_wire.erase(std::find(file->on_the_wire.begin(), file->on_the_wire.end(), range));
    file->changed.notify_all();
    if (failure) {
        if (!file->failure) file->failure = failure;
        throw_failure(*file);
    }
    record_sent(*file, std::move(extent), *result);
    return true;
}

void WriteBehind::write(const nfs::CancelToken& cancel, const nfs::FileHandle& fh, uint64_t offset,
                        std::string_view data) {
    std::shared_ptr<File> file = file_of(fh, true);
    FileLock lock(file->mutex);
    while (file->retired) {  // forgotten between file_of and the lock: take the new one
        lock.unlock();
        file = file_of(fh, true);
        lock = FileLock(file->mutex);
    }
    if (file->failure) throw_failure(*file);
    Extent& gathered = file->gathered;
    const bool continues = !gathered.data.empty() &&
                           offset == gathered.offset + gathered.data.size() &&
                           gathered.data.size() + data.size() <= gather_limit_;
    if (!gathered.data.empty() && !continues) queue_gathered(cancel, fh, file, lock);
    if (gathered.data.empty()) gathered.offset = offset;
    gathered.data.append(data);
    // A full request goes now: waiting longer gains nothing and delays the data.
    if (gathered.data.size() >= gather_limit_) queue_gathered(cancel, fh, file, lock);
    if (file->uncommitted_bytes > commit_threshold_) {
        wait_idle(cancel, *file, lock);
        commit_locked(cancel, fh, *file, lock);
    }
}

void WriteBehind::send(const nfs::CancelToken& cancel, const nfs::FileHandle& fh) {
    const std::shared_ptr<File> file = file_of(fh, false);
    if (!file) return;
    FileLock lock(file->mutex);
    if (!send_alone_stable(cancel, fh, file, lock)) queue_gathered(cancel, fh, file, lock);
    wait_idle(cancel, *file, lock);
    if (file->failure) throw_failure(*file);
}

void WriteBehind::send_all(const nfs::CancelToken& cancel) {
    std::vector<std::pair<nfs::FileHandle, std::shared_ptr<File>>> files;
    {
        std::lock_guard lock(table_mutex_);
        files.assign(files_.begin(), files_.end());
    }
    for (const auto& [fh, file] : files) {
        FileLock lock(file->mutex);
        queue_gathered(cancel, fh, file, lock);
    }
    for (const auto& [fh, file] : files) {
        FileLock lock(file->mutex);
        wait_idle(cancel, *file, lock);
    }
}

bool WriteBehind::has_pending(const nfs::FileHandle& fh) {
    const std::shared_ptr<File> file = file_of(fh, false);
    if (!file) return false;
    std::lock_guard lock(file->mutex);
    return !file->gathered.data.empty() || !file->on_the_wire.empty() || !file->uncommitted.empty();
}

void WriteBehind::forget_if_clean(const nfs::FileHandle& fh) {
    std::lock_guard table_lock(table_mutex_);
    const auto found = files_.find(fh);
    if (found == files_.end()) return;
    File& file = *found->second;
    std::unique_lock file_lock(file.mutex, std::try_to_lock);
    if (!file_lock.owns_lock()) return;  // in use right now: not clean
    if (!file.gathered.data.empty() || !file.on_the_wire.empty() || !file.uncommitted.empty() ||
        file.failure)
        return;
    file.retired = true;
    files_.erase(found);
}

void WriteBehind::send_now(const nfs::CancelToken& cancel, const nfs::FileHandle& fh, File& file,
                           FileLock& lock, Extent extent) {
    lock.unlock();
    nfs::WriteResult result;
    try {
        result = client_.write(cancel, fh, extent.offset, extent.data, nfs::Stability::unstable);
    } catch (...) {
        lock.lock();
        throw;
    }
    if (on_written_) on_written_(fh, result);
    lock.lock();
    record_sent(file, std::move(extent), result);
}

void WriteBehind::commit_locked(const nfs::CancelToken& cancel, const nfs::FileHandle& fh,
                                File& file, FileLock& lock) {
    for (int round = 0; !file.uncommitted.empty(); ++round) {
        if (round == kMaxResendRounds) {
            throw Error(EIO,
                        "COMMIT: the server's write verifier kept changing (restarting?); "
                        "written data may be lost");
        }
        // The network call runs without the file's lock (the sender threads report into it);
        // nothing else of this file is on the wire: callers waited for that.
        lock.unlock();
        uint64_t committed = 0;
        try {
            committed = client_.commit(cancel, fh);
        } catch (...) {
            lock.lock();
            throw;
        }
        lock.lock();
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
        for (Extent& extent : resend) send_now(cancel, fh, file, lock, std::move(extent));
    }
}

void WriteBehind::flush(const nfs::CancelToken& cancel, const nfs::FileHandle& fh) {
    const std::shared_ptr<File> file = file_of(fh, false);
    if (!file) return;
    FileLock lock(file->mutex);
    try {
        if (!send_alone_stable(cancel, fh, file, lock)) queue_gathered(cancel, fh, file, lock);
        wait_idle(cancel, *file, lock);
        if (!file->failure) commit_locked(cancel, fh, *file, lock);
    } catch (const Error& error) {
        if (error.errnum() == EINTR) throw;  // interrupted: nothing decided, nothing reported
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
