#include "harness/fuse_transport.h"

#include <sys/xattr.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "harness/harness_error.h"

namespace nfsfuse::it {

FuseTransport fuse_transport_under_test() {
    const char* value = std::getenv("NFSFUSE_IT_FUSE_TRANSPORT");
    if (value == nullptr || *value == '\0') return FuseTransport::unchecked;
    const std::string transport = value;
    if (transport == "io_uring") return FuseTransport::io_uring;
    if (transport == "dev_fuse") return FuseTransport::dev_fuse;
    throw HarnessError("NFSFUSE_IT_FUSE_TRANSPORT='" + transport +
                       "': valid values are io_uring and dev_fuse");
}

std::vector<std::string> fuse_transport_options() {
    if (fuse_transport_under_test() == FuseTransport::dev_fuse) return {"io_uring=off"};
    return {};
}

bool kernel_offers_fuse_io_uring() {
    std::ifstream parameter("/sys/module/fuse/parameters/enable_uring");
    std::string value;
    return parameter >> value && value == "Y";
}

std::string fuse_transport_text(const std::string& mountpoint) {
    char buffer[1024];
    const ssize_t size =
        ::getxattr(mountpoint.c_str(), "user.nfsfuse.transport", buffer, sizeof buffer);
    if (size < 0)
        throw HarnessError("getxattr user.nfsfuse.transport on " + mountpoint + ": " +
                           std::strerror(errno));
    return std::string(buffer, static_cast<size_t>(size));
}

long long fuse_transport_count(const std::string& text, const std::string& name) {
    std::istringstream lines(text);
    std::string key;
    std::string value;
    while (lines >> key >> value)
        if (key == name) return std::atoll(value.c_str());
    return -1;
}

}  // namespace nfsfuse::it
