// Mount option and SOURCE parsing: every option's good, boundary and bad values, last-wins, the
// target forms, and that errors are EINVAL messages naming the offending text.
#include "options/mount_options.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cerrno>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "util/error.h"

namespace nfsfuse::options {
namespace {

// Test names for parameterized suites (gtest allows only letters, digits and '_').
struct NamedByTestName {
    template <typename Param>
    std::string operator()(const ::testing::TestParamInfo<Param>& param_info) const {
        return param_info.param.test_name;
    }
};

struct NamedByIndex {
    template <typename Param>
    std::string operator()(const ::testing::TestParamInfo<Param>& param_info) const {
        return "Case" + std::to_string(param_info.index);
    }
};

struct NamedByOptionText {
    std::string operator()(const ::testing::TestParamInfo<std::string>& param_info) const {
        std::string name = param_info.param;
        for (char& c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        return name;
    }
};

// Runs `parse` and returns the message of the EINVAL Error it must throw.
template <typename Parse>
std::string einval_message(Parse parse) {
    try {
        parse();
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), EINVAL);
        return error.what();
    }
    ADD_FAILURE() << "expected nfsfuse::Error(EINVAL)";
    return "";
}

std::string einval_message_for_options(const std::vector<std::string>& lists) {
    return einval_message([&] { parse_mount_options(lists); });
}

// ---------------------------------------------------------------------------------------------
// parse_target

struct GoodTarget {
    std::string test_name;
    std::string source;
    std::string host;
    std::string export_path;
    std::optional<uint16_t> port;
};

class GoodTargetTest : public ::testing::TestWithParam<GoodTarget> {};

TEST_P(GoodTargetTest, ParsesHostExportAndPort) {
    const ServerTarget target = parse_target(GetParam().source);
    EXPECT_EQ(target.host, GetParam().host);
    EXPECT_EQ(target.export_path, GetParam().export_path);
    EXPECT_EQ(target.port, GetParam().port);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, GoodTargetTest,
    ::testing::Values(
        GoodTarget{"HostColonPath", "server:/export/path", "server", "/export/path", std::nullopt},
        GoodTarget{"RootExport", "server:/", "server", "/", std::nullopt},
        GoodTarget{"Fqdn", "nfs-1.example.com:/srv", "nfs-1.example.com", "/srv", std::nullopt},
        GoodTarget{"Underscore", "my_host:/srv", "my_host", "/srv", std::nullopt},
        GoodTarget{"Ipv4", "192.168.1.10:/data", "192.168.1.10", "/data", std::nullopt},
        GoodTarget{"PathWithSpaceAndColon", "h:/my share:x", "h", "/my share:x", std::nullopt},
        GoodTarget{"Ipv6Loopback", "[::1]:/export", "::1", "/export", std::nullopt},
        GoodTarget{"Ipv6Full", "[2001:db8::42]:/e", "2001:db8::42", "/e", std::nullopt},
        GoodTarget{"Ipv6Zone", "[fe80::1%eth0]:/e", "fe80::1%eth0", "/e", std::nullopt},
        GoodTarget{"Ipv6MappedIpv4", "[::ffff:10.0.0.1]:/e", "::ffff:10.0.0.1", "/e", std::nullopt},
        GoodTarget{"Url", "nfs://server/export/path", "server", "/export/path", std::nullopt},
        GoodTarget{"UrlRoot", "nfs://server/", "server", "/", std::nullopt},
        GoodTarget{"UrlWithPort", "nfs://server:2049/export", "server", "/export", 2049},
        GoodTarget{"UrlPortLowest", "nfs://server:1/e", "server", "/e", 1},
        GoodTarget{"UrlPortHighest", "nfs://server:65535/e", "server", "/e", 65535},
        GoodTarget{"UrlIpv6WithPort", "nfs://[::1]:20490/e", "::1", "/e", 20490},
        GoodTarget{"UrlIpv6", "nfs://[::1]/e", "::1", "/e", std::nullopt},
        GoodTarget{"UrlSchemeIsCaseInsensitive", "NFS://server/e", "server", "/e", std::nullopt}),
    NamedByTestName{});

struct BadTarget {
    std::string test_name;
    std::string source;
    std::string problem;  // substring the message must contain
};

class BadTargetTest : public ::testing::TestWithParam<BadTarget> {};

TEST_P(BadTargetTest, RejectsWithEinvalNamingSourceProblemAndForms) {
    const std::string message = einval_message([] { parse_target(GetParam().source); });
    EXPECT_NE(message.find(GetParam().problem), std::string::npos) << message;
    EXPECT_NE(message.find("nfs://server[:port]/export/path"), std::string::npos) << message;
    EXPECT_NE(message.find("[ipv6-address]:/export/path"), std::string::npos) << message;
    EXPECT_EQ(message.find('\0'), std::string::npos) << "control bytes must be escaped";
    EXPECT_EQ(message.find('\n'), std::string::npos) << "control bytes must be escaped";
}

INSTANTIATE_TEST_SUITE_P(
    Forms, BadTargetTest,
    ::testing::Values(
        BadTarget{"Empty", "", "it is empty"},
        BadTarget{"NoColon", "server", "'server': missing ':'"},
        BadTarget{"EmptyExport", "server:", "export path is missing"},
        BadTarget{"RelativeExport", "server:export", "'export' must be absolute"},
        BadTarget{"EmptyHost", ":/export", "server name is missing"},
        BadTarget{"BadHostChar", "ser ver:/x", "'ser ver' may contain only"},
        BadTarget{"HostWithAt", "user@server:/x", "'user@server' may contain only"},
        BadTarget{"BareIpv6", "fe80::1:/x", "write IPv6 addresses in brackets"},
        BadTarget{"BareIpv6Loopback", "::1:/x", "server name is missing"},
        BadTarget{"UnclosedBracket", "[::1:/x", "without a closing ']'"},
        BadTarget{"BracketNotIpv6", "[server]:/x", "'server' in brackets is not an IPv6"},
        BadTarget{"EmptyBrackets", "[]:/x", "'' in brackets is not an IPv6"},
        BadTarget{"EmptyZone", "[fe80::1%]:/x", "is not an IPv6"},
        BadTarget{"Ipv6NoColon", "[::1]/x", "missing ':'"},
        BadTarget{"Newline", "server:/x\ny", "'server:/x\\ny'"},
        BadTarget{"Nul", std::string("server:/x\0y", 11), "'server:/x\\x00y'"},
        BadTarget{"Comma", "server:/x,ro", "contains a comma"},
        BadTarget{"UrlQuery", "nfs://h/x?y", "options go in -o"},
        BadTarget{"UrlFragment", "nfs://h/x#y", "fragments"},
        BadTarget{"UrlNoPath", "nfs://server", "export path is missing"},
        BadTarget{"UrlNoHost", "nfs:///export", "server name is missing"},
        BadTarget{"UrlPortZero", "nfs://h:0/x", "port '0' must be a number from 1 to 65535"},
        BadTarget{"UrlPortTooBig", "nfs://h:65536/x", "port '65536'"},
        BadTarget{"UrlPortHuge", "nfs://h:99999999999999999999999/x", "from 1 to 65535"},
        BadTarget{"UrlPortEmpty", "nfs://h:/x", "port ''"},
        BadTarget{"UrlPortSigned", "nfs://h:+2049/x", "port '+2049'"},
        BadTarget{"UrlPortHex", "nfs://h:0x10/x", "port '0x10'"},
        BadTarget{"UrlGarbageAfterIpv6", "nfs://[::1]x/e", "unexpected 'x'"},
        BadTarget{"OtherScheme", "http://h/x", "unsupported URL scheme 'http'"}),
    NamedByTestName{});

// ---------------------------------------------------------------------------------------------
// parse_mount_options: accepted lists

// Compares every field, so a case also proves that nothing else changed.
void expect_same(const MountOptions& actual, const MountOptions& expected) {
    EXPECT_EQ(actual.version, expected.version);
    EXPECT_EQ(actual.port, expected.port);
    EXPECT_EQ(actual.mount_port, expected.mount_port);
    EXPECT_EQ(actual.nlm_port, expected.nlm_port);
    EXPECT_EQ(actual.read_only, expected.read_only);
    EXPECT_EQ(actual.uid, expected.uid);
    EXPECT_EQ(actual.gid, expected.gid);
    EXPECT_EQ(actual.hard, expected.hard);
    EXPECT_EQ(actual.timeo_deciseconds, expected.timeo_deciseconds);
    EXPECT_EQ(actual.retrans, expected.retrans);
    EXPECT_EQ(actual.debug, expected.debug);
    EXPECT_EQ(actual.cache, expected.cache);
    EXPECT_EQ(actual.nconnect, expected.nconnect);
    EXPECT_EQ(actual.readahead_kib, expected.readahead_kib);
    EXPECT_EQ(actual.cache_size_mib, expected.cache_size_mib);
    EXPECT_EQ(actual.attribute_cache.regular_min_s, expected.attribute_cache.regular_min_s);
    EXPECT_EQ(actual.attribute_cache.regular_max_s, expected.attribute_cache.regular_max_s);
    EXPECT_EQ(actual.attribute_cache.directory_min_s, expected.attribute_cache.directory_min_s);
    EXPECT_EQ(actual.attribute_cache.directory_max_s, expected.attribute_cache.directory_max_s);
    EXPECT_EQ(actual.fuse_options, expected.fuse_options);
}

struct GoodOptions {
    std::string test_name;
    std::vector<std::string> lists;
    std::function<void(MountOptions&)> expected_changes;  // applied to default MountOptions
};

// The default the cases below are compared against: NFSv4.1 needs no MOUNT service and no
// portmapper, so a plain `nfsfuse server:/path mnt` works through a firewall that opens 2049 only.
TEST(DefaultOptionsTest, SpeakNfs41WithoutAMountPort) {
    const MountOptions defaults = parse_mount_options({});
    EXPECT_EQ(defaults.version, NfsVersion::v4_1);
    EXPECT_FALSE(defaults.mount_port.has_value());
    EXPECT_FALSE(defaults.port.has_value());
}

class GoodOptionsTest : public ::testing::TestWithParam<GoodOptions> {};

TEST_P(GoodOptionsTest, SetsExactlyTheExpectedFields) {
    MountOptions expected;
    GetParam().expected_changes(expected);
    expect_same(parse_mount_options(GetParam().lists), expected);
}

INSTANTIATE_TEST_SUITE_P(
    NfsOptions, GoodOptionsTest,
    ::testing::Values(
        // The -o lists given, and how the result differs from the defaults.
        GoodOptions{"NoLists", {}, [](MountOptions&) {}},
        GoodOptions{"EmptyList", {""}, [](MountOptions&) {}},
        GoodOptions{"OnlyCommas", {",,,"}, [](MountOptions&) {}},
        GoodOptions{"Vers3", {"vers=3"}, [](MountOptions& o) { o.version = NfsVersion::v3; }},
        GoodOptions{"NfsVers3", {"nfsvers=3"}, [](MountOptions& o) { o.version = NfsVersion::v3; }},
        GoodOptions{"Vers41", {"vers=4.1"}, [](MountOptions& o) { o.version = NfsVersion::v4_1; }},
        GoodOptions{
            "Vers4MeansV41", {"vers=4"}, [](MountOptions& o) { o.version = NfsVersion::v4_1; }},
        GoodOptions{"PortLowest", {"port=1"}, [](MountOptions& o) { o.port = 1; }},
        GoodOptions{"PortHighest", {"port=65535"}, [](MountOptions& o) { o.port = 65535; }},
        GoodOptions{"PortLeadingZeros", {"port=02049"}, [](MountOptions& o) { o.port = 2049; }},
        GoodOptions{"MountPortWithVers3",
                    {"vers=3,mountport=20048"},
                    [](MountOptions& o) {
                        o.version = NfsVersion::v3;
                        o.mount_port = 20048;
                    }},
        GoodOptions{"MountPortBeforeVers3InALaterList",
                    {"mountport=65535", "vers=3"},
                    [](MountOptions& o) {
                        o.version = NfsVersion::v3;
                        o.mount_port = 65535;
                    }},
        GoodOptions{"NlmPortWithVers3",
                    {"vers=3,nlmport=32803"},
                    [](MountOptions& o) {
                        o.version = NfsVersion::v3;
                        o.nlm_port = 32803;
                    }},
        GoodOptions{"NlmPortBeforeVers3InALaterList",
                    {"nlmport=1", "vers=3,nlmport=65535"},
                    [](MountOptions& o) {
                        o.version = NfsVersion::v3;
                        o.nlm_port = 65535;
                    }},
        GoodOptions{"Ro",
                    {"ro"},
                    [](MountOptions& o) {
                        o.read_only = true;
                        o.fuse_options = {"ro"};
                    }},
        GoodOptions{"Rw", {"rw"}, [](MountOptions& o) { o.fuse_options = {"rw"}; }},
        GoodOptions{"RoThenRwIsWritable",
                    {"ro,rw"},
                    [](MountOptions& o) {
                        o.fuse_options = {"ro", "rw"};
                    }},
        GoodOptions{"RwThenRoAcrossListsIsReadOnly",
                    {"rw", "ro"},
                    [](MountOptions& o) {
                        o.read_only = true;
                        o.fuse_options = {"rw", "ro"};
                    }},
        GoodOptions{"UidZero", {"uid=0"}, [](MountOptions& o) { o.uid = 0u; }},
        GoodOptions{"UidHighest", {"uid=4294967294"}, [](MountOptions& o) { o.uid = 4294967294u; }},
        GoodOptions{"GidZero", {"gid=0"}, [](MountOptions& o) { o.gid = 0u; }},
        GoodOptions{"GidHighest", {"gid=4294967294"}, [](MountOptions& o) { o.gid = 4294967294u; }},
        GoodOptions{"Hard", {"hard"}, [](MountOptions& o) { o.hard = true; }},
        GoodOptions{"Soft", {"soft"}, [](MountOptions& o) { o.hard = false; }},
        GoodOptions{"SoftThenHard", {"soft,hard"}, [](MountOptions& o) { o.hard = true; }},
        GoodOptions{"HardThenSoft", {"hard", "soft"}, [](MountOptions& o) { o.hard = false; }},
        GoodOptions{"TimeoLowest", {"timeo=1"}, [](MountOptions& o) { o.timeo_deciseconds = 1; }},
        GoodOptions{
            "TimeoHighest", {"timeo=36000"}, [](MountOptions& o) { o.timeo_deciseconds = 36000; }},
        GoodOptions{"RetransLowest", {"retrans=0"}, [](MountOptions& o) { o.retrans = 0; }},
        GoodOptions{"RetransHighest", {"retrans=10"}, [](MountOptions& o) { o.retrans = 10; }},
        GoodOptions{"ReadaheadOff", {"readahead=0"}, [](MountOptions& o) { o.readahead_kib = 0; }},
        GoodOptions{
            "CacheSizeOff", {"cache_size=0"}, [](MountOptions& o) { o.cache_size_mib = 0; }},
        GoodOptions{"CacheSizeMax",
                    {"cache_size=65536"},
                    [](MountOptions& o) { o.cache_size_mib = 65536; }},
        GoodOptions{
            "ReadaheadMax", {"readahead=65536"}, [](MountOptions& o) { o.readahead_kib = 65536; }},
        GoodOptions{"Nconnect", {"nconnect=4"}, [](MountOptions& o) { o.nconnect = 4; }},
        GoodOptions{
            "IoUringOff", {"io_uring=off"}, [](MountOptions& o) { o.fuse_io_uring = false; }},
        GoodOptions{"IoUringAutoAfterOff",
                    {"io_uring=off,io_uring=auto"},
                    [](MountOptions& o) { o.fuse_io_uring = true; }},
        GoodOptions{"LocalLockFlock",
                    {"local_lock=flock"},
                    [](MountOptions& o) { o.local_lock = LocalLock::flock; }},
        GoodOptions{"LocalLockPosix",
                    {"local_lock=posix"},
                    [](MountOptions& o) { o.local_lock = LocalLock::posix; }},
        GoodOptions{"LocalLockAll",
                    {"local_lock=all"},
                    [](MountOptions& o) { o.local_lock = LocalLock::all; }},
        GoodOptions{"LocalLockNoneAfterAll",
                    {"local_lock=all,local_lock=none"},
                    [](MountOptions& o) { o.local_lock = LocalLock::none; }},
        GoodOptions{"NconnectMax", {"nconnect=16"}, [](MountOptions& o) { o.nconnect = 16; }},
        GoodOptions{"Debug", {"debug"}, [](MountOptions& o) { o.debug = true; }},
        GoodOptions{"LaterListWins",
                    {"port=1,timeo=5,uid=7", "port=2", "timeo=6,uid=8"},
                    [](MountOptions& o) {
                        o.port = 2;
                        o.timeo_deciseconds = 6;
                        o.uid = 8u;
                    }},
        GoodOptions{"LaterItemWins",
                    {"retrans=1,gid=3,retrans=9,gid=4,vers=4.1,mountport=5,mountport=6,vers=3"},
                    [](MountOptions& o) {
                        o.version = NfsVersion::v3;
                        o.retrans = 9;
                        o.gid = 4u;
                        o.mount_port = 6;
                    }},
        GoodOptions{
            "CacheNone", {"cache=none"}, [](MountOptions& o) { o.cache = CacheMode::none; }},
        GoodOptions{
            "CacheMeta", {"cache=meta"}, [](MountOptions& o) { o.cache = CacheMode::meta; }},
        GoodOptions{
            "CacheFull", {"cache=full"}, [](MountOptions& o) { o.cache = CacheMode::full; }},
        GoodOptions{"Actimeo",
                    {"actimeo=7"},
                    [](MountOptions& o) {
                        o.attribute_cache = {7, 7, 7, 7};
                    }},
        GoodOptions{"Noac",
                    {"noac"},
                    [](MountOptions& o) {
                        o.attribute_cache = {0, 0, 0, 0};
                    }},
        GoodOptions{"EachBound",
                    {"acregmin=1,acregmax=2,acdirmin=3,acdirmax=4"},
                    [](MountOptions& o) {
                        o.attribute_cache = {1, 2, 3, 4};
                    }},
        GoodOptions{"ActimeoThenOneBound",
                    {"actimeo=10", "acregmin=0"},
                    [](MountOptions& o) {
                        o.attribute_cache = {0, 10, 10, 10};
                    }},
        GoodOptions{"LongestAllowed",
                    {"acregmax=86400,acdirmax=86400"},
                    [](MountOptions& o) {
                        o.attribute_cache.regular_max_s = 86400;
                        o.attribute_cache.directory_max_s = 86400;
                    }},
        GoodOptions{"EmptyItemsIgnored",
                    {",ro,,debug,"},
                    [](MountOptions& o) {
                        o.read_only = true;
                        o.debug = true;
                        o.fuse_options = {"ro"};
                    }}),
    NamedByTestName{});

// Each FUSE/kernel option alone ends up verbatim in fuse_options and changes nothing else.
class FusePassThroughTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FusePassThroughTest, IsPassedVerbatim) {
    MountOptions expected;
    expected.fuse_options = {GetParam()};
    expect_same(parse_mount_options({GetParam()}), expected);
}

INSTANTIATE_TEST_SUITE_P(FuseOptions, FusePassThroughTest,
                         ::testing::Values("allow_other", "allow_root", "default_permissions",
                                           "auto_unmount", "nosuid", "suid", "nodev", "dev",
                                           "noexec", "exec", "noatime", "atime", "dirsync", "sync",
                                           "async", "fsname=nfs", "fsname=server:/export",
                                           "subtype=nfsfuse", "subtype=a.b-c_d", "max_read=1",
                                           "max_read=16777216", "max_read=131072"),
                         NamedByOptionText{});

TEST(FusePassThroughOrderTest, KeepsTheOrderGivenAcrossListsWithNfsOptionsRemoved) {
    const MountOptions options = parse_mount_options(
        {"allow_other,port=2049,ro,fsname=srv:/x", "nosuid,timeo=10,max_read=4096", "rw,nodev"});
    const std::vector<std::string> expected = {"allow_other",   "ro", "fsname=srv:/x", "nosuid",
                                               "max_read=4096", "rw", "nodev"};
    EXPECT_EQ(options.fuse_options, expected);
    EXPECT_FALSE(options.read_only);
    EXPECT_EQ(options.port, 2049);
    EXPECT_EQ(options.timeo_deciseconds, 10u);
}

// Options fstab and mount.fuse3 may hand over: accepted, and neither stored nor passed to FUSE.
class IgnoredOptionTest : public ::testing::TestWithParam<std::string> {};

TEST_P(IgnoredOptionTest, IsAcceptedAndChangesNothing) {
    expect_same(parse_mount_options({GetParam()}), MountOptions{});
}

INSTANTIATE_TEST_SUITE_P(
    FstabOptions, IgnoredOptionTest,
    ::testing::Values("defaults", "_netdev", "nofail", "auto", "noauto", "user", "nouser", "users",
                      "x-systemd.automount", "x-systemd.requires=network-online.target",
                      "x-gvfs-show", "x-", "comment=systemd.automount",
                      "comment=", "defaults,_netdev,nofail,x-systemd.idle-timeout=60", "relatime"),
    NamedByIndex{});

// atime flags libfuse 3.14 does not pass to the kernel: refused, never silently not honoured.
class AtimeFlagNotOnFuseTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AtimeFlagNotOnFuseTest, IsRefusedWithTheReason) {
    try {
        parse_mount_options({GetParam()});
        FAIL() << GetParam() << " must be refused";
    } catch (const Error& e) {
        EXPECT_EQ(e.errnum(), EINVAL);
        const std::string message = e.what();
        EXPECT_NE(message.find("'" + GetParam() + "'"), std::string::npos) << message;
        EXPECT_NE(message.find("FUSE mounts cannot honour it"), std::string::npos) << message;
    }
}

INSTANTIATE_TEST_SUITE_P(AtimeFlags, AtimeFlagNotOnFuseTest,
                         ::testing::Values("norelatime", "strictatime", "nodiratime", "lazytime",
                                           "nolazytime"),
                         NamedByOptionText{});

// ---------------------------------------------------------------------------------------------
// parse_mount_options: rejected lists

struct BadOptions {
    std::string test_name;
    std::vector<std::string> lists;
    std::string offending;  // must be quoted in the message exactly as given
    std::string problem;    // must also be in the message
};

class BadOptionsTest : public ::testing::TestWithParam<BadOptions> {};

TEST_P(BadOptionsTest, RejectsWithEinvalNamingTheOptionAndProblem) {
    const std::string message = einval_message_for_options(GetParam().lists);
    EXPECT_NE(message.find("'" + GetParam().offending + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(GetParam().problem), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    NfsOptions, BadOptionsTest,
    ::testing::Values(
        BadOptions{"ReadaheadTooBig", {"readahead=65537"}, "readahead=65537", "from 0 to 65536"},
        BadOptions{
            "IoUringUnknown", {"io_uring=on"}, "io_uring=on", "valid values are auto and off"},
        BadOptions{"LocalLockUnknown",
                   {"local_lock=some"},
                   "local_lock=some",
                   "valid values are none, flock, posix and all"},
        BadOptions{"CacheSizeTooBig", {"cache_size=65537"}, "cache_size=65537", "from 0 to 65536"},
        BadOptions{"CacheSizeNotANumber", {"cache_size=1g"}, "cache_size=1g", "number"},
        BadOptions{"NconnectZero", {"nconnect=0"}, "nconnect=0", "from 1 to 16"},
        BadOptions{"NconnectTooMany", {"nconnect=17"}, "nconnect=17", "from 1 to 16"},
        BadOptions{
            "CacheUnknown", {"cache=all"}, "cache=all", "valid values are none, meta and full"},
        BadOptions{"CacheEmpty", {"cache="}, "cache=", "needs a value"},
        BadOptions{"ActimeoTooLong", {"actimeo=86401"}, "actimeo=86401", "from 0 to 86400"},
        BadOptions{"AcregminNegative", {"acregmin=-1"}, "acregmin=-1", "decimal number"},
        BadOptions{"NoacWithValue", {"noac=1"}, "noac=1", "is a flag"},
        BadOptions{"Vers40", {"vers=4.0"}, "vers=4.0", "NFSv4.0 is not supported"},
        BadOptions{"Vers2", {"vers=2"}, "vers=2", "valid values are 3, 4 and 4.1"},
        BadOptions{"Vers30", {"vers=3.0"}, "vers=3.0", "valid values are 3, 4 and 4.1"},
        BadOptions{"VersEmpty", {"vers="}, "vers=", "needs a value, as in vers=3"},
        BadOptions{"VersBare", {"vers"}, "vers", "needs a value"},
        BadOptions{"PortZero", {"port=0"}, "port=0", "port must be from 1 to 65535"},
        BadOptions{"PortTooBig", {"port=65536"}, "port=65536", "from 1 to 65535"},
        BadOptions{"PortOverflow",
                   {"port=184467440737095516160"},
                   "port=184467440737095516160",
                   "out of range"},
        BadOptions{"PortNegative", {"port=-1"}, "port=-1", "expects a decimal number"},
        BadOptions{"PortPlus", {"port=+1"}, "port=+1", "expects a decimal number"},
        BadOptions{"PortSpace", {"port= 1"}, "port= 1", "expects a decimal number"},
        BadOptions{"PortTrailing", {"port=1x"}, "port=1x", "expects a decimal number"},
        BadOptions{"PortHex", {"port=0x10"}, "port=0x10", "expects a decimal number"},
        BadOptions{"PortBare", {"port"}, "port", "port needs a value, as in port=N"},
        BadOptions{"PortEmpty", {"port="}, "port=", "needs a value"},
        BadOptions{"MountPortWithoutVers",
                   {"port=2049,mountport=20048"},
                   "mountport=20048",
                   "is for vers=3 only: NFSv4 has no MOUNT service"},
        BadOptions{"MountPortWithVers41", {"vers=4.1", "mountport=1"}, "mountport=1", "add vers=3"},
        BadOptions{"MountPortWithVers3OverriddenLater",
                   {"vers=3,mountport=20048", "vers=4"},
                   "mountport=20048",
                   "for vers=3 only"},
        BadOptions{"MountPortZero", {"mountport=0"}, "mountport=0", "from 1 to 65535"},
        BadOptions{"NlmPortWithoutVers",
                   {"nlmport=32803"},
                   "nlmport=32803",
                   "is for vers=3 only: NFSv4 has no NLM service"},
        BadOptions{"NlmPortWithVers3OverriddenLater",
                   {"vers=3,nlmport=32803", "vers=4.1"},
                   "nlmport=32803",
                   "drop nlmport"},
        BadOptions{"NlmPortZero", {"vers=3,nlmport=0"}, "nlmport=0", "from 1 to 65535"},
        BadOptions{"NlmPortTooBig", {"vers=3,nlmport=65536"}, "nlmport=65536", "from 1 to 65535"},
        BadOptions{
            "NlmPortName", {"vers=3,nlmport=nlm"}, "nlmport=nlm", "expects a decimal number"},
        BadOptions{"NlmPortBare", {"vers=3,nlmport"}, "nlmport", "needs a value"},
        BadOptions{"MountPortTooBig", {"mountport=70000"}, "mountport=70000", "from 1 to 65535"},
        BadOptions{"UidMinusOne", {"uid=4294967295"}, "uid=4294967295", "from 0 to 4294967294"},
        BadOptions{"UidNegative", {"uid=-1"}, "uid=-1", "expects a decimal number"},
        BadOptions{"UidName", {"uid=root"}, "uid=root", "expects a decimal number"},
        BadOptions{"GidTooBig", {"gid=4294967295"}, "gid=4294967295", "from 0 to 4294967294"},
        BadOptions{"GidBare", {"gid"}, "gid", "needs a value"},
        BadOptions{"TimeoZero", {"timeo=0"}, "timeo=0", "from 1 to 36000"},
        BadOptions{"TimeoTooBig", {"timeo=36001"}, "timeo=36001", "from 1 to 36000"},
        BadOptions{"TimeoFraction", {"timeo=1.5"}, "timeo=1.5", "expects a decimal number"},
        BadOptions{"RetransTooBig", {"retrans=11"}, "retrans=11", "from 0 to 10"},
        BadOptions{"RetransEmpty", {"retrans="}, "retrans=", "needs a value"},
        BadOptions{"FlagWithValue", {"ro=1"}, "ro=1", "ro is a flag and takes no value"},
        BadOptions{"FlagWithEmptyValue", {"debug="}, "debug=", "takes no value"},
        BadOptions{"SoftWithValue", {"soft=yes"}, "soft=yes", "takes no value"},
        BadOptions{"FuseFlagWithValue", {"allow_other=1"}, "allow_other=1", "takes no value"},
        BadOptions{"IgnoredFlagWithValue", {"nofail=1"}, "nofail=1", "takes no value"},
        BadOptions{"FsnameEmpty", {"fsname="}, "fsname=", "needs a value"},
        BadOptions{"FsnameSpace", {"fsname=a b"}, "fsname=a b", "printable ASCII"},
        BadOptions{"SubtypeTab", {"subtype=a\tb"}, "subtype=a\\tb", "control character"},
        BadOptions{// Messages escape non-ASCII bytes, so they are always valid UTF-8 (JSON replies
                   // need it).
                   "SubtypeNonAscii",
                   {"subtype=caf\xc3\xa9"},
                   "subtype=caf\\xc3\\xa9",
                   "printable ASCII"},
        BadOptions{"MaxReadZero", {"max_read=0"}, "max_read=0", "from 1 to 16777216"},
        BadOptions{
            "MaxReadTooBig", {"max_read=16777217"}, "max_read=16777217", "from 1 to 16777216"},
        BadOptions{"NewlineInOption", {"ro\nrw"}, "ro\\nrw", "control character"},
        BadOptions{"NulInOption", {std::string("debug\0", 6)}, "debug\\x00", "control character"},
        BadOptions{"ErrorInLaterList", {"ro", "debug,port=x"}, "port=x", "decimal number"},
        BadOptions{"AllowOtherAndRoot",
                   {"allow_other", "allow_root"},
                   "allow_root",
                   "cannot be combined"}),
    NamedByTestName{});

class UnknownOptionTest : public ::testing::TestWithParam<std::string> {};

TEST_P(UnknownOptionTest, NamesTheOptionAndListsValidOnes) {
    const std::string message = einval_message_for_options({"ro", "debug," + GetParam()});
    EXPECT_NE(message.find("unknown mount option '" + GetParam() + "'"), std::string::npos)
        << message;
    EXPECT_NE(message.find("valid options are: "), std::string::npos) << message;
    EXPECT_NE(message.find("timeo="), std::string::npos) << message;
    EXPECT_NE(message.find("allow_other"), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(Unknown, UnknownOptionTest,
                         ::testing::Values("foo", "foo=bar", "RO", " ro", "rsize=1048576", "vers.3",
                                           "comment", "x", "=value", "lookupcache=all"),
                         NamedByIndex{});

// ---------------------------------------------------------------------------------------------
// options_help and the valid-options list come from one table.

std::vector<std::string> help_lines() {
    std::vector<std::string> lines;
    std::istringstream stream(options_help());
    for (std::string line; std::getline(stream, line);) lines.push_back(line);
    return lines;
}

// "  port=N   NFS server port" -> "port="; "  ro   ..." -> "ro".
std::string listed_name_of(const std::string& help_line) {
    const std::string usage = help_line.substr(2, help_line.find(' ', 2) - 2);
    const size_t equals = usage.find('=');
    if (equals == std::string::npos || usage.ends_with("=*")) return usage;
    return usage.substr(0, equals + 1);
}

TEST(OptionsHelpTest, OneIndentedLineWithTextPerOption) {
    const std::vector<std::string> lines = help_lines();
    ASSERT_GE(lines.size(), 40u);
    for (const std::string& line : lines) {
        EXPECT_TRUE(line.starts_with("  ") && !line.starts_with("   ")) << line;
        EXPECT_LE(line.size(), 100u) << "fits a terminal: " << line;
        EXPECT_NE(line.find("   "), std::string::npos) << "usage and text apart: " << line;
        EXPECT_GT(line.find_last_not_of(' '), line.find("   ")) << "help text missing: " << line;
    }
    const std::string help = options_help();
    EXPECT_NE(help.find("  port=N "), std::string::npos);
    EXPECT_NE(help.find("  vers=3|4.1 "), std::string::npos);
    EXPECT_NE(help.find("4.1 (default"), std::string::npos) << "the help names the default";
    EXPECT_NE(help.find("  timeo=N "), std::string::npos);
    EXPECT_NE(help.find("  allow_other "), std::string::npos);
    EXPECT_NE(help.find("  x-* "), std::string::npos);
}

TEST(OptionsHelpTest, HelpAndValidListNameTheSameOptionsInTheSameOrder) {
    std::string from_help;
    for (const std::string& line : help_lines()) {
        if (!from_help.empty()) from_help += ", ";
        from_help += listed_name_of(line);
    }
    const std::string message = einval_message_for_options({"no_such_option"});
    const std::string marker = "valid options are: ";
    const size_t list_start = message.find(marker);
    ASSERT_NE(list_start, std::string::npos) << message;
    EXPECT_EQ(message.substr(list_start + marker.size()), from_help);
}

TEST(OptionsHelpTest, EveryListedFlagIsAccepted) {
    for (const std::string& line : help_lines()) {
        const std::string name = listed_name_of(line);
        if (name.ends_with("=") || name.ends_with("*")) continue;  // valued: covered above
        if (name == "allow_root") continue;  // cannot combine with allow_other, tested alone above
        EXPECT_NO_THROW(parse_mount_options({name, "allow_other"})) << name;
    }
}

// ---------------------------------------------------------------------------------------------
// soft_deadline_ms

struct DeadlineCase {
    std::string options;
    uint64_t deadline_ms;
};

class SoftDeadlineTest : public ::testing::TestWithParam<DeadlineCase> {};

TEST_P(SoftDeadlineTest, IsTimeoTimesTriesInMilliseconds) {
    EXPECT_EQ(parse_mount_options({GetParam().options}).soft_deadline_ms(), GetParam().deadline_ms);
}

INSTANTIATE_TEST_SUITE_P(Deadlines, SoftDeadlineTest,
                         ::testing::Values(DeadlineCase{"",
                                                        180000},  // 60 s * 3 tries, the defaults
                                           DeadlineCase{"timeo=1,retrans=0", 100},
                                           DeadlineCase{"timeo=10,retrans=2", 3000},
                                           DeadlineCase{"timeo=36000,retrans=10", 39600000}));

}  // namespace
}  // namespace nfsfuse::options
