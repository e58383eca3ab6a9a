// The exact nfsfuse command line the driver runs for each kind of fuse-mode volume (NFSv4.1 by
// default, NFSv3 with its MOUNT port when asked), and the refusal of what nfsfuse cannot speak.
#include "driver/nfsfuse_command.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "einval_message.h"
#include "util/error.h"

namespace nfsfuse::driver {
namespace {

using Options = std::map<std::string, std::string>;

constexpr char kBinary[] = "/usr/bin/nfsfuse";
constexpr char kTarget[] = "/var/lib/nfsfuse/volumes/vol";

struct CommandCase {
    std::string name;
    Options options;  // volume options; mode=fuse unless they say otherwise
    std::string source;
    std::string nfsfuse_options;  // the -o list
};

class NfsfuseCommandTest : public ::testing::TestWithParam<CommandCase> {};

TEST_P(NfsfuseCommandTest, IsExact) {
    const VolumeSpec spec = parse_volume_options(GetParam().options, MountMode::fuse);
    EXPECT_EQ(nfsfuse_command(kBinary, spec, kTarget),
              (std::vector<std::string>{kBinary, GetParam().source, kTarget, "-o",
                                        GetParam().nfsfuse_options, "--print-pid"}));
}

INSTANTIATE_TEST_SUITE_P(
    FuseMode, NfsfuseCommandTest,
    ::testing::Values(
        CommandCase{"DefaultIsNfs41",
                    {{"server", "10.0.0.5"}, {"path", "/exports/data"}},
                    "10.0.0.5:/exports/data",
                    "vers=4.1,allow_other,soft"},
        CommandCase{"Vers4MeansNfs41WithItsOnePort",
                    {{"share", "10.0.0.5:/exports/data"}, {"vers", "4"}, {"port", "2050"}},
                    "10.0.0.5:/exports/data",
                    "vers=4.1,allow_other,port=2050,soft"},
        CommandCase{"Nfs3WithPortAndMountPort",
                    {{"share", "10.0.0.5:/exports/data"},
                     {"vers", "3"},
                     {"port", "2049"},
                     {"mountport", "20048"}},
                    "10.0.0.5:/exports/data",
                    "vers=3,allow_other,port=2049,mountport=20048,soft"},
        CommandCase{"Nfs3WithoutMountPortAsksThePortmapper",
                    {{"share", "10.0.0.5:/exports/data"}, {"vers", "3"}},
                    "10.0.0.5:/exports/data",
                    "vers=3,allow_other,soft"},
        CommandCase{"DefaultPermissionsStaysAnOption",
                    {{"share", "10.0.0.5:/exports/data"}, {"fuseopts", "default_permissions"}},
                    "10.0.0.5:/exports/data",
                    "vers=4.1,allow_other,soft,default_permissions"},
        CommandCase{"AutoModeWithEverything",
                    {{"share", "[fd00::5]:/exports"},
                     {"mode", "auto"},
                     {"subdir", "vols/db"},
                     {"ro", ""},
                     {"uid", "1000"},
                     {"gid", "100"},
                     {"hard", ""},
                     {"timeo", "50"},
                     {"retrans", "5"},
                     {"fuseopts", "cache=meta,nconnect=4"}},
                    "[fd00::5]:/exports/vols/db",
                    "vers=4.1,allow_other,ro,uid=1000,gid=100,hard,timeo=50,"
                    "retrans=5,cache=meta,nconnect=4"}),
    [](const ::testing::TestParamInfo<CommandCase>& param_info) { return param_info.param.name; });

using testing::einval_message;

// mode=auto on a host without a kernel NFS client mounts with nfsfuse, which has no NFSv4.0:
// refused with the reason and what to use instead, never mounted as another version.
TEST(NfsfuseCommandRefusal, AutoModeWithNfs40SaysWhyAndWhatToUse) {
    const VolumeSpec spec = parse_volume_options(
        {{"share", "10.0.0.5:/exports/data"}, {"mode", "auto"}, {"vers", "4.0"}},
        MountMode::kernel);
    const std::string message = einval_message([&] { check_nfsfuse_can_mount(spec); });
    for (const char* part : {"vers=4.0", "no kernel NFS client", "mode=auto", "not NFSv4.0",
                             "vers=4.1 (the default) or vers=3"})
        EXPECT_NE(message.find(part), std::string::npos) << part << " in: " << message;
    EXPECT_EQ(einval_message([&] { nfsfuse_command(kBinary, spec, kTarget); }), message)
        << "no command line for it either";
}

TEST(NfsfuseCommandRefusal, EveryOtherVersionIsAccepted) {
    for (const char* version : {"3", "4", "4.1"}) {
        const VolumeSpec spec = parse_volume_options(
            {{"share", "10.0.0.5:/exports/data"}, {"mode", "auto"}, {"vers", version}},
            MountMode::kernel);
        EXPECT_NO_THROW(check_nfsfuse_can_mount(spec)) << "vers=" << version;
    }
}

}  // namespace
}  // namespace nfsfuse::driver
