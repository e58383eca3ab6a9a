// The fault-point hook of nfsfuse-driver-faults, the driver's test build (see fault_point.h):
// the process kills itself with SIGKILL when it reaches the step named by the environment
// variable NFSFUSE_FAULT_POINT, as a crash or an OOM kill would. Never linked into the release
// nfsfuse-driver.
// Thread-safety: the returned hook may be called from any thread.
#pragma once

#include "driver/fault_point.h"

namespace nfsfuse::driver {

inline constexpr const char* kFaultPointVariable = "NFSFUSE_FAULT_POINT";

// Reads the variable once; a hook that does nothing when it is unset.
FaultPoint kill_at_fault_point_from_environment();

}  // namespace nfsfuse::driver
