#include "harness/file_data.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "harness/harness_error.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

[[noreturn]] void throw_errno(const std::string& what, const std::filesystem::path& path) {
    throw HarnessError(what + " " + path.string() + ": " + errno_text(errno));
}

}  // namespace

void Fnv1a::update(std::span<const char> bytes) {
    for (char byte : bytes) {
        hash_ ^= static_cast<unsigned char>(byte);
        hash_ *= 1099511628211ull;
    }
}

void fill_pattern(std::span<char> block, uint64_t seed, uint64_t block_index) {
    uint64_t state = seed * 0x100000001b3ull + block_index;
    size_t i = 0;
    for (; i + 8 <= block.size(); i += 8) {
        const uint64_t word = splitmix64(state) | 1;  // never an all-zero word
        std::memcpy(block.data() + i, &word, 8);
    }
    const uint64_t tail = splitmix64(state) | 1;
    std::memcpy(block.data() + i, &tail, block.size() - i);
}

std::string pattern(size_t size, uint64_t seed) {
    std::string data(size, '\0');
    fill_pattern(data, seed, 0);
    return data;
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        reset();
        fd_ = other.release();
    }
    return *this;
}

int UniqueFd::release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
}

int UniqueFd::close() {
    const int result = fd_ >= 0 ? ::close(fd_) : 0;
    fd_ = -1;
    return result;
}

void UniqueFd::reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

UniqueFd open_or_throw(const std::filesystem::path& path, int flags, mode_t mode) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) throw_errno("open", path);
    return UniqueFd(fd);
}

void write_file(const std::filesystem::path& path, std::string_view content, mode_t mode) {
    UniqueFd fd = open_or_throw(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    pwrite_all(fd.get(), content, 0);
    if (fd.close() != 0) throw_errno("close", path);
}

std::string read_file(const std::filesystem::path& path) {
    UniqueFd fd = open_or_throw(path, O_RDONLY);
    std::string content;
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw_errno("read", path);
        if (got == 0) return content;
        content.append(buffer, static_cast<size_t>(got));
    }
}

void pwrite_all(int fd, std::string_view data, off_t offset) {
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t written =
            ::pwrite(fd, data.data() + done, data.size() - done, offset + static_cast<off_t>(done));
        if (written < 0 && errno == EINTR) continue;
        if (written < 0)
            throw HarnessError("pwrite at offset " +
                               std::to_string(offset + static_cast<off_t>(done)) + ": " +
                               errno_text(errno));
        if (written == 0) throw HarnessError("pwrite wrote nothing");
        done += static_cast<size_t>(written);
    }
}

std::string pread_exact(int fd, size_t size, off_t offset) {
    std::string data(size, '\0');
    size_t done = 0;
    while (done < size) {
        const ssize_t got =
            ::pread(fd, data.data() + done, size - done, offset + static_cast<off_t>(done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0)
            throw HarnessError("pread at offset " +
                               std::to_string(offset + static_cast<off_t>(done)) + ": " +
                               errno_text(errno));
        if (got == 0)
            throw HarnessError("pread hit end of file at offset " +
                               std::to_string(offset + static_cast<off_t>(done)));
        done += static_cast<size_t>(got);
    }
    return data;
}

struct stat lstat_or_throw(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throw_errno("lstat", path);
    return st;
}

uint64_t hash_file(const std::filesystem::path& path) {
    UniqueFd fd = open_or_throw(path, O_RDONLY);
    std::vector<char> block(kMiB);
    Fnv1a hash;
    for (;;) {
        const ssize_t got = ::read(fd.get(), block.data(), block.size());
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw_errno("read", path);
        if (got == 0) return hash.value();
        hash.update(std::span<const char>(block.data(), static_cast<size_t>(got)));
    }
}

}  // namespace nfsfuse::it
