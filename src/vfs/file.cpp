#include "vfs/file.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "util/error.h"

namespace nfsfuse::vfs {
namespace {

// A server whose verifier keeps changing (restarting in a loop) would make flush resend for
// ever; after this many COMMITs the flush fails instead.
constexpr int kMaxCommitRounds = 6;

// How often a wait looks at its CallContext.
constexpr auto kCancelPoll = std::chrono::milliseconds(50);

// One more in `count` for as long as it lives.
class CountedWhileAlive {
  public:
    explicit CountedWhileAlive(uint64_t& count) : count_(++count) {}
    ~CountedWhileAlive() { --count_; }
    CountedWhileAlive(const CountedWhileAlive&) = delete;
    CountedWhileAlive& operator=(const CountedWhileAlive&) = delete;

  private:
    uint64_t& count_;
};

}  // namespace

File::File(nfs::FileHandle handle, FileContext& context)
    : handle_(std::move(handle)), context_(context), generation_(context.next_generation++) {}

void File::wait(const nfs::CallContext& context, Lock& lock, const char* what) {
    if (context.cancelled()) throw Error(EINTR, std::string("interrupted while ") + what);
    changed_.wait_for(lock, kCancelPoll);
}

void File::wait_for_exclusive_end(const nfs::CallContext& context, Lock& lock) {
    while (exclusive_) wait(context, lock, "the file's size was being changed");
}

void File::record_failure(int errnum, const std::string& message) {
    if (!failure_) failure_ = {errnum, message};
}

void File::data_changed_here() {
    generation_ = context_.next_generation++;
    context_.blocks.forget_file(handle_);  // frees the memory; the generation decides validity
}

void File::own_write_done(const nfs::WriteResult& result) {
    std::optional<nfs::ChangeStamp> after;
    if (result.after) after = nfs::change_stamp_of(*result.after);
    pages_stamp_.after_own_write(result.before, after);
    // Our own change: the blocks were invalidated when it was written here.
    blocks_stamp_.after_own_write(result.before, after);
}

File::WriteOutcome File::send_write(const nfs::CallContext& context,
                                    const std::optional<nfs::Credentials>& writer, uint64_t offset,
                                    std::string_view data, nfs::Stability stability) {
    try {
        const nfs::CallContext as_writer(context, writer);
        nfs::WriteResult result = context_.data.write(as_writer, handle_, offset, data, stability);
        if (context_.written) context_.written(handle_);
        return result;
    } catch (const Error& error) {
        return error;
    }
}

void File::write_returned(uint64_t tag, const WriteOutcome& outcome) {
    if (const auto* result = std::get_if<nfs::WriteResult>(&outcome)) {
        writes_.sent(tag, result->stable, result->verifier);
        own_write_done(*result);
        return;
    }
    // Interrupted: the bytes stay owed (the next settle sends them). Anything else failed.
    const Error& failure = std::get<Error>(outcome);
    const bool interrupted = failure.errnum() == EINTR;
    writes_.send_failed(tag, interrupted);
    if (!interrupted) record_failure(failure.errnum(), failure.what());
}

void File::send_in_background(PendingWrites::Request request) {
    context_.senders.post(
        [self = shared_from_this(), request = std::move(request), writer = writer_] {
            // No cancellation: the application's write() has returned already. A soft mount's
            // timeout bounds the call; a hard mount waits for the server like any NFS client.
            const WriteOutcome outcome = self->send_write(
                nfs::CallContext{}, writer, request.offset, request.data, nfs::Stability::unstable);
            {
                std::lock_guard lock(self->mutex_);
                self->write_returned(request.tag, outcome);
                // Runs a finished WRITE held back (overlapping it, or beyond the limit) may go now.
                self->dispatch(Dispatch::complete_runs);
            }
            self->changed_.notify_all();
        });
}

void File::dispatch(Dispatch which) {
    for (const PendingWrites::Run& run : writes_.dirty_runs(context_.gather_limit)) {
        if (writes_.requests_on_the_wire() >= context_.max_in_flight) return;
        const bool still_gathering =
            run.end == last_write_end_ && run.size() < context_.gather_limit;
        if (which == Dispatch::complete_runs && still_gathering) continue;
        if (writes_.overlaps_the_wire(run.begin, run.end)) continue;
        send_in_background(writes_.start_sending(run));
    }
}

bool File::send_alone_stable(const nfs::CallContext& context, Lock& lock) {
    if (writes_.requests_on_the_wire() > 0 || writes_.unstable_bytes() > 0) return false;
    const std::vector<PendingWrites::Run> runs = writes_.dirty_runs(context_.gather_limit);
    if (runs.size() != 1) return false;
    const PendingWrites::Request request = writes_.start_sending(runs.front());
    const std::optional<nfs::Credentials> writer = writer_;
    lock.unlock();
    const WriteOutcome outcome =
        send_write(context, writer, request.offset, request.data, nfs::Stability::file_sync);
    lock.lock();
    write_returned(request.tag, outcome);
    changed_.notify_all();
    if (const auto* failure = std::get_if<Error>(&outcome); failure && failure->errnum() == EINTR)
        throw *failure;
    return true;
}

void File::settle_locked(const nfs::CallContext& context, Lock& lock) {
    wait_for_exclusive_end(context, lock);
    while (writes_.has_dirty() || writes_.requests_on_the_wire() > 0) {
        if (writes_.has_dirty() && !send_alone_stable(context, lock))
            dispatch(Dispatch::everything);
        if (writes_.has_dirty() || writes_.requests_on_the_wire() > 0)
            wait(context, lock, "writes were on the wire");
    }
}

uint64_t File::commit_once(const nfs::CallContext& context, Lock& lock) {
    const PendingWrites::CommitSnapshot snapshot = writes_.commit_snapshot();
    if (snapshot.empty()) return 0;
    const nfs::CallContext as_writer(context, writer_);
    commit_in_flight_ = true;
    lock.unlock();
    uint64_t verifier = 0;
    try {
        verifier = context_.data.commit(as_writer, handle_);
    } catch (...) {
        lock.lock();
        commit_in_flight_ = false;
        changed_.notify_all();
        throw;
    }
    lock.lock();
    commit_in_flight_ = false;
    changed_.notify_all();
    return commit_returned(snapshot, verifier);
}

uint64_t File::commit_returned(const PendingWrites::CommitSnapshot& snapshot, uint64_t verifier) {
    const uint64_t again = writes_.committed(snapshot, verifier);
    if (again > 0) {
        spdlog::warn("the server's write verifier changed: sending {} uncommitted bytes again",
                     again);
        // Blocks read since the restart lack what it lost: they hid behind the owed bytes
        // (File::read lays those over them), which are about to leave once resent.
        data_changed_here();
    }
    return again;
}

void File::commit_in_background() {
    PendingWrites::CommitSnapshot snapshot = writes_.commit_snapshot();
    if (snapshot.empty()) return;
    commit_in_flight_ = true;
    context_.senders.post(
        [self = shared_from_this(), snapshot = std::move(snapshot), writer = writer_] {
            std::optional<uint64_t> verifier;
            std::optional<Error> failure;
            try {
                // No cancellation, as for a background WRITE: no program waits for it.
                verifier = self->context_.data.commit(nfs::CallContext(writer), self->handle_);
            } catch (const Error& error) {
                failure = error;
            }
            {
                std::lock_guard lock(self->mutex_);
                self->commit_in_flight_ = false;
                // A COMMIT that failed leaves the data unstable: the next flush commits it
                // again, and reports this failure, as the writer's own COMMIT did before.
                if (verifier)
                    self->commit_returned(snapshot, *verifier);
                else
                    self->record_failure(failure->errnum(), failure->what());
                // What a new verifier made dirty goes again, but not across a SETATTR on the
                // wire (a settle does not wait for a COMMIT): a WRITE beyond a new size landing
                // after the truncate would bring cut data back.
                if (!self->exclusive_) self->dispatch(Dispatch::complete_runs);
            }
            self->changed_.notify_all();
        });
}

void File::write_through(const nfs::CallContext& context, Lock& lock, uint64_t offset,
                         std::string_view data) {
    const std::optional<nfs::Credentials> writer = writer_;
    lock.unlock();
    const WriteOutcome outcome =
        send_write(context, writer, offset, data, nfs::Stability::file_sync);
    lock.lock();
    if (const auto* failure = std::get_if<Error>(&outcome)) throw *failure;
    own_write_done(std::get<nfs::WriteResult>(outcome));
}

void File::write(const nfs::CallContext& context, uint64_t offset, std::string_view data) {
    Lock lock(mutex_);
    wait_for_exclusive_end(context, lock);
    if (failure_) throw Error(failure_->first, failure_->second);
    data_changed_here();
    writer_ = context.credentials();
    if (context_.write_through) return write_through(context, lock, offset, data);
    // Room first, so an interrupted wait has taken nothing: a write() that fails wrote nothing.
    // What is kept for a resend stays bounded: with a COMMIT on the wire, up to twice the
    // threshold may wait for it.
    while (writes_.requests_on_the_wire() >= context_.max_in_flight ||
           (commit_in_flight_ && writes_.unstable_bytes() > 2 * context_.commit_threshold))
        wait(context, lock, "writes or a COMMIT were on the wire");
    writes_.write(offset, data);
    last_write_end_ = offset + data.size();
    dispatch(Dispatch::complete_runs);
    // The server makes the data durable while this writer goes on (the kernel client commits
    // from writeback too): waiting for it stalled a 512 MiB dd 20-30 ms per 64 MiB.
    if (writes_.unstable_bytes() > context_.commit_threshold && !commit_in_flight_ && flushes_ == 0)
        commit_in_background();
}

void File::settle(const nfs::CallContext& context) {
    Lock lock(mutex_);
    settle_locked(context, lock);
}

void File::flush(const nfs::CallContext& context) {
    Lock lock(mutex_);
    // While it runs, writers start no background COMMIT: waiting for one after another could go
    // on for ever. Counted down under the lock (the guard dies before `lock`).
    const CountedWhileAlive flushing(flushes_);
    try {
        for (int round = 0;;) {
            settle_locked(context, lock);
            if (commit_in_flight_) {
                // Another COMMIT (a background one, another flush's) may settle some of what this
                // flush must make durable, or make it dirty again (a new verifier): its outcome
                // first, then settle again. Taking a snapshot meanwhile would miss that: bytes it
                // made dirty are not unstable, and this COMMIT would find nothing to send again.
                while (commit_in_flight_) wait(context, lock, "a COMMIT was on the wire");
                continue;
            }
            if (failure_) break;
            if (round++ == kMaxCommitRounds) {
                throw Error(EIO,
                            "COMMIT: the server's write verifier kept changing (restarting?); "
                            "written data may be lost");
            }
            // Once more only when bytes were made dirty again; data written meanwhile by others
            // is theirs to flush (waiting for it could go on for ever).
            if (commit_once(context, lock) == 0) break;
        }
    } catch (const Error& error) {
        if (error.errnum() == EINTR) throw;  // nothing decided: what is unsent stays owed
        record_failure(error.errnum(), error.what());
    }
    if (!failure_) return;
    const auto failure = std::move(*failure_);
    failure_.reset();
    // Reported now in place of what could not be written, which is dropped with the report.
    writes_.drop_all_but_sending();
    throw Error(failure.first, failure.second);
}

nfs::Attributes File::set_attributes(const nfs::CallContext& context,
                                     const nfs::SetAttributes& changes,
                                     const std::function<nfs::Attributes()>& call) {
    Lock lock(mutex_);
    settle_locked(context, lock);
    exclusive_ = true;
    lock.unlock();
    std::optional<nfs::Attributes> attributes;
    std::exception_ptr failure;
    try {
        attributes = call();
    } catch (...) {
        failure = std::current_exception();
    }
    lock.lock();
    exclusive_ = false;
    // Whatever happened, we cannot tell whether someone else changed the file just before.
    pages_stamp_.forget();
    if (changes.size) {
        // Even a failed SETATTR may have been done (a lost reply): owing nothing beyond the
        // size is the safe side, since what is beyond it may be gone on the server.
        writes_.truncate(*changes.size);
        data_changed_here();
    }
    if (attributes) blocks_stamp_.still(nfs::change_stamp_of(*attributes));
    changed_.notify_all();
    if (failure) std::rethrow_exception(failure);
    return *attributes;
}

std::vector<cache::BlockCache::Piece> File::read(const nfs::CallContext& context, uint64_t offset,
                                                 uint32_t length) {
    uint64_t generation = 0;
    {
        Lock lock(mutex_);
        settle_locked(context, lock);
        generation = generation_;
    }
    // Without the lock: a write meanwhile moves the generation on, and the blocks read here
    // are never served to a read that starts after it.
    std::vector<cache::BlockCache::Piece> pieces =
        context_.blocks.read(context, handle_, generation, offset, length);
    Lock lock(mutex_);
    const uint64_t owed_end = std::min(writes_.owed_end(), offset + length);
    if (owed_end <= offset) return pieces;
    std::string window;
    for (const auto& piece : pieces) window.append(piece.data, piece.size);
    // Up to the owed byte furthest on: the file is at least that long for the program.
    window.resize(std::max<uint64_t>(window.size(), owed_end - offset), '\0');
    writes_.overlay(offset, window);
    auto merged =
        std::make_shared<const nfs::ReadResult>(nfs::ReadResult::holding(std::move(window)));
    const char* data = merged->data.data();
    const size_t size = merged->data.size();
    return {cache::BlockCache::Piece{std::move(merged), data, size}};
}

uint64_t File::size_seen(uint64_t server_size) {
    std::lock_guard lock(mutex_);
    return std::max(server_size, writes_.owed_end());
}

bool File::has_pending() {
    std::lock_guard lock(mutex_);
    return !writes_.empty() || failure_.has_value();
}

uint64_t File::owed_bytes() {
    std::lock_guard lock(mutex_);
    return writes_.owed_bytes();
}

void File::server_stamp(const nfs::ChangeStamp& stamp) {
    std::lock_guard lock(mutex_);
    // Changed, or unknown since a change we could not follow: what is cached may be older.
    if (!blocks_stamp_.still(stamp)) data_changed_here();
}

bool File::keep_pages_at_open(const nfs::ChangeStamp& now) {
    std::lock_guard lock(mutex_);
    return pages_stamp_.still(now);
}

void File::forget_pages() {
    std::lock_guard lock(mutex_);
    pages_stamp_.forget();
}

void File::opened() {
    std::lock_guard lock(mutex_);
    ++opens_;
}

std::optional<PendingRemoval> File::released() {
    std::lock_guard lock(mutex_);
    if (opens_ == 0 || --opens_ > 0) return std::nullopt;
    return std::exchange(removal_, std::nullopt);
}

bool File::is_open() {
    std::lock_guard lock(mutex_);
    return opens_ > 0;
}

bool File::hide(PendingRemoval removal) {
    std::lock_guard lock(mutex_);
    if (opens_ == 0) return false;
    removal_ = std::move(removal);
    return true;
}

bool File::idle() {
    std::lock_guard lock(mutex_);
    return opens_ == 0 && writes_.empty() && !failure_ && lock_owners_.empty();
}

void File::lock_taken(nfs::LockOwner owner, uint64_t handle) {
    std::lock_guard lock(mutex_);
    lock_owners_[owner] = handle;
}

bool File::forget_lock_owner(nfs::LockOwner owner) {
    std::lock_guard lock(mutex_);
    return lock_owners_.erase(owner) > 0;
}

std::vector<nfs::LockOwner> File::forget_lock_owners_of(uint64_t handle) {
    std::lock_guard lock(mutex_);
    std::vector<nfs::LockOwner> owners;
    std::erase_if(lock_owners_, [&](const auto& entry) {
        if (entry.second != handle) return false;
        owners.push_back(entry.first);
        return true;
    });
    return owners;
}

}  // namespace nfsfuse::vfs
