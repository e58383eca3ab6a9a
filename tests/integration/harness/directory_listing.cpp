#include "harness/directory_listing.h"

#include <dirent.h>

#include "harness/harness_error.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {

std::multiset<std::string> list_directory(const std::filesystem::path& dir) {
    DIR* stream = ::opendir(dir.c_str());
    if (!stream) throw HarnessError("opendir " + dir.string() + ": " + errno_text(errno));
    std::multiset<std::string> names;
    errno = 0;
    while (const dirent* entry = ::readdir(stream)) names.insert(entry->d_name);
    const int error = errno;
    ::closedir(stream);
    if (error != 0) throw HarnessError("readdir " + dir.string() + ": " + errno_text(error));
    return names;
}

std::multiset<std::string> without_dots(std::multiset<std::string> names) {
    names.erase(".");
    names.erase("..");
    return names;
}

}  // namespace nfsfuse::it
