#include "vfs/file_table.h"

#include <unistd.h>

#include <cstdio>

namespace nfsfuse::vfs {

std::shared_ptr<File> FileTable::get(const nfs::FileHandle& handle) {
    std::lock_guard lock(mutex_);
    auto& file = files_[handle];
    if (!file) file = std::make_shared<File>(handle, context_);
    return file;
}

std::shared_ptr<File> FileTable::find(const nfs::FileHandle& handle) const {
    std::lock_guard lock(mutex_);
    const auto found = files_.find(handle);
    return found == files_.end() ? nullptr : found->second;
}

void FileTable::drop_if_idle(const nfs::FileHandle& handle) {
    std::lock_guard lock(mutex_);
    const auto found = files_.find(handle);
    // Decided under the table's mutex: no open can find the File between the check and the
    // erase, so a handle never has two.
    if (found != files_.end() && found->second->idle()) files_.erase(found);
}

std::vector<std::shared_ptr<File>> FileTable::all() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<File>> files;
    files.reserve(files_.size());
    for (const auto& [handle, file] : files_) files.push_back(file);
    return files;
}

void FileTable::settle_all(const nfs::CallContext& context) const {
    for (const auto& file : all()) file->settle(context);
}

void FileTable::opened(File& file) {
    file.opened();
    ++opens_;
}

std::optional<PendingRemoval> FileTable::released(File& file) {
    --opens_;
    return file.released();
}

std::string FileTable::hidden_name(uint64_t fileid) {
    std::lock_guard lock(mutex_);
    // Like the kernel's ".nfsXXXX": the fileid, our pid and a counter keep names from colliding
    // between files, mounts and clients.
    char name[80];
    std::snprintf(name, sizeof name, ".nfsfuse%016llx%08x%04llx",
                  static_cast<unsigned long long>(fileid), static_cast<unsigned>(getpid()),
                  static_cast<unsigned long long>(++hidden_counter_ & 0xffff));
    return name;
}

}  // namespace nfsfuse::vfs
