#include "harness/own_server_test.h"

#include "harness/process_resources.h"

namespace nfsfuse::it {

void OwnServerTest::SetUp() {
    // Before MountedTest::SetUp, which mounts server().
    own_server_ = std::make_unique<GaneshaServer>(scratch_root() / current_test_dir_name(),
                                                  server_settings());
    MountedTest::SetUp();
}

void OwnServerTest::TearDown() {
    if (own_server_ && !own_server_->running()) own_server_->start();
    MountedTest::TearDown();
    own_server_.reset();
}

}  // namespace nfsfuse::it
