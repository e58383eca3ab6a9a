// One T in memory shared with forked children (MAP_SHARED): what a child writes there, the parent
// reads after the child ended, even if it had to be killed.
// Thread-safety: none of its own; the processes take turns (the parent reads after the child).
#pragma once

#include <sys/mman.h>

#include <cerrno>
#include <new>
#include <type_traits>

#include "harness/harness_error.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {

template <class T>
class SharedMemory {
    static_assert(std::is_trivially_copyable_v<T>, "memory another process writes to");

  public:
    SharedMemory() {
        void* memory =
            ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED) throw HarnessError("mmap: " + errno_text(errno));
        value_ = new (memory) T{};
    }
    ~SharedMemory() { ::munmap(value_, sizeof(T)); }
    SharedMemory(const SharedMemory&) = delete;
    SharedMemory& operator=(const SharedMemory&) = delete;

    T& operator*() const { return *value_; }
    T* operator->() const { return value_; }

  private:
    T* value_ = nullptr;
};

}  // namespace nfsfuse::it
