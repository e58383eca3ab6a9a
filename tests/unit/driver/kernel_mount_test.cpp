// The exact mount(2) arguments the driver passes to the kernel's NFS client for each kind of
// volume, the checks on the resolved server address, and the messages of failed kernel mounts.
#include "driver/kernel_mount.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "util/error.h"

namespace nfsfuse::driver {
namespace {

struct NamedByIndex {
    template <typename Param>
    std::string operator()(const ::testing::TestParamInfo<Param>& param_info) const {
        return "Case" + std::to_string(param_info.index);
    }
};

constexpr char kTarget[] = "/var/lib/nfsfuse/volumes/vol/_data";
// Every kernel mount, like every FUSE mount: a share never brings set-user-ID programs or device
// nodes onto the host.
constexpr unsigned long kNosuidNodev = MS_NOSUID | MS_NODEV;

struct MountCase {
    std::map<std::string, std::string> options;
    std::string server_address;
    std::string source;
    std::string filesystem_type;
    unsigned long flags;
    std::string data;
};

class KernelMountArgumentsTest : public ::testing::TestWithParam<MountCase> {};

TEST_P(KernelMountArgumentsTest, AreExact) {
    const MountCase& expected = GetParam();
    const VolumeSpec spec = parse_volume_options(expected.options, MountMode::kernel);
    const KernelMountArguments arguments =
        build_kernel_mount(spec, expected.server_address, kTarget);
    EXPECT_EQ(arguments.source, expected.source);
    EXPECT_EQ(arguments.target, kTarget);
    EXPECT_EQ(arguments.filesystem_type, expected.filesystem_type);
    EXPECT_EQ(arguments.flags, expected.flags);
    EXPECT_EQ(arguments.data, expected.data);
}

INSTANTIATE_TEST_SUITE_P(
    KernelMount, KernelMountArgumentsTest,
    ::testing::Values(
        // NFSv4.1, the default.
        MountCase{{{"server", "10.0.0.5"}, {"path", "/exports/data"}},
                  "10.0.0.5",
                  "10.0.0.5:/exports/data",
                  "nfs4",
                  kNosuidNodev,
                  "addr=10.0.0.5,vers=4.1,proto=tcp,soft"},
        // A host name stays in the source; addr= is the resolved address.
        MountCase{{{"share", "nfs.example.com:/exports/data"}, {"vers", "4"}},
                  "192.0.2.7",
                  "nfs.example.com:/exports/data",
                  "nfs4",
                  kNosuidNodev,
                  "addr=192.0.2.7,vers=4.1,proto=tcp,soft"},
        // NFSv4.0 needs clientaddr=.
        MountCase{{{"server", "10.0.0.5"}, {"path", "/x"}, {"vers", "4.0"}},
                  "10.0.0.5",
                  "10.0.0.5:/x",
                  "nfs4",
                  kNosuidNodev,
                  "addr=10.0.0.5,vers=4.0,proto=tcp,soft,clientaddr=0.0.0.0"},
        // NFSv3: type nfs, no lockd, MOUNT over TCP.
        MountCase{{{"server", "10.0.0.5"}, {"path", "/x"}, {"vers", "3"}},
                  "10.0.0.5",
                  "10.0.0.5:/x",
                  "nfs",
                  kNosuidNodev,
                  "addr=10.0.0.5,vers=3,proto=tcp,soft,nolock,mountproto=tcp"},
        // ro is a mount flag, not an option.
        MountCase{{{"server", "10.0.0.5"}, {"path", "/x"}, {"ro", ""}},
                  "10.0.0.5",
                  "10.0.0.5:/x",
                  "nfs4",
                  MS_RDONLY | kNosuidNodev,
                  "addr=10.0.0.5,vers=4.1,proto=tcp,soft"},
        MountCase{{{"server", "10.0.0.5"}, {"path", "/x"}, {"ro", "false"}},
                  "10.0.0.5",
                  "10.0.0.5:/x",
                  "nfs4",
                  kNosuidNodev,
                  "addr=10.0.0.5,vers=4.1,proto=tcp,soft"},
        // port, hard, timeo, retrans in their places.
        MountCase{{{"server", "10.0.0.5"},
                   {"path", "/x"},
                   {"port", "2050"},
                   {"hard", ""},
                   {"timeo", "600"},
                   {"retrans", "3"}},
                  "10.0.0.5",
                  "10.0.0.5:/x",
                  "nfs4",
                  kNosuidNodev,
                  "addr=10.0.0.5,vers=4.1,proto=tcp,port=2050,hard,timeo=600,retrans=3"},
        MountCase{{{"server", "10.0.0.5"}, {"path", "/x"}, {"retrans", "0"}, {"vers", "3"}},
                  "10.0.0.5",
                  "10.0.0.5:/x",
                  "nfs",
                  kNosuidNodev,
                  "addr=10.0.0.5,vers=3,proto=tcp,soft,retrans=0,nolock,mountproto=tcp"},
        // mountport= (v3 only) skips the server's portmapper, after mountproto=.
        MountCase{{{"server", "10.0.0.5"}, {"path", "/x"}, {"vers", "3"}, {"mountport", "20048"}},
                  "10.0.0.5",
                  "10.0.0.5:/x",
                  "nfs",
                  kNosuidNodev,
                  "addr=10.0.0.5,vers=3,proto=tcp,soft,nolock,mountproto=tcp,mountport=20048"},
        // IPv6: brackets in the source, none in addr=, tcp6 (the kernel checks the family).
        MountCase{{{"server", "fd00::5"}, {"path", "/x"}},
                  "fd00::5",
                  "[fd00::5]:/x",
                  "nfs4",
                  kNosuidNodev,
                  "addr=fd00::5,vers=4.1,proto=tcp6,soft"},
        MountCase{{{"share", "[fd00::5]:/x"}, {"vers", "4.0"}},
                  "[fd00::5]",
                  "[fd00::5]:/x",
                  "nfs4",
                  kNosuidNodev,
                  "addr=fd00::5,vers=4.0,proto=tcp6,soft,clientaddr=::"},
        MountCase{{{"server", "fe80::1%eth0"}, {"path", "/x"}, {"vers", "3"}},
                  "fe80::1%eth0",
                  "[fe80::1%eth0]:/x",
                  "nfs",
                  kNosuidNodev,
                  "addr=fe80::1%eth0,vers=3,proto=tcp6,soft,nolock,mountproto=tcp6"},
        // A host name that resolved to an IPv6 address.
        MountCase{{{"server", "nfs6.example.com"}, {"path", "/x"}},
                  "2001:db8::7",
                  "nfs6.example.com:/x",
                  "nfs4",
                  kNosuidNodev,
                  "addr=2001:db8::7,vers=4.1,proto=tcp6,soft"},
        // subdir joins the export path.
        MountCase{{{"server", "10.0.0.5"}, {"path", "/exports/data"}, {"subdir", "vols/db"}},
                  "10.0.0.5",
                  "10.0.0.5:/exports/data/vols/db",
                  "nfs4",
                  kNosuidNodev,
                  "addr=10.0.0.5,vers=4.1,proto=tcp,soft"},
        MountCase{{{"share", "10.0.0.5:/"}, {"subdir", "a"}},
                  "10.0.0.5",
                  "10.0.0.5:/a",
                  "nfs4",
                  kNosuidNodev,
                  "addr=10.0.0.5,vers=4.1,proto=tcp,soft"},
        MountCase{{{"share", "10.0.0.5:/exports/"}, {"subdir", "a"}},
                  "10.0.0.5",
                  "10.0.0.5:/exports/a",
                  "nfs4",
                  kNosuidNodev,
                  "addr=10.0.0.5,vers=4.1,proto=tcp,soft"},
        // nfsopts come last, in the order given.
        MountCase{{{"server", "10.0.0.5"},
                   {"path", "/x"},
                   {"hard", "1"},
                   {"nfsopts", "nconnect=4,noac,lookupcache=none,actimeo=0"}},
                  "10.0.0.5",
                  "10.0.0.5:/x",
                  "nfs4",
                  kNosuidNodev,
                  "addr=10.0.0.5,vers=4.1,proto=tcp,hard,nconnect=4,noac,lookupcache=none,"
                  "actimeo=0"},
        MountCase{{{"server", "10.0.0.5"},
                   {"path", "/x"},
                   {"vers", "3"},
                   {"timeo", "100"},
                   {"ro", "1"},
                   {"nfsopts", "rsize=65536,wsize=65536"}},
                  "10.0.0.5",
                  "10.0.0.5:/x",
                  "nfs",
                  MS_RDONLY | kNosuidNodev,
                  "addr=10.0.0.5,vers=3,proto=tcp,soft,timeo=100,nolock,mountproto=tcp,"
                  "rsize=65536,wsize=65536"}),
    NamedByIndex());

// nosuid and nodev are mount flags, never NFS options: with them in nfsopts (accepted, since they
// are always on) the option string stays free of them, where the NFS client would refuse them.
TEST(KernelMount, NosuidAndNodevAreAlwaysMountFlags) {
    for (const std::string vers : {"3", "4.0", "4.1"}) {
        for (const std::string ro : {"true", "false"}) {
            const VolumeSpec spec = parse_volume_options({{"server", "10.0.0.5"},
                                                          {"path", "/x"},
                                                          {"vers", vers},
                                                          {"ro", ro},
                                                          {"nfsopts", "nosuid,noac,nodev"}},
                                                         MountMode::kernel);
            const KernelMountArguments arguments = build_kernel_mount(spec, "10.0.0.5", kTarget);
            EXPECT_EQ(arguments.flags & kNosuidNodev, kNosuidNodev) << vers << " ro=" << ro;
            EXPECT_EQ((arguments.flags & MS_RDONLY) != 0, ro == "true");
            EXPECT_EQ(arguments.data.find("nosuid"), std::string::npos) << arguments.data;
            EXPECT_EQ(arguments.data.find("nodev"), std::string::npos) << arguments.data;
            EXPECT_NE(arguments.data.find(",noac"), std::string::npos) << arguments.data;
        }
    }
}

VolumeSpec simple_spec() {
    return parse_volume_options({{"server", "nfs.example.com"}, {"path", "/x"}}, MountMode::kernel);
}

TEST(KernelMount, ServerAddressMustBeAnIpLiteral) {
    for (const std::string address :
         {"nfs.example.com", "", "1.2.3", "1.2.3.4.5", "fe80::zz", "10.0.0.5,vers=3", "10.0.0.5 ",
          "[10.0.0.5]", "fe80::1%", "fe80::1%eth0,x", "[fe80::1"}) {
        try {
            build_kernel_mount(simple_spec(), address, kTarget);
            ADD_FAILURE() << "accepted server address '" << address << "'";
        } catch (const Error& error) {
            EXPECT_EQ(error.errnum(), EINVAL);
            EXPECT_NE(std::string(error.what()).find("must be an IP address"), std::string::npos)
                << error.what();
        }
    }
}

TEST(KernelMount, TargetMustBeAbsolute) {
    for (const std::string target : {"", "relative/dir"}) {
        try {
            build_kernel_mount(simple_spec(), "10.0.0.5", target);
            ADD_FAILURE() << "accepted target '" << target << "'";
        } catch (const Error& error) {
            EXPECT_EQ(error.errnum(), EINVAL);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Failed mounts.

struct ErrorCase {
    int errnum;
    int expected_errnum;
    std::vector<std::string> expected;
};

class KernelMountError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(KernelMountError, SaysWhatHappened) {
    const KernelMountArguments arguments =
        build_kernel_mount(simple_spec(), "192.0.2.7", "/var/lib/nfsfuse/volumes/v1/_data");
    try {
        throw_kernel_mount_error(GetParam().errnum, arguments);
        ADD_FAILURE() << "did not throw";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), GetParam().expected_errnum);
        const std::string message = error.what();
        std::vector<std::string> expected = GetParam().expected;
        expected.push_back("nfs.example.com:/x");
        expected.push_back("/var/lib/nfsfuse/volumes/v1/_data");
        for (const std::string& part : expected) {
            EXPECT_NE(message.find(part), std::string::npos)
                << "message: " << message << "\nmissing: " << part;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    KernelMount, KernelMountError,
    ::testing::Values(
        ErrorCase{ENODEV,
                  ENODEV,
                  {"the kernel cannot mount nfs4: this host has no NFS client (the nfs/nfsv4 "
                   "modules are missing); use mode=fuse or mode=auto"}},
        ErrorCase{EACCES, EACCES, {"refused", "permission", "Permission denied"}},
        ErrorCase{EPERM, EPERM, {"refused", "root"}},
        ErrorCase{ETIMEDOUT, ETIMEDOUT, {"unreachable", "timed out"}},
        ErrorCase{ECONNREFUSED, ECONNREFUSED, {"unreachable", "Connection refused"}},
        ErrorCase{EHOSTUNREACH, EHOSTUNREACH, {"unreachable", "No route to host"}},
        ErrorCase{ENOENT, ENOENT, {"does not exist", "No such file or directory"}},
        ErrorCase{EIO, EIO, {"Input/output error"}}, ErrorCase{EBUSY, EBUSY, {"busy"}},
        ErrorCase{0, EIO, {"Input/output error"}}),
    NamedByIndex());

TEST(KernelMount, NoNfsClientNamesTheFilesystemTypeForV3) {
    const VolumeSpec spec =
        parse_volume_options({{"share", "h:/x"}, {"vers", "3"}}, MountMode::kernel);
    const KernelMountArguments arguments = build_kernel_mount(spec, "10.0.0.5", kTarget);
    try {
        throw_kernel_mount_error(ENODEV, arguments);
        ADD_FAILURE() << "did not throw";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("cannot mount nfs:"), std::string::npos)
            << error.what();
    }
}

// --- the NFS client probe (mode=auto) ---

// Answers every mount(2) with one errno and records the calls.
class ProbeSyscall : public MountSyscall {
  public:
    explicit ProbeSyscall(int result) : result_(result) {}
    int mount(const KernelMountArguments& arguments) override {
        calls.push_back(arguments);
        return result_;
    }
    int unmount(const std::string& target) override {
        unmounted.push_back(target);
        return 0;
    }
    std::vector<KernelMountArguments> calls;
    std::vector<std::string> unmounted;

  private:
    int result_;
};

const std::string kWithNfs = "nodev\tsysfs\n\text4\nnodev\tnfs\nnodev\tnfs4\n";
const std::string kWithoutNfs = "nodev\tsysfs\n\text4\nnodev\tfuse\n";

TEST(KernelNfsProbe, ListedInProcFilesystemsNeedsNoProbe) {
    ProbeSyscall syscall(ENODEV);
    EXPECT_TRUE(kernel_has_nfs_client(syscall, kWithNfs, "/probe"));
    EXPECT_TRUE(syscall.calls.empty());
}

TEST(KernelNfsProbe, UnlistedButLoadableModuleIsFoundByTheProbe) {
    ProbeSyscall syscall(EINVAL);  // the type exists; the probe carries no options
    EXPECT_TRUE(kernel_has_nfs_client(syscall, kWithoutNfs, "/probe"));
    ASSERT_EQ(syscall.calls.size(), 1u);
    EXPECT_EQ(syscall.calls[0].filesystem_type, "nfs4");
    EXPECT_EQ(syscall.calls[0].target, "/probe");
    EXPECT_EQ(syscall.calls[0].data, "") << "no addr=: the kernel never contacts a server";
}

TEST(KernelNfsProbe, NoDeviceMeansNoNfsClient) {
    ProbeSyscall syscall(ENODEV);
    EXPECT_FALSE(kernel_has_nfs_client(syscall, kWithoutNfs, "/probe"));
}

TEST(KernelNfsProbe, NotAllowedToMountCountsAsNoClient) {
    ProbeSyscall syscall(EPERM);
    EXPECT_FALSE(kernel_has_nfs_client(syscall, kWithoutNfs, "/probe"));
}

TEST(KernelNfsProbe, AProbeThatMountedIsUnmounted) {
    ProbeSyscall syscall(0);
    EXPECT_TRUE(kernel_has_nfs_client(syscall, kWithoutNfs, "/probe"));
    EXPECT_EQ(syscall.unmounted, std::vector<std::string>{"/probe"});
}

}  // namespace
}  // namespace nfsfuse::driver
