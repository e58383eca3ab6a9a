#include "driver/cow_layers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "driver/file_descriptor.h"
#include "util/error.h"
#include "util/text.h"

namespace nfsfuse::driver {
namespace {

Error path_error(int errnum, const std::string& what, const std::filesystem::path& path) {
    return Error(errnum, what + " " + path.string() + ": " + std::strerror(errnum));
}

void make_directory(const std::filesystem::path& path) {
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
        throw path_error(errno, "create", path);
}

// The names in the directory `fd` (without . and ..); the descriptor stays open.
std::vector<std::string> names_in(int fd, const std::filesystem::path& shown) {
    FileDescriptor listed(::dup(fd));
    if (listed.get() < 0) throw path_error(errno, "list", shown);
    DIR* directory = ::fdopendir(listed.get());
    if (directory == nullptr) throw path_error(errno, "list", shown);
    listed.release();  // closedir closes it
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(directory)) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(directory);
    return names;
}

// Removes `name` in the directory `parent` and everything beneath it, never following a symbolic
// link and refusing any entry of a filesystem other than `device` (a mount in the tree).
void remove_tree_at(int parent, const std::string& name, dev_t device,
                    const std::filesystem::path& shown) {
    struct stat status {};
    if (::fstatat(parent, name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return;
        throw path_error(errno, "stat", shown);
    }
    if (status.st_dev != device)
        throw Error(EXDEV, shown.string() + " is another filesystem (still mounted?): not removed");
    if (!S_ISDIR(status.st_mode)) {
        if (::unlinkat(parent, name.c_str(), 0) != 0 && errno != ENOENT)
            throw path_error(errno, "remove", shown);
        return;
    }
    const FileDescriptor directory(
        ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (directory.get() < 0) throw path_error(errno, "open", shown);
    for (const std::string& child : names_in(directory.get(), shown))
        remove_tree_at(directory.get(), child, device, shown / child);
    if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        throw path_error(errno, "remove", shown);
}

// Removes `path` and everything beneath it without leaving the filesystem `path` is on.
void remove_tree(const std::filesystem::path& path) {
    const FileDescriptor parent(
        ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (parent.get() < 0) {
        if (errno == ENOENT) return;
        throw path_error(errno, "open", path.parent_path());
    }
    struct stat parent_status {};
    if (::fstat(parent.get(), &parent_status) != 0)
        throw path_error(errno, "stat", path.parent_path());
    remove_tree_at(parent.get(), path.filename().string(), parent_status.st_dev, path);
}

}  // namespace

bool CowLayers::make(const std::string& volume) const {
    std::error_code error;
    std::filesystem::create_directories(root_, error);
    if (error) throw Error(error.value(), "create " + root_.string() + ": " + error.message());
    make_directory(directory_of(volume));
    make_directory(lower_of(volume));
    make_directory(directory_of(volume) / "work");
    const bool fresh = ::mkdir(upper_of(volume).c_str(), 0700) == 0;
    if (!fresh && errno != EEXIST) throw path_error(errno, "create", upper_of(volume));
    return fresh;
}

std::filesystem::path CowLayers::new_work_dir(const std::string& volume) const {
    const std::filesystem::path works = directory_of(volume) / "work";
    const FileDescriptor directory(::open(works.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (directory.get() < 0) throw path_error(errno, "open", works);
    uint64_t highest = 0;
    for (const std::string& name : names_in(directory.get(), works)) {
        if (const auto number = text::parse_decimal(name); number && *number > highest)
            highest = *number;
    }
    const std::filesystem::path work = works / std::to_string(highest + 1);
    if (::mkdir(work.c_str(), 0700) != 0) throw path_error(errno, "create", work);
    return work;
}

void CowLayers::remove_work_dirs(const std::string& volume) const {
    remove_tree(directory_of(volume) / "work");
}

void CowLayers::discard_upper(const std::string& volume) const {
    remove_tree(upper_of(volume));
}

void CowLayers::remove(const std::string& volume) const {
    remove_tree(directory_of(volume));
}

uint64_t CowLayers::upper_bytes(const std::string& volume) const {
    const std::filesystem::path upper = upper_of(volume);
    uint64_t bytes = 0;
    std::error_code error;
    // Never follows symbolic links (the default), so it counts the layer and nothing it points to.
    std::filesystem::recursive_directory_iterator it(upper, error);
    if (error == std::errc::no_such_file_or_directory) return 0;
    for (const std::filesystem::recursive_directory_iterator end; !error && it != end;
         it.increment(error)) {
        struct stat status {};
        if (::lstat(it->path().c_str(), &status) != 0) {
            if (errno == ENOENT) continue;  // removed by a container meanwhile
            throw path_error(errno, "stat", it->path());
        }
        bytes += static_cast<uint64_t>(status.st_blocks) * 512;
    }
    if (error) throw Error(error.value(), "walk " + upper.string() + ": " + error.message());
    return bytes;
}

}  // namespace nfsfuse::driver
