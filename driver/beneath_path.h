// Opens a directory named by a relative path beneath a directory the caller trusts (the root of a
// mount of a share), never leaving it: no step follows a symbolic link, crosses into another
// mount, or climbs out with "..". Whoever can write the share decides what its paths name; the
// driver runs as root on the host, so it must not let them name host directories.
// Thread-safety: stateless; safe to call concurrently. The caller owns root_fd.
#pragma once

#include <string>

#include "driver/file_descriptor.h"

namespace nfsfuse::driver {

enum class MissingDirectories {
    refuse,  // a missing component is an error (read-only volumes never write the share)
    create,  // missing components are made, mode 0755 before the umask, like `mkdir -p`
};

// Returns an O_PATH descriptor of the directory `relative` names beneath `root_fd`. Components
// are resolved (and made) one at a time with openat2(2) and mkdirat(2) relative to their parent,
// and each made directory is opened again the same way, so a symbolic link planted between the
// two steps is caught as well.
// Throws Error naming the path up to the offending component ('team/app'):
//   ELOOP   it is a symbolic link (absolute, relative or pointing outside: all are refused)
//   ENOTDIR it is not a directory
//   ENOENT  it does not exist (MissingDirectories::refuse)
//   EXDEV   it is another mount
//   EINVAL  `relative` is empty, absolute, or has an empty, "." or ".." component
//   other   the errno of a failed openat2 or mkdirat
FileDescriptor open_directory_beneath(int root_fd, const std::string& relative,
                                      MissingDirectories missing);

}  // namespace nfsfuse::driver
