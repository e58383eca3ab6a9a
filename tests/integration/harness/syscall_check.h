// Checks on raw system calls that keep errno from the call itself and name it in the failure:
//   ASSERT_TRUE(succeeds(SYSCALL(::mkdir(path, 0755)))) << path;
//   EXPECT_TRUE(fails_with(SYSCALL(::rmdir(path)), ENOTEMPTY)) << path;
// Thread-safety: pure functions over values.
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace nfsfuse::it {

// "ENOENT (No such file or directory)"; "0 (success)" for 0.
std::string errno_text(int error_number);

// The outcome of one system call. Build it with SYSCALL(), which reads errno right after the call.
struct SysCall {
    long result;
    int error;  // errno after the call; meaningful only when result < 0
    const char* text;
};

// Success means result >= 0 (open's fd, read's count, 0 for most calls).
::testing::AssertionResult succeeds(const SysCall& call);
// The call failed (result -1) with exactly this errno.
::testing::AssertionResult fails_with(const SysCall& call, int expected_errno);

}  // namespace nfsfuse::it

// Braced initialisation is evaluated left to right, so errno is read right after the call.
#define SYSCALL(call) (::nfsfuse::it::SysCall{static_cast<long>(call), errno, #call})
