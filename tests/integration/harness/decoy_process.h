// A process of another user made to look like a given one: the same command line
// (/proc/PID/cmdline) and /dev/fuse held open, the way a local user could try to pass for the
// nfsfuse process that serves a volume. It is this test binary, executed with the chosen argv
// and an environment variable that makes main() only wait to be killed.
// Thread-safety: not thread-safe; one owner. The destructor kills and reaps it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "harness/forked_child.h"
#include "harness/spawn.h"

namespace nfsfuse::it {

// For main(): in a decoy, never returns (sleeps until killed); otherwise returns at once.
void wait_here_if_started_as_decoy();

class DecoyProcess {
  public:
    // Returns once /proc shows the decoy with exactly `argv` as its command line, running as
    // `credentials`. Throws HarnessError if it does not get there.
    DecoyProcess(const std::vector<std::string>& argv, const Credentials& credentials);

    pid_t pid() const { return child_.pid(); }

  private:
    int own_binary_;  // this test binary, for the child to execute; closed once it runs
    ForkedChild child_;
};

}  // namespace nfsfuse::it
