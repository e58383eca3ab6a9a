// Component-by-component resolution beneath a trusted directory (see beneath_path.h). openat2(2)
// does the refusing: RESOLVE_NO_SYMLINKS fails on any symbolic link, including the last
// component; RESOLVE_NO_XDEV on a mount crossing; RESOLVE_BENEATH on anything that would leave the
// starting directory. Walking one component per call is what lets the error name the component.
#include "driver/beneath_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <system_error>
#include <vector>

#include "util/error.h"

namespace nfsfuse::driver {
namespace {

std::vector<std::string> components_of(const std::string& relative) {
    const auto refuse = [&](const std::string& why) {
        throw invalid_argument("'" + relative + "' " + why);
    };
    if (relative.empty()) refuse("is empty");
    if (relative.front() == '/') refuse("is not a relative path");
    std::vector<std::string> components;
    std::string_view rest = relative;
    while (true) {
        const size_t slash = rest.find('/');
        const std::string_view component = rest.substr(0, slash);
        if (component.empty() || component == "." || component == "..") {
            refuse("has an empty, '.' or '..' component");
        }
        components.emplace_back(component);
        if (slash == std::string_view::npos) return components;
        rest.remove_prefix(slash + 1);
    }
}

// openat2 of one directory entry of parent_fd; -1 with errno set on failure. glibc 2.36 has no
// wrapper. EAGAIN is the kernel's "a rename raced the lookup, try again"; EINTR a signal during a
// lookup on a FUSE share.
int open_child_directory(int parent_fd, const std::string& name) {
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV;
    constexpr int kAttempts = 8;
    long fd = -1;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        fd = ::syscall(SYS_openat2, parent_fd, name.c_str(), &how, sizeof how);
        if (fd >= 0 || (errno != EAGAIN && errno != EINTR)) break;
    }
    return static_cast<int>(fd);
}

Error component_error(int errnum, const std::string& path, const std::string& step) {
    const std::string quoted = "'" + path + "'";
    switch (errnum) {
        case ELOOP:
            return Error(errnum, quoted + " is a symbolic link, which is never followed");
        case ENOTDIR:
            return Error(errnum, quoted + " is not a directory");
        case ENOENT:
            return Error(errnum, quoted + " does not exist");
        case EXDEV:
            return Error(errnum, quoted + " is another mount");
        default:
            return Error(errnum,
                         step + " " + quoted + ": " + std::generic_category().message(errnum));
    }
}

}  // namespace

FileDescriptor open_directory_beneath(int root_fd, const std::string& relative,
                                      MissingDirectories missing) {
    const std::vector<std::string> components = components_of(relative);
    // The root itself, as a descriptor this function owns like every later one.
    FileDescriptor current(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
    if (current.get() < 0) throw component_error(errno, ".", "open");
    std::string path;
    for (const std::string& name : components) {
        path += path.empty() ? name : "/" + name;
        int child = open_child_directory(current.get(), name);
        if (child < 0 && errno == ENOENT && missing == MissingDirectories::create) {
            // EEXIST: made meanwhile by someone else; whatever it is, the open below judges it.
            if (::mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
                throw component_error(errno, path, "create");
            }
            child = open_child_directory(current.get(), name);
        }
        if (child < 0) throw component_error(errno, path, "open");
        current = FileDescriptor(child);
    }
    return current;
}

}  // namespace nfsfuse::driver
