#include "harness/thrown_errno.h"

#include "util/error.h"

namespace nfsfuse::it {

int errno_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& error) {
        return error.errnum();
    }
    return 0;
}

}  // namespace nfsfuse::it
