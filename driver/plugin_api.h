// Docker's VolumeDriver plugin protocol without HTTP: one request (endpoint + JSON body) in, one
// JSON response body out. Every failure is {"Err": "<volume>: <cause>"}; nothing throws.
// Thread-safety: as the VolumeManager (safe for concurrent requests).
#pragma once

#include <string>
#include <string_view>

#include "driver/volume_manager.h"

namespace nfsfuse::driver {

// Requests larger than this are refused before parsing (the HTTP layer refuses larger bodies
// before reading them).
constexpr size_t kMaxRequestBytes = 64 * 1024;

class PluginApi {
  public:
    explicit PluginApi(VolumeManager& volumes) : volumes_(volumes) {}

    // `endpoint` is the HTTP path, e.g. "/VolumeDriver.Mount". dockerd sends no Content-Type and
    // an empty body for /Plugin.Activate; both are fine. Unknown endpoints get an Err.
    std::string handle(std::string_view endpoint, std::string_view body);
    // {"Err": message}: for refusals made before a request reaches handle() (the HTTP layer's).
    static std::string error_body(const std::string& message);

  private:
    VolumeManager& volumes_;
};

}  // namespace nfsfuse::driver
