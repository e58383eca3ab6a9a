// Fuzzes the driver's volume options: parse_volume_options (Docker's Opts, from any client of
// the plugin socket), then what the driver builds from an accepted volume: the share, the
// kernel's mount(2) arguments and the nfsfuse command line. An accepted volume must give a
// command line that nfsfuse's own parsers accept: the driver checks fuse options at Create so
// that a Mount never fails on them.
// Input: text; the first line is the volume's name, every further line one KEY=VALUE option.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "driver/kernel_mount.h"
#include "driver/nfsfuse_command.h"
#include "driver/volume_spec.h"
#include "input_lines.h"
#include "options/mount_options.h"
#include "util/error.h"

namespace nfsfuse::driver {
namespace {

void use_volume(const VolumeSpec& spec) {
    share_of(spec);
    build_kernel_mount(spec, "192.0.2.1", "/var/lib/nfsfuse/volumes/v");
    std::vector<std::string> argv;
    try {
        argv = nfsfuse_command("/usr/local/bin/nfsfuse", spec, "/var/lib/nfsfuse/volumes/v");
    } catch (const Error& error) {
        if (error.errnum() != EINVAL) __builtin_trap();
        return;  // mode=auto with vers=4.0: refused when it meets nfsfuse
    }
    // {binary, share, target, "-o", options, "--print-pid"}: what nfsfuse parses at Mount must
    // be valid.
    if (argv.size() != 6 || argv[3] != "-o" || argv[5] != "--print-pid") __builtin_trap();
    options::parse_target(argv[1]);
    options::parse_mount_options({argv[4]});
}

}  // namespace
}  // namespace nfsfuse::driver

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace nfsfuse::driver;
    std::vector<std::string> lines = nfsfuse::fuzz::input_lines(data, size);
    try {
        validate_volume_name(lines.front());
    } catch (const nfsfuse::Error& error) {
        if (error.errnum() != EINVAL) __builtin_trap();
    }
    std::map<std::string, std::string> options;
    for (size_t i = 1; i < lines.size(); ++i) {
        const size_t equals = lines[i].find('=');
        if (equals == std::string::npos)
            options[lines[i]] = "";
        else
            options[lines[i].substr(0, equals)] = lines[i].substr(equals + 1);
    }
    VolumeSpec spec;
    try {
        spec = parse_volume_options(options, MountMode::auto_select);
    } catch (const nfsfuse::Error& error) {
        if (error.errnum() != EINVAL) __builtin_trap();
        return 0;
    }
    use_volume(spec);
    return 0;
}
