// The errno of the nfsfuse::Error an action throws, for tests of the protocol clients that call
// them directly (no mount, no system call).
// Thread-safety: a pure function.
#pragma once

#include <functional>

namespace nfsfuse::it {

// 0 when `action` throws nothing; other exceptions pass through.
int errno_of(const std::function<void()>& action);

}  // namespace nfsfuse::it
