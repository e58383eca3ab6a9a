// Table-driven tests: one row of an errno test (a system call on paths under a directory and the
// errno it must fail with), and printing and naming of any parameter struct with a `name`.
// Thread-safety: value type.
#pragma once

#include <gtest/gtest.h>

#include <concepts>
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>

#include "harness/syscall_check.h"

namespace nfsfuse::it {

struct ErrnoCase {
    std::string name;  // [A-Za-z0-9_] only: it becomes part of the test name
    std::function<SysCall(const std::filesystem::path& dir)> call;
    int expected_errno;
};

// open(2) for an ErrnoCase: closes what it unexpectedly opened; the result still says it succeeded.
SysCall open_and_close(const std::filesystem::path& path, int flags);

// Test parameters are structs with a `name`: gtest prints that instead of their raw bytes.
template <class Case>
requires requires(const Case& param) {
    { param.name } -> std::convertible_to<std::string>;
}
std::ostream& operator<<(std::ostream& out, const Case& param) {
    return out << param.name;
}

// Name generator for INSTANTIATE_TEST_SUITE_P over any parameter with a `name` member.
struct ParamName {
    template <class Param>
    std::string operator()(const ::testing::TestParamInfo<Param>& info) const {
        return info.param.name;
    }
};

}  // namespace nfsfuse::it
