// The one error type of nfsfuse: an errno value plus a message for humans.
// Thread-safety: immutable after construction. Thrown by value, caught by reference; the FUSE layer
// turns it into a reply errno and the driver into an {"Err": ...} body, each at exactly one place.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

namespace nfsfuse {

class Error : public std::runtime_error {
  public:
    Error(int errnum, const std::string& message) : std::runtime_error(message), errno_(errnum) {}

    // The POSIX errno this error maps to (always > 0).
    int errnum() const noexcept { return errno_; }

  private:
    int errno_;
};

// Shorthand for the many places that reject bad user input.
inline Error invalid_argument(const std::string& message) {
    return Error(EINVAL, message);
}

}  // namespace nfsfuse
