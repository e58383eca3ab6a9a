// File contents for the tests: deterministic pseudo-random data (never all zeros, so it cannot be
// mistaken for a hole), a streaming FNV-1a hash, and whole-file read/write helpers that throw
// HarnessError naming the path and errno.
// Thread-safety: pure functions and value types.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace nfsfuse::it {

inline constexpr size_t kMiB = 1024 * 1024;
inline constexpr off_t kGiB = off_t{1024} * 1024 * 1024;

// 64-bit FNV-1a over a stream of bytes.
class Fnv1a {
  public:
    void update(std::span<const char> bytes);
    void update(std::string_view text) { update(std::span<const char>(text.data(), text.size())); }
    uint64_t value() const { return hash_; }

  private:
    uint64_t hash_ = 14695981039346656037ull;
};

// Fills block with bytes determined by (seed, block_index): the same inputs give the same bytes.
void fill_pattern(std::span<char> block, uint64_t seed, uint64_t block_index);
std::string pattern(size_t size, uint64_t seed);

// An owned file descriptor.
class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    int release();
    // close(2)'s result: NFS reports write-back errors at close, so tests check it.
    int close();
    void reset();

  private:
    int fd_ = -1;
};

// open(2) that throws on failure.
UniqueFd open_or_throw(const std::filesystem::path& path, int flags, mode_t mode = 0644);

void write_file(const std::filesystem::path& path, std::string_view content, mode_t mode = 0644);
std::string read_file(const std::filesystem::path& path);
// Writes all of data at offset (pwrite loop) / reads exactly size bytes at offset (pread loop).
void pwrite_all(int fd, std::string_view data, off_t offset);
std::string pread_exact(int fd, size_t size, off_t offset);

// lstat(2) that throws on failure.
struct stat lstat_or_throw(const std::filesystem::path& path);

// Streams the file in 1 MiB blocks.
uint64_t hash_file(const std::filesystem::path& path);

}  // namespace nfsfuse::it
