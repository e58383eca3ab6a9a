#include "driver/kill_at_fault_point.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace nfsfuse::driver {

FaultPoint kill_at_fault_point_from_environment() {
    const char* value = std::getenv(kFaultPointVariable);
    if (value == nullptr || *value == '\0') return {};
    spdlog::warn("test build: the driver kills itself at the step {}", value);
    return [step_to_die_at = std::string(value)](std::string_view step) {
        if (step != step_to_die_at) return;
        spdlog::warn("fault point {} reached: SIGKILL", step);
        spdlog::default_logger()->flush();
        ::kill(::getpid(), SIGKILL);
    };
}

}  // namespace nfsfuse::driver
