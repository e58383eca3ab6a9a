// The unprivileged user the non-root tests run as ("nfsfuse-test"), created with useradd when it
// does not exist yet.
// Thread-safety: free function; call from the test thread.
#pragma once

#include "harness/spawn.h"

namespace nfsfuse::it {

inline constexpr const char* kTestUserName = "nfsfuse-test";

// Throws HarnessError when the user neither exists nor can be created.
Credentials ensure_test_user();

}  // namespace nfsfuse::it
