// The one exception type of the test harness: a setup step (start a server, mount, spawn a process)
// could not be done. gtest reports its what() as the test's failure, so messages say what to fix.
// Thread-safety: a value type.
#pragma once

#include <stdexcept>
#include <string>

namespace nfsfuse::it {

class HarnessError : public std::runtime_error {
  public:
    explicit HarnessError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace nfsfuse::it
