// Linked into every fuzz target: no log lines. The code under test logs what it refuses (the
// driver's API warns about every bad request), and millions of those would only slow the run
// down and bury libFuzzer's own report.
#include <spdlog/spdlog.h>

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    spdlog::set_level(spdlog::level::off);
    return 0;
}
