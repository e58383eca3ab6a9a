// Fuzzes the Docker plugin API (PluginApi::handle), which takes whatever a client of the plugin
// socket sends: a sequence of requests to a fresh VolumeManager (its state file in a temporary
// directory, mounts by the driver unit tests' fake mounter), so that Create, Mount, Unmount,
// Remove and Get meet each other's volumes. Every answer must be a JSON object with "Err" or the
// endpoint's result; PluginApi::handle must never throw.
// Input: text; each line one request, "ENDPOINT BODY" (the body is everything after the first
// space, e.g. `/VolumeDriver.Create {"Name":"v","Opts":{"share":"h:/e"}}`).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "driver/plugin_api.h"
#include "driver/state_store.h"
#include "driver/volume_manager.h"
#include "fake_mounter.h"
#include "input_lines.h"

namespace {

// Requests per input: enough for create, mount twice, unmount, remove, get.
constexpr size_t kMaxRequests = 8;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace nfsfuse::driver;
    const std::vector<std::string> lines = nfsfuse::fuzz::input_lines(data, size);
    const testing::TempDir dir;
    testing::FakeMounter mounter;
    StateStore store(dir.path() / "state.json");
    VolumeManager volumes(store, dir.path() / "volumes", dir.path() / "work", MountMode::kernel,
                          [&](const VolumeSpec&) -> Mounter& { return mounter; });
    PluginApi api(volumes);
    for (size_t i = 0; i < lines.size() && i < kMaxRequests; ++i) {
        const std::string& line = lines[i];
        const size_t space = line.find(' ');
        const std::string endpoint = line.substr(0, space);
        const std::string body = space == std::string::npos ? "" : line.substr(space + 1);
        const nlohmann::json answer = nlohmann::json::parse(api.handle(endpoint, body));
        if (!answer.is_object() || answer.empty()) __builtin_trap();
    }
    return 0;
}
