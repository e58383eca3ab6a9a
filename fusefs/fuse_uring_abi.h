// The kernel's FUSE-over-io_uring interface (uapi/linux/fuse.h, protocol 7.42, Linux 6.14+), which
// Debian 12's kernel headers (6.1) and libfuse 3.14 predate. Layouts are the kernel's ABI; the
// static_asserts check the sizes it depends on.
#pragma once

#include <linux/fuse.h>

#include <cstddef>
#include <cstdint>

namespace nfsfuse::fusefs::uring_abi {

// INIT flag (bit 41, so in flags2 of fuse_init_in/fuse_init_out): the kernel offers requests over
// io_uring (only while /sys/module/fuse/parameters/enable_uring is Y); the daemon takes them.
inline constexpr uint64_t kOverIoUring = uint64_t{1} << 41;
inline constexpr uint32_t kOverIoUringFlags2 = static_cast<uint32_t>(kOverIoUring >> 32);
// fuse_init_in and fuse_init_out carry flags2 (and FUSE_INIT_EXT says so) from protocol 7.36,
// which Debian 12's headers have.
static_assert(sizeof(fuse_init_out) == 64 && offsetof(fuse_init_out, flags2) == 32);

inline constexpr size_t kInOutHeaderSize = 128;  // FUSE_URING_IN_OUT_HEADER_SZ
inline constexpr size_t kOpInOutSize = 128;      // FUSE_URING_OP_IN_OUT_SZ

// struct fuse_uring_ent_in_out.
struct EntryInOut {
    uint64_t flags;
    uint64_t commit_id;   // the request's unique: names it in the commit
    uint32_t payload_sz;  // bytes of the payload buffer in use, each way
    uint32_t padding;
    uint64_t reserved;
};

// struct fuse_uring_req_header: the first of an entry's two buffers (iov[0]); the payload (the
// request's arguments after the first, or the reply's arguments) is the second.
struct RequestHeader {
    char in_out[kInOutHeaderSize];  // fuse_in_header, or our fuse_out_header
    char op_in[kOpInOutSize];       // the request's first argument (fuse_read_in, ...)
    EntryInOut ring_ent_in_out;
};
static_assert(sizeof(EntryInOut) == 32 && sizeof(RequestHeader) == 288);

// IORING_OP_URING_CMD command codes for /dev/fuse.
enum Command : uint32_t {
    kRegister = 1,        // FUSE_IO_URING_CMD_REGISTER: hand an entry to the kernel
    kCommitAndFetch = 2,  // FUSE_IO_URING_CMD_COMMIT_AND_FETCH: reply, then take the next one
};

// struct fuse_uring_cmd_req, in the command area of a 128-byte SQE.
struct CommandRequest {
    uint64_t flags;
    uint64_t commit_id;
    uint16_t qid;
    uint8_t padding[6];
};
static_assert(sizeof(CommandRequest) == 24);

// The kernel's smallest payload buffer (FUSE_MIN_READ_BUFFER).
inline constexpr size_t kMinPayload = 8192;

}  // namespace nfsfuse::fusefs::uring_abi
