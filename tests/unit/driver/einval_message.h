// Shared by the driver's unit tests: the message of the EINVAL Error a call must throw.
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <string>

#include "util/error.h"

namespace nfsfuse::driver::testing {

// Runs `call` and returns the message of the EINVAL Error it must throw.
inline std::string einval_message(const std::function<void()>& call) {
    try {
        call();
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), EINVAL) << error.what();
        return error.what();
    }
    ADD_FAILURE() << "expected nfsfuse::Error(EINVAL)";
    return "";
}

}  // namespace nfsfuse::driver::testing
