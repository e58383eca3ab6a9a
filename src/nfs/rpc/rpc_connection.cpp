#include "nfs/rpc/rpc_connection.h"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

using Clock = std::chrono::steady_clock;

// How long a waiting caller sleeps before it looks at its CallContext and deadline again.
constexpr auto kWaitSlice = std::chrono::milliseconds(100);
// Records beyond this are refused: the largest we ask for is a 512 KiB READ plus headers.
constexpr size_t kMaxRecord = 4 * 1024 * 1024;
constexpr uint32_t kLastFragment = 0x80000000U;
// recv calls one reader makes in a turn before it lets the others look at their replies.
constexpr int kMaxReceivesPerTurn = 64;

std::string errno_text(int error) {
    return std::strerror(error);
}

// Connects a non-blocking TCP socket within `timeout`; returns it or throws.
int connect_tcp(const std::string& host, uint16_t port, std::chrono::milliseconds timeout,
                const TcpLiveness& liveness) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string where = host + ":" + std::to_string(port);
    const int resolved = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
    if (resolved != 0)
        throw Error(EHOSTUNREACH, "cannot resolve " + host + ": " + gai_strerror(resolved));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
    int last_error = ECONNREFUSED;
    for (const addrinfo* address = found; address; address = address->ai_next) {
        const int fd = socket(address->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            last_error = errno;
            continue;
        }
        if (connect(fd, address->ai_addr, address->ai_addrlen) != 0 && errno != EINPROGRESS) {
            last_error = errno;
            close(fd);
            continue;
        }
        pollfd ready{fd, POLLOUT, 0};
        int error = poll(&ready, 1, static_cast<int>(timeout.count())) == 1 ? 0 : ETIMEDOUT;
        socklen_t length = sizeof error;
        if (error == 0) getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) {
            last_error = error;
            close(fd);
            continue;
        }
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (const int failed = apply_tcp_liveness(fd, liveness))
            spdlog::warn("{}: no TCP keepalive on the connection: {}", where, errno_text(failed));
        return fd;
    }
    throw Error(last_error, "cannot connect to " + where + ": " + errno_text(last_error));
}

// Writes all of `pieces`, in order, in as few sendmsg calls as the socket allows, waiting while it
// is full. Pieces: the RPC header goes out in front of the arguments, and a WRITE's data behind
// them, without copying the arguments or the data (1 MiB) behind the header first. Returns 0 or
// the errno.
template <size_t N>
int send_all(int fd, std::array<std::string_view, N> pieces) {
    size_t first = 0;  // the first piece not sent completely
    while (true) {
        while (first < N && pieces[first].empty()) ++first;
        if (first == N) return 0;
        std::array<iovec, N> vector{};
        size_t count = 0;
        for (size_t i = first; i < N; ++i) {
            if (pieces[i].empty()) continue;
            vector[count++] = {const_cast<char*>(pieces[i].data()), pieces[i].size()};  // read
        }
        msghdr message{};
        message.msg_iov = vector.data();
        message.msg_iovlen = count;
        const ssize_t sent = sendmsg(fd, &message, MSG_NOSIGNAL);
        if (sent > 0) {
            auto left = static_cast<size_t>(sent);
            for (size_t i = first; i < N && left > 0; ++i) {
                const size_t from_this = std::min(pieces[i].size(), left);
                pieces[i].remove_prefix(from_this);
                left -= from_this;
            }
        } else if (sent < 0 && (errno == EAGAIN || errno == EINTR)) {
            pollfd writable{fd, POLLOUT, 0};
            poll(&writable, 1, static_cast<int>(kWaitSlice.count()));
        } else {
            return sent < 0 ? errno : EPIPE;
        }
    }
}

}  // namespace

std::string SplicedArguments::joined() const {
    std::string all;
    all.reserve(head.size() + payload.size() + tail.size());
    all.append(head).append(payload).append(tail);
    return all;
}

void RecordBuffer::grow(size_t size) {
    if (size > capacity_) {
        const size_t capacity = std::max(size, capacity_ * 2);
        std::unique_ptr<char[]> bigger(new char[capacity]);  // uninitialised on purpose
        if (size_ > 0) std::memcpy(bigger.get(), bytes_.get(), size_);
        bytes_ = std::move(bigger);
        capacity_ = capacity;
    }
    size_ = size;
}

struct RpcConnection::Pending {
    bool done = false;
    RecordBuffer reply;  // the whole record
    int error = 0;       // with `message`, when the connection broke
    std::string message;
};

RpcConnection::RpcConnection(RpcSettings settings)
    : settings_(std::move(settings)), next_xid_(std::random_device{}()) {
    std::lock_guard lock(mutex_);
    connect_locked();
}

RpcConnection::~RpcConnection() {
    if (fd_ >= 0) close(fd_);
}

uint64_t RpcConnection::connections_made() const {
    std::lock_guard lock(mutex_);
    return connections_made_;
}

void RpcConnection::connect_locked() {
    fd_ =
        connect_tcp(settings_.host, settings_.port, settings_.connect_timeout, settings_.liveness);
    ++connections_made_;
    header_bytes_ = 0;
    record_ = RecordBuffer{};
    fragment_left_ = 0;
    last_fragment_ = false;
}

void RpcConnection::break_locked(const std::string& why) {
    if (fd_ >= 0) {
        // A reader may be polling it right now: shutdown wakes it; it closes what it held.
        shutdown(fd_, SHUT_RDWR);
        if (!reader_active_) close(fd_);
        fd_ = -1;
    }
    for (auto& [xid, pending] : pending_) {
        pending->done = true;
        pending->error = ECONNRESET;
        pending->message = "connection to " + settings_.host + " lost (" + why + ")";
    }
    pending_.clear();
    replies_.notify_all();
}

void RpcConnection::dispatch_locked(RecordBuffer record) {
    uint32_t xid = 0;
    try {
        xid = reply_xid(record.view());
    } catch (const Error& error) {
        break_locked(error.what());
        return;
    }
    const auto found = pending_.find(xid);
    if (found == pending_.end()) return;  // its caller gave up (timeout, interrupt)
    found->second->done = true;
    found->second->reply = std::move(record);
    pending_.erase(found);
}

void RpcConnection::read_some(Lock& lock, std::chrono::milliseconds wait) {
    const int fd = fd_;
    reader_active_ = true;
    lock.unlock();
    pollfd readable{fd, POLLIN, 0};
    std::vector<RecordBuffer> complete;
    std::string failure;
    if (poll(&readable, 1, static_cast<int>(wait.count())) == 1) failure = receive(fd, complete);
    lock.lock();
    reader_active_ = false;
    if (fd_ != fd) {  // broken by a sender meanwhile: the socket is ours to close
        close(fd);
        replies_.notify_all();
        return;
    }
    for (RecordBuffer& record : complete) dispatch_locked(std::move(record));
    if (!failure.empty() && fd_ == fd) break_locked(failure);  // wakes everyone itself
    // Only a finished reply is news for the waiting callers (and lets one of them take over
    // reading when it was ours): a 512 KiB reply arrives in many pieces, and waking every caller
    // for each costs two context switches apiece on a machine with few cores.
    if (!complete.empty()) replies_.notify_all();
}

std::string RpcConnection::receive(int fd, std::vector<RecordBuffer>& complete) {
    for (int round = 0; round < kMaxReceivesPerTurn; ++round) {
        const bool want_header = fragment_left_ == 0;
        char* into = want_header ? fragment_header_ + header_bytes_
                                 : record_.data() + record_.size() - fragment_left_;
        const size_t want = want_header ? sizeof fragment_header_ - header_bytes_ : fragment_left_;
        const ssize_t got = recv(fd, into, want, MSG_DONTWAIT);
        if (got == 0) return "the server closed it";
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return "";
            return errno_text(errno);
        }
        if (want_header) {
            header_bytes_ += static_cast<size_t>(got);
            if (header_bytes_ < sizeof fragment_header_) continue;
            header_bytes_ = 0;
            const auto byte = [&](size_t i) {
                return static_cast<uint32_t>(static_cast<uint8_t>(fragment_header_[i]));
            };
            const uint32_t header = byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
            const size_t length = header & ~kLastFragment;
            last_fragment_ = (header & kLastFragment) != 0;
            if (record_.size() + length > kMaxRecord)
                return "a reply of more than " + std::to_string(kMaxRecord) + " bytes";
            record_.grow(record_.size() + length);  // the fragment is read into place
            fragment_left_ = length;
            if (length > 0) continue;
        } else {
            fragment_left_ -= static_cast<size_t>(got);
            if (fragment_left_ > 0) continue;
        }
        if (last_fragment_) {
            complete.push_back(std::move(record_));
            record_ = RecordBuffer{};
            last_fragment_ = false;
            // A whole reply is news for its caller now. Reading on would mostly find the socket
            // empty: one more recv per call (of six system calls for a 4 KiB READ); what else
            // arrived is still there for the next poll, which then returns at once.
            return "";
        }
    }
    return "";
}

uint32_t RpcConnection::take_xid() {
    std::lock_guard lock(mutex_);
    return next_xid_++;
}

RpcReply RpcConnection::call(const CallContext& context, uint32_t procedure,
                             std::string_view arguments, std::chrono::milliseconds timeout) {
    return call(context, take_xid(), procedure, arguments, timeout);
}

RpcReply RpcConnection::call(const CallContext& context, uint32_t xid, uint32_t procedure,
                             std::string_view arguments, std::chrono::milliseconds timeout) {
    return call(context, xid, procedure, arguments, {}, timeout);
}

RpcReply RpcConnection::call(const CallContext& context, uint32_t procedure,
                             const SplicedArguments& arguments, std::chrono::milliseconds timeout) {
    return call_with(context, take_xid(), procedure, arguments, timeout);
}

RpcReply RpcConnection::call(const CallContext& context, uint32_t xid, uint32_t procedure,
                             std::string_view arguments, std::string_view payload,
                             std::chrono::milliseconds timeout) {
    static constexpr char kZeros[4] = {};
    const std::string_view padding(kZeros, xdr_padding(payload.size()));
    return call_with(context, xid, procedure, {arguments, payload, padding}, timeout);
}

RpcReply RpcConnection::call_with(const CallContext& context, uint32_t xid, uint32_t procedure,
                                  const SplicedArguments& arguments,
                                  std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    const bool bounded = timeout.count() > 0;
    auto pending = std::make_shared<Pending>();
    {
        std::lock_guard send_lock(send_mutex_);
        Lock lock(mutex_);
        if (fd_ < 0) {
            // The old connection's reader must be gone before the receive state is reset.
            replies_.wait(lock, [this] { return !reader_active_; });
            connect_locked();
        }
        pending_[xid] = pending;
        const int fd = fd_;
        XdrEncoder message;
        message.u32(0);  // the record mark, filled in below
        const Credentials& who =
            context.credentials() ? *context.credentials() : settings_.credentials.credentials;
        encode_call_header(message, {xid, settings_.program, settings_.version, procedure},
                           settings_.credentials, who);
        std::string header = message.take();
        const auto length = static_cast<uint32_t>(header.size() - 4 + arguments.head.size() +
                                                  arguments.payload.size() + arguments.tail.size());
        const uint32_t mark = kLastFragment | length;
        for (int i = 0; i < 4; ++i)
            header[static_cast<size_t>(i)] = static_cast<char>(mark >> (24 - 8 * i));
        lock.unlock();
        const int error =
            send_all<4>(fd, {header, arguments.head, arguments.payload, arguments.tail});
        lock.lock();
        if (error != 0 && fd_ == fd) break_locked("sending failed: " + errno_text(error));
    }

    Lock lock(mutex_);
    while (!pending->done) {
        const auto now = Clock::now();
        if (context.cancelled() || (bounded && now >= deadline)) {
            pending_.erase(xid);    // a late reply is dropped
            replies_.notify_all();  // if we were reading, another caller takes over now
            if (context.cancelled()) throw Error(EINTR, "interrupted");
            throw Error(ETIMEDOUT, "no reply from " + settings_.host);
        }
        const auto slice =
            bounded ? std::min<std::chrono::milliseconds>(
                          kWaitSlice,
                          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
                              std::chrono::milliseconds(1))
                    : kWaitSlice;
        if (!reader_active_ && fd_ >= 0)
            read_some(lock, slice);
        else
            replies_.wait_for(lock, slice);
    }
    if (pending->error != 0) throw Error(pending->error, pending->message);
    XdrDecoder in(pending->reply.view());
    decode_reply_header(in);
    const size_t results_offset = in.position();
    return RpcReply{std::move(pending->reply), results_offset};
}

}  // namespace nfsfuse::nfs
