// A MountedTest with a ganesha of its own, in its own directory on its own ports: the test may
// stop and restart it (an outage) or configure it (a short lease) without disturbing any other
// test. TearDown brings a stopped server back first, so nfsfuse can flush and unmount normally.
#pragma once

#include <memory>

#include "harness/ganesha_server.h"
#include "harness/mounted_test.h"

namespace nfsfuse::it {

class OwnServerTest : public MountedTest {
  protected:
    void SetUp() override;
    void TearDown() override;
    GaneshaServer& server() override { return *own_server_; }

    // The configuration of this test's server.
    virtual GaneshaSettings server_settings() const { return {}; }

  private:
    std::unique_ptr<GaneshaServer> own_server_;
};

}  // namespace nfsfuse::it
