// The nfsfuse command line: invalid options are refused before anything is mounted, with a message
// naming the option and listing the valid ones; a mount that cannot be made fails loudly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "harness/command.h"
#include "harness/errno_case.h"
#include "harness/mount_cleanup.h"
#include "harness/mounted_test.h"
#include "harness/mountpoint.h"
#include "harness/nfsfuse_mount.h"
#include "harness/paths.h"
#include "harness/process_resources.h"

namespace nfsfuse::it {
namespace {

// gtest finds the printer of our parameter structs (errno_case.h) through this.
using ::nfsfuse::it::operator<<;

using namespace std::chrono_literals;

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class CommandLineTest : public ServerTest {
  protected:
    // Runs nfsfuse as a user would (daemonizing, no -f) and expects it to fail without mounting.
    CommandResult run_expecting_failure(const std::string& source,
                                        const std::vector<std::string>& options) {
        require_executable(nfsfuse_binary());
        Mountpoint mountpoint(scratch_root());
        auto result = run_command({nfsfuse_binary().string(), source, mountpoint.path().string(),
                                   "-o", join_options(options)},
                                  {.timeout = 30s});
        EXPECT_FALSE(result.timed_out) << result.describe();
        EXPECT_FALSE(result.status.exited_with(0)) << "expected a failure: " << result.describe();
        EXPECT_FALSE(mountpoint.mounted()) << "something got mounted: " << result.describe();
        EXPECT_TRUE(nfsfuse_processes_for(mountpoint.path()).empty())
            << "an nfsfuse process is left running: " << result.describe();
        return result;
    }
};

struct BadOptionCase {
    std::string name;
    std::string option;  // appended to the valid connection options
    std::string named;   // what stderr must mention
};

class InvalidOptionTest : public CommandLineTest,
                          public ::testing::WithParamInterface<BadOptionCase> {};

TEST_P(InvalidOptionTest, IsRefusedNamingItAndListingTheValidOnes) {
    auto options = server().connection_options();
    options.push_back(GetParam().option);
    const auto result = run_expecting_failure(server().source(), options);
    EXPECT_TRUE(contains(result.err, GetParam().named))
        << "stderr does not name '" << GetParam().named << "': " << result.describe();
    EXPECT_TRUE(contains(lowercase(result.err), "valid options"))
        << "stderr does not list the valid options: " << result.describe();
    // The list names real options.
    EXPECT_TRUE(contains(result.err, "mountport") && contains(result.err, "retrans"))
        << result.describe();
}

INSTANTIATE_TEST_SUITE_P(
    Options, InvalidOptionTest,
    ::testing::Values(BadOptionCase{"unknown_flag", "nosuchoption", "nosuchoption"},
                      BadOptionCase{"unknown_with_value", "colour=blue", "colour"},
                      BadOptionCase{"port_not_a_number", "port=abc", "port"},
                      BadOptionCase{"mountport_out_of_range", "mountport=70000", "mountport"},
                      BadOptionCase{"timeo_not_a_number", "timeo=soon", "timeo"},
                      BadOptionCase{"retrans_negative", "retrans=-1", "retrans"},
                      BadOptionCase{"unsupported_version", "vers=2", "vers"}),
    ParamName());

// NFSv4.1, the default, has no MOUNT service: an NFSv3 command line without vers=3 is refused
// before any network, saying what to add.
TEST_F(CommandLineTest, MountportWithoutVers3IsRefusedSayingToAddIt) {
    const std::string mountport = "mountport=" + std::to_string(server().mount_port());
    const auto result = run_expecting_failure(
        server().source(), {"port=" + std::to_string(server().nfs_port()), mountport});
    EXPECT_TRUE(contains(result.err, "'" + mountport + "'")) << result.describe();
    EXPECT_TRUE(contains(result.err, "add vers=3")) << result.describe();
}

// "Returns 0 once mounted": an export the server does not have is never mounted.
TEST_F(CommandLineTest, MissingExportFailsWithoutMounting) {
    const auto result =
        run_expecting_failure("127.0.0.1:/no/such/export", server().connection_options());
    EXPECT_FALSE(result.err.empty()) << "no explanation on stderr: " << result.describe();
}

}  // namespace
}  // namespace nfsfuse::it
