// Lets a forked child (harness/forked_child.h) and the test take turns: the child stops at named
// points until the test lets it go on, so the test can act (restart the server, signal nfsfuse)
// while the child holds descriptors open on the mount. The test itself must not hold them: every
// command it runs would close them on exec, and each close is a FUSE flush.
// Thread-safety: one child and one test; make it before forking.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace nfsfuse::it {

class Checkpoints {
  public:
    Checkpoints();  // two pipes, inherited by the child
    ~Checkpoints();
    Checkpoints(const Checkpoints&) = delete;
    Checkpoints& operator=(const Checkpoints&) = delete;

    // In the child: tells the test that `name` is reached and waits until it resumes the child.
    void reach(const std::string& name);

    // In the test: the name of the next checkpoint the child reaches; nullopt when none comes
    // within `timeout` (the child failed, hangs or exited).
    std::optional<std::string> wait_reached(std::chrono::milliseconds timeout);
    // In the test: lets the child go on from its checkpoint.
    void resume();

  private:
    int to_test_[2] = {-1, -1};   // the child writes a name and a newline
    int to_child_[2] = {-1, -1};  // the test writes one byte per resume
};

}  // namespace nfsfuse::it
