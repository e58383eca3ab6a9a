#include "harness/errno_case.h"

#include <fcntl.h>
#include <unistd.h>

namespace nfsfuse::it {

SysCall open_and_close(const std::filesystem::path& path, int flags) {
    const SysCall call = SYSCALL(::open(path.c_str(), flags | O_CLOEXEC, 0644));
    if (call.result >= 0) ::close(static_cast<int>(call.result));
    return call;
}

}  // namespace nfsfuse::it
