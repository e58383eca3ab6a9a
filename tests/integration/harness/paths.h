// Where the programs under test and the test tools are. Built in at compile time by CMake; the
// environment may override them (NFSFUSE_IT_BINARY, NFSFUSE_IT_GANESHA_SCRIPT).
// Thread-safety: pure functions.
#pragma once

#include <filesystem>

namespace nfsfuse::it {

std::filesystem::path nfsfuse_binary();
std::filesystem::path ganesha_script();
// nfsfuse-driver (env NFSFUSE_IT_DRIVER overrides).
std::filesystem::path driver_binary();
// nfsfuse-driver-faults, the driver's test build that kills itself at a named step (env
// NFSFUSE_IT_DRIVER_FAULTS overrides).
std::filesystem::path driver_with_fault_points_binary();

}  // namespace nfsfuse::it
