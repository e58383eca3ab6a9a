// The errno of the nfsfuse::Error an action throws, for tests of the protocol clients that call
// them directly (no mount, no system call).
// Thread-safety: a pure function.
#pragma once

#include <functional>
#include <optional>

#include "util/error.h"

namespace nfsfuse::it {

// 0 when `action` throws nothing; other exceptions pass through.
int errno_of(const std::function<void()>& action);
// The error itself, for tests that check its message too; empty when `action` throws nothing.
std::optional<Error> error_thrown_by(const std::function<void()>& action);

}  // namespace nfsfuse::it
