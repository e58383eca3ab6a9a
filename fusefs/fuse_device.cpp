#include "fusefs/fuse_device.h"

#include <linux/fuse.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "fusefs/fuse_adapter.h"
#include "fusefs/fuse_uring_abi.h"
#include "util/error.h"

namespace nfsfuse::fusefs {
namespace {

constexpr size_t kPageSize = 4096;
constexpr size_t kDefaultMaxPages = 32;  // FUSE_DEFAULT_MAX_PAGES_PER_REQ without FUSE_MAX_PAGES

// Outside the RequestLoop (a notification sent while exiting) there is no device: the plain fd.
ssize_t device_read(int fd, void* buffer, size_t size, void* userdata) {
    FuseDevice* device = static_cast<FuseAdapter*>(userdata)->device();
    return device != nullptr ? device->read(buffer, size) : ::read(fd, buffer, size);
}

ssize_t device_writev(int fd, iovec* iov, int count, void* userdata) {
    FuseDevice* device = static_cast<FuseAdapter*>(userdata)->device();
    return device != nullptr ? device->writev(iov, count) : ::writev(fd, iov, count);
}

// The payload buffer the kernel asks of each entry: room for its largest request or reply
// (fuse_uring_create: max(FUSE_MIN_READ_BUFFER, max_write, max_pages * PAGE_SIZE)).
size_t payload_size(const fuse_init_out& init) {
    const size_t max_write = std::max<size_t>(4096, init.max_write);
    const size_t max_pages =
        (init.flags & FUSE_MAX_PAGES) != 0 ? std::max<size_t>(1, init.max_pages) : kDefaultMaxPages;
    return std::max({uring_abi::kMinPayload, max_write, max_pages * kPageSize});
}

}  // namespace

FuseDevice::FuseDevice(int fuse_fd, Settings settings, UringQueues::Serve serve,
                       UringQueues::ReleaseObserver on_release)
    : fuse_fd_(fuse_fd),
      settings_(settings),
      serve_(std::move(serve)),
      on_release_(std::move(on_release)) {}

FuseDevice::~FuseDevice() {
    stop();
}

const fuse_custom_io& FuseDevice::io() {
    static const fuse_custom_io io{.writev = device_writev,
                                   .read = device_read,
                                   .splice_receive = nullptr,
                                   .splice_send = nullptr};
    return io;
}

ssize_t FuseDevice::read(void* buffer, size_t size) {
    const ssize_t received = ::read(fuse_fd_, buffer, size);
    if (received > 0) {
        ++device_requests_;
        note_init_request(buffer, static_cast<size_t>(received));
    }
    return received;
}

void FuseDevice::note_init_request(const void* buffer, size_t size) {
    if (size < sizeof(fuse_in_header)) return;
    fuse_in_header in{};
    std::memcpy(&in, buffer, sizeof in);
    if (in.opcode != FUSE_INIT) return;
    fuse_init_in init{};
    std::memcpy(&init, static_cast<const char*>(buffer) + sizeof in,
                std::min(sizeof init, size - sizeof in));
    std::lock_guard lock(init_mutex_);
    init_unique_ = in.unique;
    kernel_init_flags_ = init.flags;
    kernel_offers_uring_ =
        (init.flags & FUSE_INIT_EXT) != 0 && (init.flags2 & uring_abi::kOverIoUringFlags2) != 0;
}

ssize_t FuseDevice::writev(const iovec* iov, int count) {
    if (uring_started_.load() && queues_->reply(iov, count)) {
        size_t total = 0;
        for (int i = 0; i < count; ++i) total += iov[i].iov_len;
        return static_cast<ssize_t>(total);
    }
    if (count >= 2 && iov[0].iov_len >= sizeof(fuse_out_header)) {
        fuse_out_header out{};
        std::memcpy(&out, iov[0].iov_base, sizeof out);
        bool is_init_reply = false;
        {
            std::lock_guard lock(init_mutex_);
            is_init_reply = init_unique_ != 0 && out.unique == init_unique_;
        }
        if (is_init_reply && out.error == 0) return reply_to_init(iov, count);
    }
    return ::writev(fuse_fd_, iov, count);
}

ssize_t FuseDevice::reply_to_init(const iovec* iov, int count) {
    std::lock_guard lock(init_mutex_);
    init_unique_ = 0;
    fuse_init_out init{};
    std::memcpy(&init, iov[1].iov_base, std::min(sizeof init, iov[1].iov_len));
    // libfuse 3.14 answers with flags2 whenever the kernel sent FUSE_INIT_EXT (which it does
    // when it offers io_uring); a shorter reply (an old protocol) cannot carry the flag.
    std::string reason;  // why /dev/fuse, when it is
    const bool reply_has_flags2 =
        iov[1].iov_len >= sizeof init && (init.flags & FUSE_INIT_EXT) != 0;
    if (!settings_.io_uring_allowed) {
        reason = "io_uring=off";
    } else if (!kernel_offers_uring_) {
        reason =
            "the kernel does not offer FUSE over io_uring (Linux 6.14 or later, with "
            "/sys/module/fuse/parameters/enable_uring set to Y)";
    } else if (!reply_has_flags2) {
        reason = "the INIT reply has no flags2";
    } else {
        try {
            UringQueues::Settings ring;
            ring.queues = uring_queue_count();
            ring.depth = std::max<size_t>(2, settings_.max_entries / ring.queues);
            ring.payload_size = payload_size(init);
            queues_ = std::make_unique<UringQueues>(fuse_fd_, ring);
        } catch (const Error& error) {
            reason = std::string("io_uring cannot be set up: ") + error.what();
        }
    }
    // FUSE_HANDLE_KILLPRIV_V2 (libfuse 3.14 does not know it): the filesystem, not the kernel,
    // clears setuid and setgid bits on write, truncate and chown. The server does on a WRITE
    // (made as the writer, as for the kernel NFS client, which never clears them itself) and on
    // a chown; the kernel flags the SETATTR of a truncate or chown that must clear them, and
    // Filesystem::setattr clears what the server kept. The flag also marks the superblock
    // SB_NOSEC: the kernel stops asking for security.capability (a GETXATTR round trip) before
    // every write(2) of a file without those bits.
    if ((kernel_init_flags_ & FUSE_HANDLE_KILLPRIV_V2) != 0) init.flags |= FUSE_HANDLE_KILLPRIV_V2;
    if (queues_) init.flags2 |= uring_abi::kOverIoUringFlags2;
    // libfuse's reply with our flags; its length stays what the header says.
    std::string body(static_cast<const char*>(iov[1].iov_base), iov[1].iov_len);
    std::memcpy(body.data(), &init, std::min(sizeof init, body.size()));
    std::vector<iovec> patched(iov, iov + count);
    patched[1] = {body.data(), body.size()};
    if (!queues_) {
        spdlog::info("FUSE requests come through /dev/fuse: {}", reason);
        return ::writev(fuse_fd_, patched.data(), count);
    }
    const ssize_t written = ::writev(fuse_fd_, patched.data(), count);
    if (written < 0) {
        const int error = errno;
        queues_.reset();
        errno = error;
        return written;
    }
    // The kernel took the reply (INIT is handled within the write): it now waits for every
    // queue to have an entry, and fails the registration (falling back to /dev/fuse) if it
    // cannot use them.
    // Replies may come as soon as the entries are registered: mark the transport first.
    uring_started_.store(true);
    queues_->start(serve_, on_release_);
    spdlog::info(
        "FUSE requests come over io_uring: {} queues of {} entries of {} KiB, a thread each",
        queues_->settings().queues, queues_->settings().depth,
        queues_->settings().payload_size / 1024);
    return written;
}

void FuseDevice::settle() {
    if (uring_started_.load()) queues_->settle();
}

void FuseDevice::stop() {
    if (queues_) queues_->stop();
}

std::string FuseDevice::transport_text() const {
    std::string text;
    if (uring_started_.load()) {
        const auto& ring = queues_->settings();
        text = "transport io_uring\nqueues " + std::to_string(ring.queues) + "\ndepth " +
               std::to_string(ring.depth) + "\n";
    } else {
        text = "transport /dev/fuse\n";
    }
    text += "io_uring_requests " +
            std::to_string(uring_started_.load() ? queues_->requests_served() : 0) + "\n";
    text += "dev_fuse_requests " + std::to_string(device_requests_.load()) + "\n";
    return text;
}

}  // namespace nfsfuse::fusefs
