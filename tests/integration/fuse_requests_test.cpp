// What a write(2) costs in FUSE requests: one WRITE, as with the kernel NFS client's one call
// into its page cache. The kernel used to ask for security.capability (a GETXATTR round trip)
// before every write of every file, since it cannot know that an NFS file has none; nfsfuse's
// INIT reply says that the filesystem clears setuid and setgid bits (FUSE_HANDLE_KILLPRIV_V2,
// fusefs/fuse_device.cpp), so the kernel asks once per file and remembers. IdentityTest's
// ...ClearsSetuidAndSetgid tests check that the bits are still cleared.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "harness/file_data.h"
#include "harness/fuse_transport.h"
#include "harness/mounted_test.h"

namespace nfsfuse::it {
namespace {

// FUSE requests the mount has had so far, over either transport (the GETXATTR that asks
// included).
long long fuse_requests(const std::filesystem::path& mountpoint) {
    const std::string text = fuse_transport_text(mountpoint.string());
    return fuse_transport_count(text, "io_uring_requests") +
           fuse_transport_count(text, "dev_fuse_requests");
}

class FuseRequestsTest : public MountedTest {};

TEST_F(FuseRequestsTest, EachWriteOfAFileIsOneRequest) {
    constexpr size_t kWrites = 16;
    constexpr size_t kSize = 1024 * 1024;
    // Page-aligned: a 1 MiB buffer that spans 257 pages goes in two WRITEs (max_pages is 256).
    const std::unique_ptr<char, decltype(&std::free)> buffer(
        static_cast<char*>(std::aligned_alloc(4096, kSize)), &std::free);
    ASSERT_NE(buffer, nullptr);
    std::memset(buffer.get(), 'w', kSize);
    const std::string_view data(buffer.get(), kSize);

    UniqueFd fd = open_or_throw(mnt("written"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
    // The file's first write may still ask (the kernel remembers the answer per file).
    pwrite_all(fd.get(), data, 0);
    const long long before = fuse_requests(mount().path());
    for (size_t i = 1; i <= kWrites; ++i) pwrite_all(fd.get(), data, static_cast<off_t>(i * kSize));
    const long long after = fuse_requests(mount().path());
    // The WRITEs and the GETXATTR of the second count; one more for anything the kernel may
    // send meanwhile. A GETXATTR before each WRITE made it 2 * kWrites + 1.
    EXPECT_LE(after - before, static_cast<long long>(kWrites) + 2);
    EXPECT_GE(after - before, static_cast<long long>(kWrites) + 1);
}

}  // namespace
}  // namespace nfsfuse::it
