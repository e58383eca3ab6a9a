// An owned file descriptor, closed when its owner goes away unless closed earlier.
// Thread-safety: none; one owner. Movable, so functions can hand an open descriptor back.
#pragma once

#include <unistd.h>

#include <utility>

namespace nfsfuse::driver {

class FileDescriptor {
  public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept {
        if (this != &other) {
            if (fd_ >= 0) ::close(fd_);
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }

    int get() const { return fd_; }
    // Closes now and returns close(2)'s result (0 or -1 with errno set).
    int close() { return ::close(std::exchange(fd_, -1)); }
    // Hands the descriptor to a new owner that closes it (e.g. a library); this one forgets it.
    int release() { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

}  // namespace nfsfuse::driver
