// Named steps of the volume transitions (Create, Mount, Unmount, Remove) at which a test build of
// the driver (nfsfuse-driver-faults, see kill_at_fault_point.h) kills itself, so tests can check
// that a crash at any step recovers to a state Docker agrees with. The release daemon passes no
// hook: each step is then a test of an empty std::function.
// Thread-safety: the hook is called from request threads concurrently; it must be thread-safe.
#pragma once

#include <functional>
#include <string_view>

namespace nfsfuse::driver {

// Called with the step's name, e.g. "unmount.intent-saved" (docs/ARCHITECTURE.md lists them).
using FaultPoint = std::function<void(std::string_view step)>;

}  // namespace nfsfuse::driver
