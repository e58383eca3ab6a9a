#include "fusefs/uring_queues.h"

#include <linux/fuse.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "util/error.h"

namespace nfsfuse::fusefs {
namespace {

// An entry's memory: its header and, page-aligned after it, its payload. The page before the
// payload also has room for the request's fuse_in_header and first argument, copied there so
// that libfuse gets the whole request in one piece without the payload being copied.
constexpr size_t kPage = 4096;
constexpr size_t kEntryPrefix = kPage;
static_assert(sizeof(uring_abi::RequestHeader) + sizeof(fuse_in_header) + uring_abi::kOpInOutSize <=
              kEntryPrefix);

// user_data of an entry's two kinds of completion.
constexpr uint64_t kWakeTag = 1;
constexpr uint64_t kEntryTag = 2;

// The entry whose request this thread serves, if any: its reply goes there without a search.
thread_local void* current_entry = nullptr;

size_t round_up(size_t value, size_t to) {
    return (value + to - 1) / to * to;
}

io_uring_sqe* next_sqe(io_uring& ring) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (sqe == nullptr) {
        // The submission queue has a slot for the entry's command and one for the wake read,
        // each outstanding at most once: running out is a bug, not a load.
        io_uring_submit(&ring);
        sqe = io_uring_get_sqe(&ring);
    }
    if (sqe == nullptr) throw Error(EIO, "FUSE io_uring: no free submission slot");
    return sqe;
}

void prepare_command(io_uring_sqe* sqe, int fuse_fd, uring_abi::Command command, uint16_t qid,
                     uint64_t commit_id) {
    std::memset(sqe, 0, 2 * sizeof(io_uring_sqe));  // a 128-byte SQE
    sqe->opcode = IORING_OP_URING_CMD;
    sqe->fd = fuse_fd;
    sqe->cmd_op = command;
    io_uring_sqe_set_data64(sqe, kEntryTag);
    uring_abi::CommandRequest request{};
    request.qid = qid;
    request.commit_id = commit_id;
    std::memcpy(sqe->cmd, &request, sizeof request);
}

}  // namespace

size_t uring_queue_count() {
    // The kernel makes num_possible_cpus() queues; /sys says which CPUs are possible ("0-3").
    std::ifstream possible("/sys/devices/system/cpu/possible");
    std::string ranges;
    if (possible >> ranges) {
        size_t highest = 0;
        size_t start = 0;
        while (start < ranges.size()) {
            const size_t comma = ranges.find(',', start);
            const std::string range = ranges.substr(start, comma - start);
            const size_t dash = range.find('-');
            highest = std::max(highest,
                               std::stoul(range.substr(dash == std::string::npos ? 0 : dash + 1)));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        return highest + 1;
    }
    const long configured = ::sysconf(_SC_NPROCESSORS_CONF);
    return configured > 0 ? static_cast<size_t>(configured) : 1;
}

UringQueues::UringQueues(int fuse_fd, Settings settings)
    : fuse_fd_(fuse_fd),
      settings_(settings),
      entries_(settings_.queues * kMaxEntriesPerQueue),
      idle_in_queue_(settings_.queues) {
    for (size_t qid = 0; qid < settings_.queues; ++qid)
        for (size_t i = 0; i < settings_.depth; ++i) add_entry(static_cast<uint16_t>(qid));
}

UringQueues::~UringQueues() {
    stop();
    for (size_t i = 0; i < entry_count_.load(); ++i) close_entry(*entries_[i]);
}

std::unique_ptr<UringQueues::Entry> UringQueues::make_entry(uint16_t qid) const {
    auto entry = std::make_unique<Entry>();
    const size_t payload = round_up(settings_.payload_size, kPage);
    entry->memory_size = kEntryPrefix + payload;
    void* memory = ::mmap(nullptr, entry->memory_size, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        throw Error(errno, "FUSE io_uring: cannot map " + std::to_string(entry->memory_size) +
                               " bytes for a request");
    entry->memory = memory;
    auto* base = static_cast<char*>(memory);
    entry->header = reinterpret_cast<uring_abi::RequestHeader*>(base);
    entry->payload = base + kEntryPrefix;
    entry->buffers[0] = {entry->header, sizeof(uring_abi::RequestHeader)};
    entry->buffers[1] = {entry->payload, payload};
    entry->qid = qid;
    try {
        io_uring_params params{};
        // 128-byte SQEs hold the FUSE command; only the entry's thread submits, and the kernel's
        // work for it runs when that thread waits (see the header). Disabled until that thread
        // enables it: a single issuer ring belongs to the thread enabling it.
        params.flags = IORING_SETUP_SQE128 | IORING_SETUP_SINGLE_ISSUER |
                       IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED;
        const int result = io_uring_queue_init_params(4, &entry->ring, &params);
        if (result < 0) throw Error(-result, "FUSE io_uring: cannot set up a ring");
        entry->ring_ready = true;
        entry->wake_fd = ::eventfd(0, EFD_CLOEXEC);
        if (entry->wake_fd < 0) throw Error(errno, "FUSE io_uring: cannot create an eventfd");
    } catch (...) {
        close_entry(*entry);
        throw;
    }
    return entry;
}

void UringQueues::close_entry(Entry& entry) {
    if (entry.wake_fd >= 0) ::close(entry.wake_fd);
    if (entry.ring_ready) io_uring_queue_exit(&entry.ring);
    if (entry.memory != nullptr) ::munmap(entry.memory, entry.memory_size);
}

bool UringQueues::add_entry(uint16_t qid) {
    std::lock_guard lock(grow_mutex_);
    const size_t count = entry_count_.load();
    if (count == entries_.size() || stopping_.load()) return false;
    entries_[count] = make_entry(qid);
    ++idle_in_queue_[qid];
    if (started_) start_entry(*entries_[count]);
    entry_count_.store(count + 1);  // visible to reply() and settle() from now on
    return true;
}

void UringQueues::start_entry(Entry& entry) {
    entry.thread = std::thread([this, &entry] { run(entry); });
}

void UringQueues::start(Serve serve, ReleaseObserver on_release) {
    serve_ = std::move(serve);
    on_release_ = std::move(on_release);
    std::lock_guard lock(grow_mutex_);
    started_ = true;
    for (size_t i = 0; i < entry_count_.load(); ++i) start_entry(*entries_[i]);
}

void UringQueues::stop() {
    size_t count = 0;
    {
        std::lock_guard grow(grow_mutex_);  // no entry is added after this
        stopping_.store(true);
        count = entry_count_.load();
    }
    for (size_t i = 0; i < count; ++i) {
        Entry& entry = *entries_[i];
        wake(entry);
        std::lock_guard lock(entry.mutex);  // a thread waiting for a reply sees the stop
        entry.replied_changed.notify_all();
    }
    for (size_t i = 0; i < count; ++i)
        if (entries_[i]->thread.joinable()) entries_[i]->thread.join();
    settle_done_.notify_all();
}

void UringQueues::run(Entry& entry) {
    try {
        // liburing 2.3 declares io_uring_enable_rings but does not export it.
        if (::syscall(__NR_io_uring_register, entry.ring.ring_fd, IORING_REGISTER_ENABLE_RINGS,
                      nullptr, 0) != 0)
            throw Error(errno, "FUSE io_uring: cannot enable a ring");
        register_entry(entry);
        arm_wake(entry);
        bool live = true;
        while (live && !stopping_.load()) {
            const uint64_t settle_wanted = settle_requested_.load();
            int result;
            if (settle_wanted > entry.settled.load()) {
                // A settle asked since: run the kernel's pending work for this ring (requests
                // it already gave us) without waiting for more.
                result = io_uring_submit(&entry.ring);
                if (result >= 0) result = io_uring_get_events(&entry.ring);
            } else {
                // Sends the commit (or registration) prepared last time and waits; the kernel's
                // work of filling the entry runs in this wait.
                result = io_uring_submit_and_wait(&entry.ring, 1);
            }
            if (result < 0 && result != -EINTR)
                throw Error(-result, "FUSE io_uring: waiting for a request");
            bool has_request = false;
            io_uring_cqe* cqe = nullptr;
            unsigned head = 0;
            unsigned seen = 0;
            io_uring_for_each_cqe(&entry.ring, head, cqe) {
                if (cqe->user_data == kWakeTag) {
                    if (!stopping_.load()) arm_wake(entry);
                } else if (cqe->res < 0) {
                    // ENOTCONN and ECANCELED: the connection ended (unmounted, aborted); the
                    // kernel has taken the entry back. Anything else is an error.
                    if (cqe->res != -ENOTCONN && cqe->res != -ECANCELED)
                        spdlog::error("FUSE io_uring: the kernel refused an entry of queue {}: {}",
                                      entry.qid, std::strerror(-cqe->res));
                    live = false;
                } else {
                    has_request = true;
                }
                ++seen;
            }
            io_uring_cq_advance(&entry.ring, seen);
            UringRequest request{};
            const bool well_formed = has_request && take_request(entry, request);
            if (settle_wanted > entry.settled.load()) {
                {
                    std::lock_guard lock(settle_mutex_);
                    entry.settled.store(settle_wanted);
                }
                settle_done_.notify_all();
            }
            if (well_formed) serve_and_commit(entry, request);
        }
    } catch (const Error& error) {
        spdlog::error("{}; FUSE queue {} loses an entry", error.what(), entry.qid);
    }
    // No more requests here: a settle must not wait for this entry.
    entry.settled.store(UINT64_MAX);
    settle_done_.notify_all();
}

void UringQueues::register_entry(Entry& entry) {
    io_uring_sqe* sqe = next_sqe(entry.ring);
    prepare_command(sqe, fuse_fd_, uring_abi::kRegister, entry.qid, 0);
    sqe->addr = reinterpret_cast<uint64_t>(entry.buffers);
    sqe->len = 2;  // header and payload
}

void UringQueues::arm_wake(Entry& entry) {
    io_uring_sqe* sqe = next_sqe(entry.ring);
    io_uring_prep_read(sqe, entry.wake_fd, &entry.wake_count, sizeof entry.wake_count, 0);
    io_uring_sqe_set_data64(sqe, kWakeTag);
}

bool UringQueues::take_request(Entry& entry, UringRequest& request) {
    fuse_in_header in{};
    std::memcpy(&in, entry.header->in_out, sizeof in);
    const uring_abi::EntryInOut ring = entry.header->ring_ent_in_out;
    // The first argument's size is what the request's length leaves for it.
    const size_t payload = ring.payload_sz;
    if (in.len < sizeof in + payload || in.len - sizeof in - payload > uring_abi::kOpInOutSize ||
        payload > entry.buffers[1].iov_len || ring.commit_id != in.unique || in.unique == 0) {
        spdlog::error("FUSE io_uring: a malformed request (opcode {}, length {}, payload {})",
                      in.opcode, in.len, payload);
        fill_error(entry, ring.commit_id, EIO);
        io_uring_sqe* sqe = next_sqe(entry.ring);
        prepare_command(sqe, fuse_fd_, uring_abi::kCommitAndFetch, entry.qid, ring.commit_id);
        return false;
    }
    const size_t first_argument = in.len - sizeof in - payload;
    char* start = entry.payload - sizeof in - first_argument;
    std::memcpy(start, &in, sizeof in);
    std::memcpy(start + sizeof in, entry.header->op_in, first_argument);

    if (in.opcode == FUSE_RELEASE && first_argument >= sizeof(fuse_release_in)) {
        fuse_release_in release{};
        std::memcpy(&release, entry.header->op_in, sizeof release);
        if (release.fh != 0) on_release_(release.fh);
    }
    {
        std::lock_guard lock(entry.mutex);
        entry.serving = in.unique;
        entry.replied = false;
    }
    entry.busy.store(true);
    ++requests_served_;
    // The last idle entry of its queue is now busy: one more, so that the queue's next request
    // does not wait for this one (which may be a lock wait that lasts).
    if (--idle_in_queue_[entry.qid] == 0 && !stopping_.load()) {
        try {
            if (!add_entry(entry.qid) && !warned_full_.exchange(true))
                spdlog::warn(
                    "FUSE io_uring: queue {} has {} entries, all busy; requests from "
                    "its CPU wait for one",
                    entry.qid, kMaxEntriesPerQueue);
        } catch (const Error& error) {
            spdlog::warn("{}; requests from the CPU of queue {} wait for a busy entry",
                         error.what(), entry.qid);
        }
    }
    request = UringRequest{start, in.len};
    return true;
}

void UringQueues::serve_and_commit(Entry& entry, UringRequest request) {
    current_entry = &entry;
    serve_(request);
    current_entry = nullptr;
    uint64_t unique = 0;
    {
        // A reply may come later from another thread (a lock granted after a wait).
        std::unique_lock lock(entry.mutex);
        entry.replied_changed.wait(lock, [&] { return entry.replied || stopping_.load(); });
        if (!entry.replied) return;  // stopping: the kernel ends the request with the connection
        unique = entry.serving;
        entry.serving = 0;
    }
    entry.busy.store(false);
    ++idle_in_queue_[entry.qid];
    io_uring_sqe* sqe = next_sqe(entry.ring);
    prepare_command(sqe, fuse_fd_, uring_abi::kCommitAndFetch, entry.qid, unique);
}

bool UringQueues::reply(const iovec* iov, int count) {
    if (count < 1 || iov[0].iov_len < sizeof(fuse_out_header)) return false;
    fuse_out_header out{};
    std::memcpy(&out, iov[0].iov_base, sizeof out);
    if (out.unique == 0) return false;  // a notification
    Entry* entry = nullptr;
    if (auto* mine = static_cast<Entry*>(current_entry)) {
        std::lock_guard lock(mine->mutex);
        if (mine->serving == out.unique && !mine->replied) entry = mine;
    }
    const size_t entries = entry_count_.load();
    for (size_t i = 0; entry == nullptr && i < entries; ++i) {
        std::lock_guard lock(entries_[i]->mutex);
        if (entries_[i]->serving == out.unique && !entries_[i]->replied) entry = entries_[i].get();
    }
    if (entry == nullptr) return false;

    size_t size = 0;
    for (int i = 1; i < count; ++i) size += iov[i].iov_len;
    if (size > entry->buffers[1].iov_len) {
        spdlog::error("FUSE io_uring: a reply of {} bytes does not fit the {} of an entry", size,
                      entry->buffers[1].iov_len);
        fill_error(*entry, out.unique, EIO);
    } else {
        char* to = entry->payload;
        for (int i = 1; i < count; ++i) {
            std::memcpy(to, iov[i].iov_base, iov[i].iov_len);
            to += iov[i].iov_len;
        }
        out.len = static_cast<uint32_t>(sizeof out + size);
        std::memcpy(entry->header->in_out, &out, sizeof out);
        entry->header->ring_ent_in_out.payload_sz = static_cast<uint32_t>(size);
    }
    {
        std::lock_guard lock(entry->mutex);
        entry->replied = true;
    }
    entry->replied_changed.notify_all();
    return true;
}

void UringQueues::fill_error(Entry& entry, uint64_t unique, int error) {
    fuse_out_header out{};
    out.len = sizeof out;
    out.error = -error;
    out.unique = unique;
    std::memcpy(entry.header->in_out, &out, sizeof out);
    entry.header->ring_ent_in_out.payload_sz = 0;
}

void UringQueues::wake(Entry& entry) {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(entry.wake_fd, &one, sizeof one);
}

void UringQueues::settle() {
    const uint64_t wanted = settle_requested_.fetch_add(1) + 1;
    std::vector<Entry*> waited;
    const size_t count = entry_count_.load();
    for (size_t i = 0; i < count; ++i) {
        Entry* entry = entries_[i].get();
        // Busy: it took its request (and announced it) before serving; nothing is pending.
        if (entry == current_entry || entry->busy.load()) continue;
        waited.push_back(entry);
        wake(*entry);
    }
    std::unique_lock lock(settle_mutex_);
    settle_done_.wait(lock, [&] {
        if (stopping_.load()) return true;
        for (Entry* entry : waited)
            if (entry->settled.load() < wanted && !entry->busy.load()) return false;
        return true;
    });
}

}  // namespace nfsfuse::fusefs
