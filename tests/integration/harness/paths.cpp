#include "harness/paths.h"

#include <cstdlib>

#ifndef NFSFUSE_IT_BINARY_PATH
#error "NFSFUSE_IT_BINARY_PATH must be defined by tests/integration/CMakeLists.txt"
#endif
#ifndef NFSFUSE_IT_DRIVER_PATH
#error "NFSFUSE_IT_DRIVER_PATH must be defined by tests/integration/CMakeLists.txt"
#endif
#ifndef NFSFUSE_IT_DRIVER_FAULTS_PATH
#error "NFSFUSE_IT_DRIVER_FAULTS_PATH must be defined by tests/integration/CMakeLists.txt"
#endif
#ifndef NFSFUSE_IT_GANESHA_SCRIPT_PATH
#error "NFSFUSE_IT_GANESHA_SCRIPT_PATH must be defined by tests/integration/CMakeLists.txt"
#endif

namespace nfsfuse::it {
namespace {

std::filesystem::path from_environment_or(const char* variable, const char* built_in) {
    const char* value = std::getenv(variable);
    return value && *value ? value : built_in;
}

}  // namespace

std::filesystem::path nfsfuse_binary() {
    return from_environment_or("NFSFUSE_IT_BINARY", NFSFUSE_IT_BINARY_PATH);
}

std::filesystem::path driver_binary() {
    return from_environment_or("NFSFUSE_IT_DRIVER", NFSFUSE_IT_DRIVER_PATH);
}

std::filesystem::path driver_with_fault_points_binary() {
    return from_environment_or("NFSFUSE_IT_DRIVER_FAULTS", NFSFUSE_IT_DRIVER_FAULTS_PATH);
}

std::filesystem::path ganesha_script() {
    return from_environment_or("NFSFUSE_IT_GANESHA_SCRIPT", NFSFUSE_IT_GANESHA_SCRIPT_PATH);
}

}  // namespace nfsfuse::it
