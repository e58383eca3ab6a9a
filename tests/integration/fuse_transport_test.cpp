// How FUSE requests reach nfsfuse (issue 16): over io_uring when the kernel offers it and the
// mount allows it, otherwise through /dev/fuse; the filesystem is the same either way, and the
// log and user.nfsfuse.transport say which transport runs. The rest of the suite runs over both
// (harness/fuse_transport.h): NFSv4.1 over io_uring, NFSv3 over /dev/fuse.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "harness/file_data.h"
#include "harness/fuse_transport.h"
#include "harness/mounted_test.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

constexpr const char* kEnableParameter = "/sys/module/fuse/parameters/enable_uring";

// Writes `size` bytes of a pattern through the mount in 1 MiB writes, syncs, and reads them
// back through the mount and on the server's disk.
void expect_round_trip(const std::string& through_mount, const std::string& on_server,
                       size_t size) {
    std::string data(size, '\0');
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 7 + i / 4096) & 0xff);
    {
        UniqueFd fd = open_or_throw(through_mount, O_CREAT | O_TRUNC | O_WRONLY, 0644);
        for (size_t offset = 0; offset < size; offset += 1024 * 1024)
            pwrite_all(fd.get(), data.substr(offset, 1024 * 1024), static_cast<off_t>(offset));
        ASSERT_EQ(::fsync(fd.get()), 0) << errno_text(errno);
    }
    EXPECT_TRUE(read_file(through_mount) == data) << "read back through the mount";
    EXPECT_TRUE(read_file(on_server) == data) << "on the server's disk";
}

class FuseTransportTest : public ServerTest {};

TEST_F(FuseTransportTest, RequestsComeOverIoUringWhenTheKernelOffersIt) {
    if (!kernel_offers_fuse_io_uring())
        GTEST_SKIP() << "this kernel does not offer FUSE over io_uring (" << kEnableParameter
                     << ")";
    auto mounted = mount_export({"io_uring=auto"});
    const std::string name = "over-uring.bin";
    expect_round_trip((mounted->path() / work_name() / name).string(), srv(name).string(),
                      8 * 1024 * 1024);

    const std::string text = fuse_transport_text(mounted->path().string());
    EXPECT_NE(text.find("transport io_uring"), std::string::npos) << text;
    // 8 writes of 1 MiB at least, and the opens, lookups and reads: over the rings. INIT (and
    // FORGETs, INTERRUPTs) always take /dev/fuse.
    EXPECT_GE(fuse_transport_count(text, "io_uring_requests"), 16) << text;
    EXPECT_GE(fuse_transport_count(text, "queues"), 1) << text;
    EXPECT_LT(fuse_transport_count(text, "dev_fuse_requests"),
              fuse_transport_count(text, "io_uring_requests"))
        << text;
    EXPECT_NE(mounted->log().find("FUSE requests come over io_uring"), std::string::npos)
        << mounted->log();
}

TEST_F(FuseTransportTest, IoUringOffKeepsEveryRequestOnDevFuse) {
    auto mounted = mount_export({"io_uring=off"});
    const std::string name = "through-dev-fuse.bin";
    expect_round_trip((mounted->path() / work_name() / name).string(), srv(name).string(),
                      4 * 1024 * 1024);

    const std::string text = fuse_transport_text(mounted->path().string());
    EXPECT_NE(text.find("transport /dev/fuse"), std::string::npos) << text;
    EXPECT_EQ(fuse_transport_count(text, "io_uring_requests"), 0) << text;
    EXPECT_GE(fuse_transport_count(text, "dev_fuse_requests"), 8) << text;
    EXPECT_NE(mounted->log().find("FUSE requests come through /dev/fuse: io_uring=off"),
              std::string::npos)
        << mounted->log();
}

// Sets the kernel's enable_uring for its lifetime, then puts the old value back. The parameter
// is the whole host's: tests that change it run alone (RUN_SERIAL, see CMakeLists.txt).
class KernelUringParameter {
  public:
    explicit KernelUringParameter(const std::string& value) {
        std::ifstream(kEnableParameter) >> before_;
        write(value);
    }
    ~KernelUringParameter() { write(before_); }
    KernelUringParameter(const KernelUringParameter&) = delete;
    KernelUringParameter& operator=(const KernelUringParameter&) = delete;

  private:
    static void write(const std::string& value) { std::ofstream(kEnableParameter) << value; }
    std::string before_;
};

class FuseTransportSerialTest : public ServerTest {};

TEST_F(FuseTransportSerialTest, AKernelThatDoesNotOfferIoUringIsServedThroughDevFuse) {
    if (::access(kEnableParameter, W_OK) != 0)
        GTEST_SKIP() << "this kernel has no FUSE over io_uring: every other test is this case";
    const KernelUringParameter off("N");
    auto mounted = mount_export({"io_uring=auto"});
    const std::string name = "not-offered.bin";
    expect_round_trip((mounted->path() / work_name() / name).string(), srv(name).string(),
                      2 * 1024 * 1024);

    const std::string text = fuse_transport_text(mounted->path().string());
    EXPECT_NE(text.find("transport /dev/fuse"), std::string::npos) << text;
    EXPECT_EQ(fuse_transport_count(text, "io_uring_requests"), 0) << text;
    EXPECT_NE(mounted->log().find("the kernel does not offer FUSE over io_uring"),
              std::string::npos)
        << mounted->log();
}

}  // namespace
}  // namespace nfsfuse::it
