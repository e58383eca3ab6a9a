#include "fusefs/command_line.h"

#include "options/mount_options.h"
#include "util/error.h"

namespace nfsfuse::fusefs {

std::string usage_text() {
    return "usage: nfsfuse SERVER:/EXPORT MOUNTPOINT [-o OPTION[,OPTION...]] [-f] [-d]\n"
           "               [--print-pid]\n"
           "       nfsfuse nfs://SERVER[:PORT]/EXPORT MOUNTPOINT [-o ...]\n"
           "\n"
           "  -f          stay in the foreground (default: daemonize once mounted)\n"
           "  -d          debug: foreground and verbose logging (same as -f -o debug)\n"
           "  --print-pid once mounted, print the pid of the process that serves the mount\n"
           "  -o OPTIONS  comma-separated mount options, may be repeated:\n" +
           options::options_help() +
           "  -h, --help     this text\n"
           "  -V, --version  the version\n";
}

CommandLine parse_command_line(const std::vector<std::string>& args) {
    CommandLine result;
    std::vector<std::string> positional;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "-o") {
            if (i + 1 == args.size()) throw invalid_argument("-o needs an option list");
            result.option_lists.push_back(args[++i]);
        } else if (arg.rfind("-o", 0) == 0 && arg.size() > 2) {
            result.option_lists.push_back(arg.substr(2));
        } else if (arg == "-f") {
            result.foreground = true;
        } else if (arg == "-d") {
            result.foreground = true;
            result.debug = true;
        } else if (arg == "--print-pid") {
            result.print_pid = true;
        } else if (arg == "-h" || arg == "--help") {
            result.help = true;
        } else if (arg == "-V" || arg == "--version") {
            result.version = true;
        } else if (arg == "--") {
            positional.insert(positional.end(), args.begin() + static_cast<long>(i) + 1,
                              args.end());
            break;
        } else if (!arg.empty() && arg[0] == '-') {
            throw invalid_argument("unknown flag '" + arg + "' (see nfsfuse --help)");
        } else {
            positional.push_back(arg);
        }
    }
    if (result.help || result.version) return result;
    if (positional.size() != 2)
        throw invalid_argument("expected SOURCE and MOUNTPOINT, got " +
                               std::to_string(positional.size()) +
                               " argument(s) (see nfsfuse --help)");
    result.source = positional[0];
    result.mountpoint = positional[1];
    return result;
}

}  // namespace nfsfuse::fusefs
