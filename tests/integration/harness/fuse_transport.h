// How FUSE requests reach the nfsfuse under test, chosen per run by the environment (which the
// run's --fuse-transport sets, harness/run_arguments.h):
// NFSFUSE_IT_FUSE_TRANSPORT=io_uring expects FUSE over io_uring wherever the kernel offers it
// (and NfsfuseMount checks that requests really come that way), dev_fuse mounts with
// io_uring=off; unset leaves nfsfuse's default (io_uring when offered) unchecked.
// Thread-safety: functions of the environment and /sys.
#pragma once

#include <string>
#include <vector>

namespace nfsfuse::it {

enum class FuseTransport { unchecked, io_uring, dev_fuse };

// Throws HarnessError for any other value: a typo must not silently test the default.
FuseTransport fuse_transport_under_test();

// The mount options that choose it: {"io_uring=off"} for dev_fuse, none otherwise.
std::vector<std::string> fuse_transport_options();

// /sys/module/fuse/parameters/enable_uring: the kernel has FUSE over io_uring and offers it.
bool kernel_offers_fuse_io_uring();

// The text of user.nfsfuse.transport on the mount's root at `mountpoint`.
std::string fuse_transport_text(const std::string& mountpoint);

// The value of one "name value" line of that text; -1 when absent.
long long fuse_transport_count(const std::string& text, const std::string& name);

}  // namespace nfsfuse::it
