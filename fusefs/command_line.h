// The `nfsfuse` command line: SOURCE MOUNTPOINT [-o opts]... [-f] [-d] [--print-pid] [-h] [-V].
// Thread-safety: pure function.
#pragma once

#include <string>
#include <vector>

namespace nfsfuse::fusefs {

struct CommandLine {
    std::string source;  // server:/export or nfs://server[:port]/export
    std::string mountpoint;
    std::vector<std::string> option_lists;  // each -o argument, in order
    bool foreground = false;
    // --print-pid: once mounted, print the pid of the process serving the mount (for
    // supervisors such as nfsfuse-driver, which recognise it by that pid).
    bool print_pid = false;
    bool debug = false;
    bool help = false;
    bool version = false;
};

// Throws nfsfuse::Error(EINVAL) with a usage message for anything malformed.
CommandLine parse_command_line(const std::vector<std::string>& args);

std::string usage_text();

}  // namespace nfsfuse::fusefs
