#include "harness/thrown_errno.h"

namespace nfsfuse::it {

int errno_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& error) {
        return error.errnum();
    }
    return 0;
}

std::optional<Error> error_thrown_by(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& error) {
        return error;
    }
    return std::nullopt;
}

}  // namespace nfsfuse::it
