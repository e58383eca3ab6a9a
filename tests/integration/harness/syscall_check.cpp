#include "harness/syscall_check.h"

#include <cstring>

namespace nfsfuse::it {

std::string errno_text(int error_number) {
    if (error_number == 0) return "0 (success)";
    const char* name = ::strerrorname_np(error_number);
    return std::string(name ? name : std::to_string(error_number)) + " (" +
           std::strerror(error_number) + ")";
}

::testing::AssertionResult succeeds(const SysCall& call) {
    if (call.result >= 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << call.text << " failed: " << errno_text(call.error);
}

::testing::AssertionResult fails_with(const SysCall& call, int expected_errno) {
    if (call.result >= 0) {
        return ::testing::AssertionFailure()
               << call.text << " returned " << call.result << ", expected failure with "
               << errno_text(expected_errno);
    }
    if (call.error != expected_errno) {
        return ::testing::AssertionFailure()
               << call.text << " failed with " << errno_text(call.error) << ", expected "
               << errno_text(expected_errno);
    }
    return ::testing::AssertionSuccess();
}

}  // namespace nfsfuse::it
