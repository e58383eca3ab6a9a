// Volume names and `docker volume create -o` options: every key's good, boundary and bad values,
// the defaults per mode, and injection attempts (commas, '=', options the driver sets itself).
// Errors must be EINVAL messages that name the key and quote the value.
#include "driver/volume_spec.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "einval_message.h"
#include "util/error.h"

namespace nfsfuse::driver {
namespace {

using Options = std::map<std::string, std::string>;

struct NamedByIndex {
    template <typename Param>
    std::string operator()(const ::testing::TestParamInfo<Param>& param_info) const {
        return "Case" + std::to_string(param_info.index);
    }
};

using testing::einval_message;

// server+path plus `extra` (which may override them).
Options with_share(Options extra) {
    Options options = {{"server", "10.0.0.5"}, {"path", "/exports/data"}};
    for (auto& [key, value] : extra) options[key] = value;
    return options;
}

VolumeSpec parse(const Options& options, MountMode default_mode = MountMode::kernel) {
    return parse_volume_options(options, default_mode);
}

std::string parse_error(const Options& options, MountMode default_mode = MountMode::kernel) {
    return einval_message([&] { parse_volume_options(options, default_mode); });
}

void expect_contains_all(const std::string& message, const std::vector<std::string>& parts) {
    for (const std::string& part : parts) {
        EXPECT_NE(message.find(part), std::string::npos)
            << "message: " << message << "\nmissing: " << part;
    }
}

// ---------------------------------------------------------------------------------------------
// Volume names.

class GoodVolumeName : public ::testing::TestWithParam<std::string> {};

TEST_P(GoodVolumeName, IsAccepted) {
    EXPECT_NO_THROW(validate_volume_name(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(VolumeSpec, GoodVolumeName,
                         ::testing::Values("a", "Z", "0", "vol1", "my-vol_1.2", "a..b", "1.2.3",
                                           "a-", "a_", "a.", std::string(255, 'x'),
                                           "0123456789abcdefABCDEF"),
                         NamedByIndex());

struct BadName {
    std::string name;
    std::string expected;  // a part of the message besides the rule
};

class BadVolumeName : public ::testing::TestWithParam<BadName> {};

TEST_P(BadVolumeName, IsRefusedWithTheRule) {
    const std::string message = einval_message([] { validate_volume_name(GetParam().name); });
    expect_contains_all(message,
                        {"invalid volume name", "[a-zA-Z0-9][a-zA-Z0-9_.-]*", GetParam().expected});
}

INSTANTIATE_TEST_SUITE_P(
    VolumeSpec, BadVolumeName,
    ::testing::Values(BadName{"", "it is empty"}, BadName{"../x", "'../x'"},
                      BadName{"a/b", "'a/b'"}, BadName{".", "start with a letter or digit"},
                      BadName{"..", "start with a letter or digit"},
                      BadName{".hidden", "start with a letter or digit"},
                      BadName{"-vol", "start with a letter or digit"},
                      BadName{"_vol", "start with a letter or digit"},
                      BadName{std::string(256, 'x'), "longer than 255"},
                      BadName{"vol\xc3\xa9", "'vol\\xc3\\xa9'"},  // é: escaped, valid UTF-8
                      BadName{"vol name", "'vol name'"}, BadName{"vol\n", "'vol\\n'"},
                      BadName{std::string("vol\0x", 5), "'vol\\x00x'"},
                      BadName{"a:b", "not allowed"}, BadName{"a,b", "not allowed"},
                      BadName{"a$(id)", "not allowed"}),
    NamedByIndex());

TEST(VolumeSpec, HugeNameIsQuotedShort) {
    const std::string message =
        einval_message([] { validate_volume_name(std::string(100000, 'x')); });
    EXPECT_LT(message.size(), 1000u);
    EXPECT_NE(message.find("100000 bytes"), std::string::npos) << message;
}

// ---------------------------------------------------------------------------------------------
// Modes.

TEST(VolumeSpec, ModesRoundTrip) {
    for (const MountMode mode : {MountMode::kernel, MountMode::fuse, MountMode::auto_select}) {
        EXPECT_EQ(parse_mount_mode(to_string(mode)), mode);
    }
    EXPECT_EQ(to_string(MountMode::auto_select), "auto");
    EXPECT_EQ(parse_mount_mode("kernel"), MountMode::kernel);
    EXPECT_EQ(parse_mount_mode("fuse"), MountMode::fuse);
}

TEST(VolumeSpec, BadModesAreRefused) {
    for (const std::string text : {"", "Kernel", "fuse ", "auto_select", "nfs"}) {
        const std::string message = einval_message([&] { parse_mount_mode(text); });
        expect_contains_all(message, {"'" + text + "'", "kernel, fuse and auto"});
    }
}

// ---------------------------------------------------------------------------------------------
// Where the share is.

struct GoodLocation {
    Options options;
    std::string server;
    std::string export_path;
};

class GoodShare : public ::testing::TestWithParam<GoodLocation> {};

TEST_P(GoodShare, IsParsed) {
    for (const MountMode mode : {MountMode::kernel, MountMode::auto_select}) {
        const VolumeSpec spec = parse(GetParam().options, mode);
        EXPECT_EQ(spec.server, GetParam().server);
        EXPECT_EQ(spec.export_path, GetParam().export_path);
        EXPECT_EQ(spec.subdir, "");
    }
}

INSTANTIATE_TEST_SUITE_P(
    VolumeSpec, GoodShare,
    ::testing::Values(
        GoodLocation{
            {{"server", "10.0.0.5"}, {"path", "/exports/data"}}, "10.0.0.5", "/exports/data"},
        GoodLocation{{{"server", "nfs.example.com"}, {"path", "/"}}, "nfs.example.com", "/"},
        GoodLocation{{{"server", "my_host.local."}, {"path", "/x y"}}, "my_host.local.", "/x y"},
        GoodLocation{{{"server", "fe80::1"}, {"path", "/x"}}, "fe80::1", "/x"},
        GoodLocation{{{"server", "[fd00::5]"}, {"path", "/x"}}, "fd00::5", "/x"},
        GoodLocation{{{"server", "fe80::1%eth0"}, {"path", "/x"}}, "fe80::1%eth0", "/x"},
        GoodLocation{{{"share", "10.0.0.5:/exports/data"}}, "10.0.0.5", "/exports/data"},
        GoodLocation{{{"share", "nfs.example.com:/"}}, "nfs.example.com", "/"},
        GoodLocation{{{"share", "[::1]:/x"}}, "::1", "/x"},
        GoodLocation{{{"share", "[fe80::1%eth0]:/srv/nfs"}}, "fe80::1%eth0", "/srv/nfs"},
        GoodLocation{{{"share", "host:/a:b"}}, "host", "/a:b"},
        GoodLocation{{{"share", "host:/a/..b/c.."}}, "host", "/a/..b/c.."}),
    NamedByIndex());

struct BadOptions {
    Options options;
    std::vector<std::string> expected;  // parts of the message
    MountMode default_mode = MountMode::kernel;
};

void PrintTo(const BadOptions& param, std::ostream* out) {
    for (const auto& [key, value] : param.options) *out << key << "='" << value << "' ";
}

class BadOption : public ::testing::TestWithParam<BadOptions> {};

TEST_P(BadOption, IsRefusedWithItsKeyAndValue) {
    expect_contains_all(parse_error(GetParam().options, GetParam().default_mode),
                        GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Location, BadOption,
    ::testing::Values(
        BadOptions{{}, {"server and path (or share) are required"}},
        BadOptions{{{"server", "h"}}, {"server='h'", "path is required"}},
        BadOptions{{{"path", "/x"}}, {"path='/x'", "server is required"}},
        BadOptions{{{"share", "h:/x"}, {"server", "h"}}, {"share='h:/x'", "not both"}},
        BadOptions{{{"share", "h:/x"}, {"path", "/x"}}, {"share='h:/x'", "not both"}},
        BadOptions{{{"share", "h:/x"}, {"server", "h"}, {"path", "/x"}}, {"not both"}},
        BadOptions{with_share({{"server", "a,b"}}), {"server='a,b'", "comma"}},
        BadOptions{with_share({{"server", "h,vers=3"}}), {"server='h,vers=3'", "comma"}},
        BadOptions{with_share({{"server", "a b"}}), {"server='a b'", "only letters"}},
        BadOptions{with_share({{"server", "a=b"}}), {"server='a=b'", "'='"}},
        BadOptions{with_share({{"server", "-oproxy"}}), {"server='-oproxy'", "'-'"}},
        BadOptions{with_share({{"server", ".host"}}), {"server='.host'", "must not start"}},
        BadOptions{with_share({{"server", "host\n"}}), {"server='host\\n'", "control"}},
        BadOptions{with_share({{"server", ""}}), {"server=''", "missing"}},
        BadOptions{with_share({{"server", "[fe80::1"}}), {"server='[fe80::1'", "']'"}},
        BadOptions{with_share({{"server", "[nothost]"}}), {"'nothost'", "not an IPv6"}},
        BadOptions{with_share({{"server", "[]"}}), {"server='[]'"}},
        BadOptions{with_share({{"server", "fe80::zz"}}), {"server='fe80::zz'", "not an IPv6"}},
        BadOptions{with_share({{"server", "fe80::1%"}}), {"not an IPv6"}},
        BadOptions{with_share({{"server", "a..b"}}), {"server='a..b'", "empty label"}},
        BadOptions{with_share({{"server", "h\xc3\xa9"}}), {"server='h\\xc3\\xa9'"}},
        BadOptions{with_share({{"server", std::string(254, 'a')}}), {"253"}},
        BadOptions{with_share({{"path", "relative"}}), {"path='relative'", "absolute"}},
        BadOptions{with_share({{"path", "/a/../b"}}), {"path='/a/../b'", "'..'"}},
        BadOptions{with_share({{"path", "/.."}}), {"'..'"}},
        BadOptions{with_share({{"path", "/a,b"}}), {"path='/a,b'", "comma"}},
        BadOptions{with_share({{"path", "/x,addr=1.2.3.4"}}), {"comma"}},
        BadOptions{with_share({{"path", "/a\nb"}}), {"path='/a\\nb'", "control"}},
        BadOptions{with_share({{"path", std::string("/a\0b", 4)}}), {"'/a\\x00b'", "control"}},
        BadOptions{with_share({{"path", ""}}), {"path=''", "missing"}},
        BadOptions{with_share({{"path", "/" + std::string(4096, 'a')}}), {"longer than 4096"}},
        BadOptions{{{"share", "host"}}, {"share='host'", "':' is missing"}},
        BadOptions{{{"share", ":/x"}}, {"share=':/x'", "server is missing"}},
        BadOptions{{{"share", "host:"}}, {"share='host:'", "export path is missing"}},
        BadOptions{{{"share", "host:relative"}}, {"absolute"}},
        BadOptions{{{"share", "fe80::1:/x"}}, {"share='fe80::1:/x'", "brackets"}},
        BadOptions{{{"share", "nfs://host/x"}}, {"share='nfs://host/x'", "URLs"}},
        BadOptions{{{"share", "[::1]/x"}}, {"share='[::1]/x'", "':' after ']'"}},
        BadOptions{{{"share", "[::1:/x"}}, {"']'"}},
        BadOptions{{{"share", "[host]:/x"}}, {"not an IPv6"}},
        BadOptions{with_share({{"mountport", "20048"}}), {"mountport='20048'", "add -o vers=3"}},
        BadOptions{with_share({{"mountport", "20048"}}), {"mountport='20048'"}, MountMode::fuse},
        BadOptions{with_share({{"mountport", "20048"}, {"vers", "4.1"}, {"mode", "fuse"}}),
                   {"mountport='20048'", "no MOUNT service"}},
        BadOptions{with_share({{"mountport", "0"}, {"vers", "3"}}), {"mountport='0'"}},
        BadOptions{with_share({{"mountport", "70000"}, {"vers", "3"}}), {"mountport='70000'"}},
        BadOptions{{{"share", "host:/a,b"}}, {"share='host:/a,b'", "comma"}},
        BadOptions{{{"share", "a,b:/x"}}, {"share='a,b:/x'", "comma"}},
        BadOptions{{{"share", "-host:/x"}}, {"'-'"}},
        BadOptions{{{"share", "host:/a/../../etc"}}, {"'..'"}},
        BadOptions{{{"share", "host:/a\n"}}, {"control"}}),
    NamedByIndex());

// ---------------------------------------------------------------------------------------------
// Mode and version.

struct ModeCase {
    Options options;
    MountMode default_mode;
    MountMode mode;
    NfsVersion version;
};

class ModeAndVersion : public ::testing::TestWithParam<ModeCase> {};

TEST_P(ModeAndVersion, AreResolved) {
    const VolumeSpec spec = parse(with_share(GetParam().options), GetParam().default_mode);
    EXPECT_EQ(spec.mode, GetParam().mode);
    EXPECT_EQ(spec.version, GetParam().version);
}

constexpr MountMode kKernel = MountMode::kernel;
constexpr MountMode kFuse = MountMode::fuse;
constexpr MountMode kAuto = MountMode::auto_select;

INSTANTIATE_TEST_SUITE_P(
    VolumeSpec, ModeAndVersion,
    // NFSv4.1 unless vers says otherwise, in every mode.
    ::testing::Values(ModeCase{{}, kKernel, kKernel, NfsVersion::v4_1},
                      ModeCase{{}, kFuse, kFuse, NfsVersion::v4_1},
                      ModeCase{{}, kAuto, kAuto, NfsVersion::v4_1},
                      ModeCase{{{"mode", "fuse"}}, kKernel, kFuse, NfsVersion::v4_1},
                      ModeCase{{{"mode", "fuse"}, {"vers", "4"}}, kKernel, kFuse, NfsVersion::v4_1},
                      ModeCase{{{"vers", "4.1"}}, kFuse, kFuse, NfsVersion::v4_1},
                      ModeCase{{{"mode", "kernel"}}, kFuse, kKernel, NfsVersion::v4_1},
                      ModeCase{{{"mode", "auto"}}, kKernel, kAuto, NfsVersion::v4_1},
                      ModeCase{{{"vers", "4"}}, kKernel, kKernel, NfsVersion::v4_1},
                      ModeCase{{{"vers", "4.1"}}, kKernel, kKernel, NfsVersion::v4_1},
                      ModeCase{{{"vers", "4.0"}}, kKernel, kKernel, NfsVersion::v4_0},
                      ModeCase{{{"vers", "3"}}, kKernel, kKernel, NfsVersion::v3},
                      ModeCase{
                          {{"vers", "4.0"}, {"mode", "auto"}}, kKernel, kAuto, NfsVersion::v4_0},
                      ModeCase{{{"vers", "4.1"}}, kAuto, kAuto, NfsVersion::v4_1},
                      ModeCase{{{"vers", "3"}, {"mode", "auto"}}, kFuse, kAuto, NfsVersion::v3},
                      ModeCase{{{"vers", "3"}, {"mode", "fuse"}}, kKernel, kFuse, NfsVersion::v3},
                      ModeCase{{{"vers", "3"}}, kFuse, kFuse, NfsVersion::v3}),
    NamedByIndex());

INSTANTIATE_TEST_SUITE_P(
    ModeAndVersion, BadOption,
    ::testing::Values(
        BadOptions{with_share({{"mode", "Kernel"}}), {"mode='Kernel'", "kernel, fuse and auto"}},
        BadOptions{with_share({{"mode", ""}}), {"mode=''"}},
        BadOptions{with_share({{"mode", "nfs"}}), {"mode='nfs'"}},
        BadOptions{with_share({{"mode", "fuse"}, {"vers", "4.0"}}),
                   {"vers='4.0'", "NFSv4.0 is not supported by nfsfuse", "vers=4.1", "vers=3",
                    "mode=kernel"}},
        BadOptions{with_share({{"vers", "4.0"}}),
                   {"vers='4.0'", "NFSv4.0 is not supported by nfsfuse"},
                   MountMode::fuse},
        BadOptions{with_share({{"vers", "2"}}), {"vers='2'", "valid versions are"}},
        BadOptions{with_share({{"vers", "4.2"}}), {"vers='4.2'", "valid versions are"}},
        BadOptions{with_share({{"vers", ""}}), {"vers=''"}},
        BadOptions{with_share({{"vers", "v3"}}), {"vers='v3'"}},
        BadOptions{with_share({{"vers", "3,addr=1.2.3.4"}}), {"vers='3,addr=1.2.3.4'"}}),
    NamedByIndex());

// ---------------------------------------------------------------------------------------------
// port, ro, uid, gid, soft, hard, timeo, retrans.

struct GoodScalar {
    Options options;
    MountMode mode;
    std::function<void(const VolumeSpec&)> check;
};

class GoodScalarOption : public ::testing::TestWithParam<GoodScalar> {};

TEST_P(GoodScalarOption, IsStored) {
    GetParam().check(parse(with_share(GetParam().options), GetParam().mode));
}

INSTANTIATE_TEST_SUITE_P(
    VolumeSpec, GoodScalarOption,
    ::testing::Values(
        GoodScalar{{},
                   kKernel,
                   [](const VolumeSpec& spec) {
                       EXPECT_FALSE(spec.port);
                       EXPECT_FALSE(spec.read_only);
                       EXPECT_FALSE(spec.uid);
                       EXPECT_FALSE(spec.gid);
                       EXPECT_FALSE(spec.hard);
                       EXPECT_FALSE(spec.timeo);
                       EXPECT_FALSE(spec.retrans);
                       EXPECT_TRUE(spec.kernel_options.empty());
                       EXPECT_TRUE(spec.fuse_options.empty());
                   }},
        GoodScalar{
            {{"port", "1"}}, kKernel, [](const VolumeSpec& spec) { EXPECT_EQ(spec.port, 1); }},
        GoodScalar{{{"port", "65535"}},
                   kKernel,
                   [](const VolumeSpec& spec) { EXPECT_EQ(spec.port, 65535); }},
        GoodScalar{{{"port", "02049"}},
                   kKernel,
                   [](const VolumeSpec& spec) { EXPECT_EQ(spec.port, 2049); }},
        GoodScalar{
            {{"ro", ""}}, kKernel, [](const VolumeSpec& spec) { EXPECT_TRUE(spec.read_only); }},
        GoodScalar{
            {{"ro", "true"}}, kKernel, [](const VolumeSpec& spec) { EXPECT_TRUE(spec.read_only); }},
        GoodScalar{
            {{"ro", "1"}}, kFuse, [](const VolumeSpec& spec) { EXPECT_TRUE(spec.read_only); }},
        GoodScalar{{{"ro", "false"}},
                   kKernel,
                   [](const VolumeSpec& spec) { EXPECT_FALSE(spec.read_only); }},
        GoodScalar{
            {{"ro", "0"}}, kKernel, [](const VolumeSpec& spec) { EXPECT_FALSE(spec.read_only); }},
        GoodScalar{{{"uid", "0"}, {"gid", "4294967294"}},
                   kFuse,
                   [](const VolumeSpec& spec) {
                       EXPECT_EQ(spec.uid, 0u);
                       EXPECT_EQ(spec.gid, 4294967294u);
                   }},
        GoodScalar{{{"uid", "1000"}},
                   kAuto,
                   [](const VolumeSpec& spec) {
                       EXPECT_EQ(spec.uid, 1000u);
                       EXPECT_FALSE(spec.gid);
                   }},
        GoodScalar{{{"hard", ""}}, kKernel, [](const VolumeSpec& spec) { EXPECT_TRUE(spec.hard); }},
        GoodScalar{
            {{"hard", "true"}}, kKernel, [](const VolumeSpec& spec) { EXPECT_TRUE(spec.hard); }},
        GoodScalar{
            {{"hard", "false"}}, kKernel, [](const VolumeSpec& spec) { EXPECT_FALSE(spec.hard); }},
        GoodScalar{
            {{"soft", ""}}, kKernel, [](const VolumeSpec& spec) { EXPECT_FALSE(spec.hard); }},
        GoodScalar{
            {{"soft", "0"}}, kKernel, [](const VolumeSpec& spec) { EXPECT_TRUE(spec.hard); }},
        GoodScalar{{{"soft", "1"}, {"hard", "0"}},
                   kKernel,
                   [](const VolumeSpec& spec) { EXPECT_FALSE(spec.hard); }},
        GoodScalar{{{"soft", "false"}, {"hard", "true"}},
                   kKernel,
                   [](const VolumeSpec& spec) { EXPECT_TRUE(spec.hard); }},
        GoodScalar{{{"timeo", "1"}, {"retrans", "0"}},
                   kKernel,
                   [](const VolumeSpec& spec) {
                       EXPECT_EQ(spec.timeo, 1u);
                       EXPECT_EQ(spec.retrans, 0u);
                   }},
        GoodScalar{{{"timeo", "36000"}, {"retrans", "10"}},
                   kFuse,
                   [](const VolumeSpec& spec) {
                       EXPECT_EQ(spec.timeo, 36000u);
                       EXPECT_EQ(spec.retrans, 10u);
                   }},
        GoodScalar{{{"subdir", "a"}},
                   kKernel,
                   [](const VolumeSpec& spec) { EXPECT_EQ(spec.subdir, "a"); }},
        GoodScalar{{{"subdir", "volumes/db/data"}},
                   kKernel,
                   [](const VolumeSpec& spec) { EXPECT_EQ(spec.subdir, "volumes/db/data"); }},
        GoodScalar{{{"subdir", "..a/b../.hidden/c.d"}},
                   kFuse,
                   [](const VolumeSpec& spec) { EXPECT_EQ(spec.subdir, "..a/b../.hidden/c.d"); }},
        GoodScalar{{{"subdir", std::string(1024, 's')}},
                   kKernel,
                   [](const VolumeSpec& spec) { EXPECT_EQ(spec.subdir.size(), 1024u); }}),
    NamedByIndex());

INSTANTIATE_TEST_SUITE_P(
    Scalars, BadOption,
    ::testing::Values(
        BadOptions{with_share({{"port", "0"}}), {"port='0'", "from 1 to 65535"}},
        BadOptions{with_share({{"port", "65536"}}), {"port='65536'", "out of range"}},
        BadOptions{with_share({{"port", ""}}), {"port=''", "decimal number"}},
        BadOptions{with_share({{"port", "-1"}}), {"port='-1'", "decimal number"}},
        BadOptions{with_share({{"port", "+1"}}), {"port='+1'"}},
        BadOptions{with_share({{"port", "0x10"}}), {"port='0x10'"}},
        BadOptions{with_share({{"port", " 1"}}), {"port=' 1'"}},
        BadOptions{with_share({{"port", "2049,vers=3"}}), {"port='2049,vers=3'"}},
        BadOptions{with_share({{"port", "99999999999999999999999"}}), {"out of range"}},
        BadOptions{with_share({{"ro", "yes"}}), {"ro='yes'", "true, false, 1, 0"}},
        BadOptions{with_share({{"ro", "2"}}), {"ro='2'"}},
        BadOptions{with_share({{"ro", "TRUE"}}), {"ro='TRUE'"}},
        BadOptions{with_share({{"uid", "4294967295"}}), {"uid='4294967295'", "4294967294"}, kFuse},
        BadOptions{with_share({{"uid", "-1"}}), {"uid='-1'"}, kFuse},
        BadOptions{with_share({{"gid", "abc"}}), {"gid='abc'"}, kFuse},
        BadOptions{with_share({{"gid", ""}}), {"gid=''"}, kFuse},
        BadOptions{with_share({{"uid", "1000"}}), {"uid='1000'", "mode=fuse"}, kKernel},
        BadOptions{with_share({{"gid", "1000"}}), {"gid='1000'", "mode=fuse"}, kKernel},
        BadOptions{with_share({{"soft", ""}, {"hard", ""}}), {"hard=''", "soft=''", "either"}},
        BadOptions{with_share({{"soft", "true"}, {"hard", "1"}}), {"hard='1'", "soft='true'"}},
        BadOptions{with_share({{"soft", "false"}, {"hard", "false"}}), {"either soft or hard"}},
        BadOptions{with_share({{"soft", "maybe"}}), {"soft='maybe'"}},
        BadOptions{with_share({{"hard", "on"}}), {"hard='on'"}},
        BadOptions{with_share({{"timeo", "0"}}), {"timeo='0'", "from 1 to 36000"}},
        BadOptions{with_share({{"timeo", "36001"}}), {"timeo='36001'", "out of range"}},
        BadOptions{with_share({{"retrans", "11"}}), {"retrans='11'", "from 0 to 10"}},
        BadOptions{with_share({{"retrans", "x"}}), {"retrans='x'", "decimal"}}),
    NamedByIndex());

INSTANTIATE_TEST_SUITE_P(
    Subdir, BadOption,
    ::testing::Values(BadOptions{with_share({{"subdir", "/abs"}}), {"subdir='/abs'", "'/'"}},
                      BadOptions{with_share({{"subdir", "../x"}}), {"subdir='../x'", "'..'"}},
                      BadOptions{with_share({{"subdir", "a/../../b"}}), {"'..' component"}},
                      BadOptions{with_share({{"subdir", "a/./b"}}), {"'.' component"}},
                      BadOptions{with_share({{"subdir", "."}}), {"subdir='.'"}},
                      BadOptions{with_share({{"subdir", ".."}}), {"subdir='..'"}},
                      BadOptions{with_share({{"subdir", "a//b"}}), {"empty component"}},
                      BadOptions{with_share({{"subdir", "a/"}}), {"empty component"}},
                      BadOptions{with_share({{"subdir", ""}}), {"subdir=''", "empty"}},
                      BadOptions{with_share({{"subdir", "a,b"}}), {"subdir='a,b'", "comma"}},
                      BadOptions{with_share({{"subdir", "a,vers=3"}}), {"comma"}},
                      BadOptions{with_share({{"subdir", "a\nb"}}), {"'a\\nb'", "control"}},
                      BadOptions{with_share({{"subdir", std::string("a\0b", 3)}}), {"control"}},
                      BadOptions{with_share({{"subdir", std::string(1025, 's')}}),
                                 {"longer than 1024"}}),
    NamedByIndex());

// ---------------------------------------------------------------------------------------------
// nfsopts: the kernel option whitelist.

struct GoodList {
    std::string list;
    std::vector<std::string> items;
};

class GoodNfsOpts : public ::testing::TestWithParam<GoodList> {};

TEST_P(GoodNfsOpts, AreKeptInOrder) {
    for (const MountMode mode : {kKernel, kAuto}) {
        const VolumeSpec spec = parse(with_share({{"nfsopts", GetParam().list}}), mode);
        EXPECT_EQ(spec.kernel_options, GetParam().items);
    }
}

INSTANTIATE_TEST_SUITE_P(
    VolumeSpec, GoodNfsOpts,
    ::testing::Values(
        GoodList{"noac", {"noac"}},
        GoodList{"noac,actimeo=30,lookupcache=positive",
                 {"noac", "actimeo=30", "lookupcache=positive"}},
        GoodList{"ac,nocto,cto,sharecache,nosharecache,resvport,noresvport,fsc,nofsc,noatime,"
                 "nodiratime,relatime",
                 {"ac", "nocto", "cto", "sharecache", "nosharecache", "resvport", "noresvport",
                  "fsc", "nofsc", "noatime", "nodiratime", "relatime"}},
        GoodList{"lookupcache=all,lookupcache=none", {"lookupcache=all", "lookupcache=none"}},
        GoodList{"local_lock=none,local_lock=all,local_lock=flock,local_lock=posix",
                 {"local_lock=none", "local_lock=all", "local_lock=flock", "local_lock=posix"}},
        GoodList{"acregmin=0,acregmax=3600,acdirmin=1,acdirmax=60",
                 {"acregmin=0", "acregmax=3600", "acdirmin=1", "acdirmax=60"}},
        GoodList{"rsize=1048576,wsize=1024,nconnect=16",
                 {"rsize=1048576", "wsize=1024", "nconnect=16"}},
        GoodList{"nconnect=1", {"nconnect=1"}}),
    NamedByIndex());

// Volumes are always mounted nosuid,nodev (mount flags, not NFS options): asking for it changes
// nothing and puts nothing into the option string.
TEST(VolumeSpec, NosuidAndNodevInNfsOptsAreAcceptedAndAlreadySet) {
    for (const MountMode mode : {kKernel, kAuto}) {
        EXPECT_EQ(parse(with_share({{"nfsopts", "nosuid,noac,nodev"}}), mode).kernel_options,
                  std::vector<std::string>{"noac"});
        EXPECT_TRUE(parse(with_share({{"nfsopts", "nodev,nosuid"}}), mode).kernel_options.empty());
    }
}

struct BadList {
    std::string list;
    std::vector<std::string> expected;
};

void PrintTo(const BadList& param, std::ostream* out) {
    *out << "list '" << param.list << "'";
}

class BadNfsOpts : public ::testing::TestWithParam<BadList> {};

TEST_P(BadNfsOpts, AreRefused) {
    std::vector<std::string> expected = GetParam().expected;
    if (GetParam().list.find('\n') == std::string::npos) {
        expected.push_back("nfsopts='" + GetParam().list + "'");
    }
    expect_contains_all(parse_error(with_share({{"nfsopts", GetParam().list}})), expected);
}

INSTANTIATE_TEST_SUITE_P(
    VolumeSpec, BadNfsOpts,
    ::testing::Values(
        BadList{"addr=1.2.3.4", {"'addr=1.2.3.4'", "driver sets it", "allowed options are"}},
        BadList{"vers=3", {"'vers=3'", "driver sets it"}}, BadList{"nfsvers=3", {"driver sets it"}},
        BadList{"minorversion=0", {"driver sets it"}},
        BadList{"suid", {"'suid'", "not allowed", "always mounted nosuid"}},
        BadList{"noac,dev", {"'dev'", "not allowed", "always mounted nodev"}},
        BadList{"exec", {"not allowed"}}, BadList{"noexec", {"not allowed"}},
        BadList{"proto=udp", {"driver sets it"}}, BadList{"udp", {"TCP"}},
        BadList{"port=1", {"driver sets it"}}, BadList{"soft", {"driver sets it"}},
        BadList{"hard", {"driver sets it"}}, BadList{"timeo=1", {"driver sets it"}},
        BadList{"retrans=1", {"driver sets it"}}, BadList{"clientaddr=1.2.3.4", {"driver sets it"}},
        BadList{"mountport=1", {"driver sets it"}}, BadList{"mountproto=udp", {"driver sets it"}},
        BadList{"lock", {"driver sets it"}}, BadList{"sec=krb5", {"not allowed"}},
        BadList{"ro", {"driver sets it"}}, BadList{"rw", {"driver sets it"}},
        BadList{"context=system_u:object_r:nfs_t:s0", {"not allowed"}},
        BadList{"foo", {"'foo'", "unknown or not allowed"}},
        BadList{"noac,addr=1.2.3.4", {"'addr=1.2.3.4'", "driver sets it"}},
        BadList{"noac,", {"empty option"}}, BadList{",noac", {"empty option"}},
        BadList{"noac,,ac", {"empty option"}}, BadList{"", {"empty option"}},
        BadList{"noac=1", {"'noac=1'", "takes no value"}},
        BadList{"actimeo", {"'actimeo'", "decimal number from 0 to 3600"}},
        BadList{"actimeo=", {"decimal number"}},
        BadList{"actimeo=3601", {"'actimeo=3601'", "out of range"}},
        BadList{"actimeo=1=2", {"'actimeo=1=2'", "'=' inside the value"}},
        BadList{"lookupcache=all=x", {"'=' inside the value"}},
        BadList{"actimeo=0x10", {"decimal number"}}, BadList{"actimeo=-1", {"decimal number"}},
        BadList{"rsize=512", {"out of range", "from 1024 to 1048576"}},
        BadList{"wsize=2097152", {"out of range"}},
        BadList{"nconnect=17", {"out of range", "from 1 to 16"}},
        BadList{"nconnect=0", {"out of range"}},
        BadList{"lookupcache=maybe", {"'lookupcache=maybe'", "all, none, positive"}},
        BadList{"lookupcache", {"all, none, positive"}},
        BadList{"local_lock=both", {"none, all, flock, posix"}},
        BadList{"noac\n", {"nfsopts='noac\\n'", "control"}},
        BadList{"no ac", {"unknown or not allowed"}}),
    NamedByIndex());

TEST(VolumeSpec, NfsOptsDoNotApplyToFuseMode) {
    expect_contains_all(parse_error(with_share({{"nfsopts", "noac"}, {"mode", "fuse"}})),
                        {"nfsopts='noac'", "mode=fuse"});
}

// ---------------------------------------------------------------------------------------------
// fuseopts: checked by nfsfuse's own parser, minus what the driver controls.

class GoodFuseOpts : public ::testing::TestWithParam<GoodList> {};

TEST_P(GoodFuseOpts, AreKeptInOrder) {
    for (const MountMode mode : {kFuse, kAuto}) {
        const VolumeSpec spec = parse(with_share({{"fuseopts", GetParam().list}}), mode);
        EXPECT_EQ(spec.fuse_options, GetParam().items);
    }
}

INSTANTIATE_TEST_SUITE_P(
    VolumeSpec, GoodFuseOpts,
    ::testing::Values(GoodList{"debug", {"debug"}},
                      GoodList{"default_permissions,noatime", {"default_permissions", "noatime"}},
                      GoodList{"max_read=131072", {"max_read=131072"}},
                      GoodList{"nosuid,nodev,noexec", {"nosuid", "nodev", "noexec"}},
                      GoodList{"x-systemd.automount", {"x-systemd.automount"}}),
    NamedByIndex());

class BadFuseOpts : public ::testing::TestWithParam<BadList> {};

TEST_P(BadFuseOpts, AreRefused) {
    std::vector<std::string> expected = GetParam().expected;
    if (GetParam().list.find('\n') == std::string::npos) {
        expected.push_back("fuseopts='" + GetParam().list + "'");
    }
    expect_contains_all(parse_error(with_share({{"fuseopts", GetParam().list}}), kFuse), expected);
}

INSTANTIATE_TEST_SUITE_P(
    VolumeSpec, BadFuseOpts,
    ::testing::Values(BadList{"allow_root", {"'allow_root'", "allow_other"}},
                      BadList{"allow_other", {"'allow_other'", "always mounts with allow_other"}},
                      BadList{"vers=4", {"'vers=4'", "use the vers volume option"}},
                      BadList{"nfsvers=3", {"use the vers volume option"}},
                      BadList{"port=2049", {"use the port volume option"}},
                      BadList{"mountport=20048", {"mountport volume option"}},
                      BadList{"ro", {"use the ro volume option"}}, BadList{"rw", {"ro=false"}},
                      BadList{"uid=0", {"use the uid volume option"}},
                      BadList{"gid=0", {"use the gid volume option"}},
                      BadList{"soft", {"use the soft volume option"}},
                      BadList{"hard", {"use the hard volume option"}},
                      BadList{"timeo=1", {"use the timeo volume option"}},
                      BadList{"retrans=1", {"use the retrans volume option"}},
                      BadList{"fsname=x", {"driver sets it"}},
                      BadList{"subtype=x", {"driver sets it"}}, BadList{"suid", {"nosuid"}},
                      BadList{"dev", {"nodev"}}, BadList{"debug,allow_root", {"'allow_root'"}},
                      BadList{"bogus", {"unknown mount option 'bogus'"}},
                      BadList{"max_read=0", {"'max_read=0'", "out of range"}},
                      BadList{"debug=1", {"takes no value"}}, BadList{"debug,", {"empty option"}},
                      BadList{"", {"empty option"}},
                      BadList{"a\nb", {"fuseopts='a\\nb'", "control"}},
                      BadList{"norelatime", {"'norelatime'"}}),
    NamedByIndex());

TEST(VolumeSpec, FuseOptsDoNotApplyToKernelMode) {
    expect_contains_all(parse_error(with_share({{"fuseopts", "debug"}})),
                        {"fuseopts='debug'", "mode=kernel"});
}

// ---------------------------------------------------------------------------------------------
// cow and volatile: a copy-on-write layer over the share, and whether it outlives its last user.

TEST(VolumeSpec, CowAndVolatileAreOffByDefault) {
    const VolumeSpec spec = parse(with_share({}));
    EXPECT_FALSE(spec.cow);
    EXPECT_FALSE(spec.volatile_upper);
}

TEST(VolumeSpec, CowAndVolatileTakeBooleans) {
    const VolumeSpec cow = parse(with_share({{"cow", ""}}), MountMode::fuse);
    EXPECT_TRUE(cow.cow);
    EXPECT_FALSE(cow.volatile_upper);
    EXPECT_FALSE(cow.read_only) << "the volume is writable; only its share is mounted read-only";
    const VolumeSpec both = parse(with_share({{"cow", "true"}, {"volatile", "1"}}));
    EXPECT_TRUE(both.cow);
    EXPECT_TRUE(both.volatile_upper);
    EXPECT_FALSE(parse(with_share({{"cow", "false"}})).cow);
    EXPECT_FALSE(parse(with_share({{"volatile", "false"}})).volatile_upper);
    expect_contains_all(parse_error(with_share({{"cow", "yes"}})), {"cow='yes'", "expected true"});
    expect_contains_all(parse_error(with_share({{"cow", "1"}, {"volatile", "maybe"}})),
                        {"volatile='maybe'", "expected true"});
}

TEST(VolumeSpec, VolatileWithoutCowIsRefused) {
    for (const Options& options :
         {with_share({{"volatile", ""}}), with_share({{"volatile", "true"}, {"cow", "false"}})}) {
        expect_contains_all(parse_error(options),
                            {"volatile=", "only with cow=true", "never discarded"});
    }
}

TEST(VolumeSpec, ReadOnlyCowIsRefused) {
    for (const Options& options :
         {with_share({{"cow", ""}, {"ro", ""}}), with_share({{"cow", "true"}, {"ro", "1"}})}) {
        expect_contains_all(parse_error(options), {"ro=", "cow", "writable"});
    }
    EXPECT_TRUE(parse(with_share({{"cow", ""}, {"ro", "false"}})).cow);
}

TEST(VolumeSpec, TheLowerLayerIsTheShareReadOnly) {
    const VolumeSpec spec = parse(with_share({{"cow", ""}, {"volatile", ""}, {"subdir", "a/b"}}));
    const VolumeSpec lower = lower_layer_of(spec);
    EXPECT_TRUE(lower.read_only);
    EXPECT_FALSE(lower.cow);
    EXPECT_FALSE(lower.volatile_upper);
    EXPECT_EQ(lower.subdir, "a/b");
    EXPECT_EQ(share_of(lower), share_of(spec));
}

// ---------------------------------------------------------------------------------------------
// Unknown keys and the whole picture.

TEST(VolumeSpec, UnknownKeyListsTheValidOnes) {
    const std::string message = parse_error(with_share({{"bogus", "1"}}));
    expect_contains_all(message,
                        {"unknown option 'bogus'",
                         "valid options are: server, path, share, mode, vers, port, mountport, "
                         "ro, uid, gid, soft, hard, timeo, retrans, subdir, nfsopts, "
                         "fuseopts, cow, volatile"});
}

TEST(VolumeSpec, UnknownKeysAreQuotedSafely) {
    expect_contains_all(parse_error(with_share({{"o", "addr=1.2.3.4"}})), {"unknown option 'o'"});
    expect_contains_all(parse_error(with_share({{"x\ny", ""}})), {"unknown option 'x\\ny'"});
    expect_contains_all(parse_error(with_share({{"Server", "h"}})), {"unknown option 'Server'"});
    // An unknown key is reported even when server and path are missing.
    expect_contains_all(parse_error({{"addr", "1.2.3.4"}}), {"unknown option 'addr'"});
}

TEST(VolumeSpec, LongValuesAreQuotedShort) {
    const std::string message = parse_error(with_share({{"port", std::string(100000, '9')}}));
    EXPECT_LT(message.size(), 1000u);
    expect_contains_all(message, {"port='999", "100000 bytes"});
}

TEST(VolumeSpec, EverythingAtOnce) {
    const VolumeSpec spec = parse({{"share", "[fd00::5]:/exports"},
                                   {"mode", "auto"},
                                   {"vers", "3"},
                                   {"port", "2049"},
                                   {"ro", ""},
                                   {"uid", "1000"},
                                   {"gid", "100"},
                                   {"hard", ""},
                                   {"timeo", "50"},
                                   {"retrans", "5"},
                                   {"subdir", "vol/one"},
                                   {"nfsopts", "noac,nconnect=4"},
                                   {"fuseopts", "debug"}},
                                  MountMode::kernel);
    EXPECT_EQ(spec.server, "fd00::5");
    EXPECT_EQ(spec.export_path, "/exports");
    EXPECT_EQ(spec.subdir, "vol/one");
    EXPECT_EQ(spec.mode, MountMode::auto_select);
    EXPECT_EQ(spec.version, NfsVersion::v3);
    EXPECT_EQ(spec.port, 2049);
    EXPECT_TRUE(spec.read_only);
    EXPECT_EQ(spec.uid, 1000u);
    EXPECT_EQ(spec.gid, 100u);
    EXPECT_TRUE(spec.hard);
    EXPECT_EQ(spec.timeo, 50u);
    EXPECT_EQ(spec.retrans, 5u);
    EXPECT_EQ(spec.kernel_options, (std::vector<std::string>{"noac", "nconnect=4"}));
    EXPECT_EQ(spec.fuse_options, (std::vector<std::string>{"debug"}));
}

TEST(VolumeSpec, ParsingIsRepeatable) {
    // The driver parses the persisted raw options again at start-up: same input, same spec.
    const Options options = with_share({{"nfsopts", "noac"}, {"subdir", "a/b"}, {"ro", ""}});
    const VolumeSpec first = parse(options);
    const VolumeSpec second = parse(options);
    EXPECT_EQ(first.server, second.server);
    EXPECT_EQ(first.subdir, second.subdir);
    EXPECT_EQ(first.kernel_options, second.kernel_options);
    EXPECT_EQ(first.read_only, second.read_only);
}

}  // namespace
}  // namespace nfsfuse::driver
