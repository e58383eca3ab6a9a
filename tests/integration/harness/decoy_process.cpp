#include "harness/decoy_process.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include "harness/harness_error.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;

constexpr const char* kDecoyVariable = "NFSFUSE_IT_DECOY";

std::string joined_with_nuls(const std::vector<std::string>& argv) {
    std::string text;
    for (const std::string& arg : argv) text += arg + '\0';
    return text;
}

std::string command_line_of(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    return {std::istreambuf_iterator<char>(file), {}};
}

uid_t owner_of(pid_t pid) {
    struct stat status {};
    return ::stat(("/proc/" + std::to_string(pid)).c_str(), &status) == 0 ? status.st_uid : 0;
}

// In the child, already running as the other user: holds /dev/fuse (mode 0666: anyone may open
// it) and becomes this test binary again, with `argv` as its command line.
[[noreturn]] void pose_as(const std::vector<std::string>& argv, int own_binary) {
    child_require(SYSCALL(::open("/dev/fuse", O_RDWR)), "open /dev/fuse");
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::setenv(kDecoyVariable, "1", 1);
    ::fexecve(own_binary, args.data(), environ);
    child_require(false, "fexecve of the test binary: " + errno_text(errno));
    ::_exit(127);
}

}  // namespace

void wait_here_if_started_as_decoy() {
    if (std::getenv(kDecoyVariable) == nullptr) return;
    for (;;) ::pause();
}

DecoyProcess::DecoyProcess(const std::vector<std::string>& argv, const Credentials& credentials)
    : own_binary_(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC)),
      child_([argv, own_binary = own_binary_] { pose_as(argv, own_binary); }, credentials) {
    ::close(own_binary_);
    const std::string wanted = joined_with_nuls(argv);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (command_line_of(child_.pid()) != wanted || owner_of(child_.pid()) != credentials.uid) {
        if (!child_.running() || std::chrono::steady_clock::now() > deadline) {
            const auto outcome = child_.wait(0ms);
            throw HarnessError("the decoy never took the command line: " +
                               (outcome ? outcome->describe() : std::string("still running")));
        }
        std::this_thread::sleep_for(10ms);
    }
}

}  // namespace nfsfuse::it
