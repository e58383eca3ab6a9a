// The integration test binary: gtest plus a per-test watchdog, and release of the process-wide
// ganesha and scratch directory after the last test.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <iostream>

#include "harness/decoy_process.h"
#include "harness/harness_error.h"
#include "harness/process_resources.h"
#include "harness/run_arguments.h"
#include "harness/test_watchdog.h"

namespace {

class ReleaseProcessResources : public ::testing::Environment {
  public:
    void TearDown() override { nfsfuse::it::release_process_resources(); }
};

}  // namespace

int main(int argc, char** argv) {
    nfsfuse::it::wait_here_if_started_as_decoy();
    ::testing::InitGoogleTest(&argc, argv);
    try {
        nfsfuse::it::apply_run_arguments(argc, argv);
    } catch (const nfsfuse::it::HarnessError& error) {
        std::cerr << "nfsfuse_integration_tests: " << error.what() << "\n";
        return 2;
    }
    ::umask(022);  // tests compare file modes: do not depend on the caller's umask
    // gtest owns both and deletes them.
    ::testing::UnitTest::GetInstance()->listeners().Append(
        new nfsfuse::it::TestWatchdog(nfsfuse::it::test_budget_from_environment()));
    ::testing::AddGlobalTestEnvironment(new ReleaseProcessResources);
    return RUN_ALL_TESTS();
}
