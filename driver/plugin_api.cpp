// Docker's VolumeDriver protocol: request JSON to VolumeManager calls to response JSON. The one
// place a driver error becomes {"Err": ...} (and is logged).
// Thread-safety: stateless apart from the VolumeManager, which is thread-safe.
#include "driver/plugin_api.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "util/error.h"

namespace nfsfuse::driver {
namespace {

using nlohmann::json;

std::shared_ptr<spdlog::logger> logger() {
    auto existing = spdlog::get("driver");
    return existing ? existing : spdlog::default_logger();
}

// A request the API itself refuses (not a VolumeManager error).
class BadRequest : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

std::string serialize(const json& response) {
    // Error texts may carry bytes from the system (paths, child output): never throw on them.
    return response.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string err_response(const std::string& message) {
    return serialize({{"Err", message}});
}

bool all_whitespace(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Endpoint names in messages are cut short: they come from the client.
std::string shown(std::string_view text) {
    constexpr size_t kShown = 100;
    return text.size() <= kShown ? std::string(text) : std::string(text.substr(0, kShown)) + "...";
}

std::string string_field(const json& request, const char* key, const std::string& prefix) {
    const auto found = request.find(key);
    if (found == request.end()) throw BadRequest(prefix + "missing \"" + key + "\" in request");
    if (!found->is_string()) throw BadRequest(prefix + "\"" + key + "\" must be a string");
    return found->get<std::string>();
}

std::string name_of(const json& request) {
    return string_field(request, "Name", "");
}

std::map<std::string, std::string> options_of(const json& request, const std::string& name) {
    std::map<std::string, std::string> options;
    const auto found = request.find("Opts");
    if (found == request.end() || found->is_null()) return options;  // dockerd sends null too
    if (!found->is_object()) {
        throw BadRequest(name + ": \"Opts\" must be an object of strings or null");
    }
    for (const auto& [key, value] : found->items()) {
        if (!value.is_string()) {
            throw BadRequest(name + ": option \"" + key + "\" must be a string");
        }
        options.emplace(key, value.get<std::string>());
    }
    return options;
}

json volume_summary(const VolumeInfo& info) {
    return {{"Name", info.name},
            {"Mountpoint", info.mounted ? info.mountpoint.string() : std::string()},
            {"CreatedAt", info.created_at}};
}

json dispatch(std::string_view endpoint, const json& request, VolumeManager& volumes) {
    if (endpoint == "/Plugin.Activate") return {{"Implements", json::array({"VolumeDriver"})}};
    if (endpoint == "/VolumeDriver.Capabilities") {
        return {{"Capabilities", {{"Scope", "local"}}}};
    }
    if (endpoint == "/VolumeDriver.List") {
        json list = json::array();
        for (const VolumeInfo& info : volumes.list()) list.push_back(volume_summary(info));
        return {{"Volumes", std::move(list)}, {"Err", ""}};
    }

    const std::string name = name_of(request);
    if (endpoint == "/VolumeDriver.Create") {
        volumes.create(name, options_of(request, name));
        return {{"Err", ""}};
    }
    if (endpoint == "/VolumeDriver.Remove") {
        volumes.remove(name);
        return {{"Err", ""}};
    }
    if (endpoint == "/VolumeDriver.Mount") {
        const std::string id = string_field(request, "ID", name + ": ");
        return {{"Mountpoint", volumes.mount(name, id).string()}, {"Err", ""}};
    }
    if (endpoint == "/VolumeDriver.Unmount") {
        const std::string id = string_field(request, "ID", name + ": ");
        volumes.unmount(name, id);
        return {{"Err", ""}};
    }
    if (endpoint == "/VolumeDriver.Path") {
        return {{"Mountpoint", volumes.path(name).string()}, {"Err", ""}};
    }
    // "/VolumeDriver.Get" (endpoints are checked before dispatch).
    const VolumeInfo info = volumes.get(name);
    json volume = volume_summary(info);
    volume["Status"] = {{"mode", info.mode},
                        {"requested_mode", info.requested_mode},
                        {"server", info.server},
                        {"share", info.share},
                        {"mounted", info.mounted},
                        {"mount_count", info.mount_count},
                        {"last_error", info.last_error},
                        {"revivals", info.revivals},
                        {"last_event", info.last_event}};
    if (info.local_layer) {
        volume["Status"]["cow"] = true;
        volume["Status"]["volatile"] = info.local_layer->discarded_after_use;
        volume["Status"]["upper_dir"] = info.local_layer->directory.string();
        volume["Status"]["upper_bytes"] = info.local_layer->bytes;
    }
    if (!info.local_layer_error.empty()) volume["Status"]["upper_error"] = info.local_layer_error;
    return {{"Volume", std::move(volume)}, {"Err", ""}};
}

struct EndpointRule {
    std::string_view endpoint;
    bool empty_body_ok;
};

constexpr EndpointRule kEndpoints[] = {
    {"/Plugin.Activate", true},       {"/VolumeDriver.Capabilities", true},
    {"/VolumeDriver.List", true},     {"/VolumeDriver.Create", false},
    {"/VolumeDriver.Remove", false},  {"/VolumeDriver.Mount", false},
    {"/VolumeDriver.Unmount", false}, {"/VolumeDriver.Path", false},
    {"/VolumeDriver.Get", false},
};

std::optional<EndpointRule> rule_for(std::string_view endpoint) {
    for (const EndpointRule& rule : kEndpoints) {
        if (rule.endpoint == endpoint) return rule;
    }
    return std::nullopt;
}

std::string handle_request(std::string_view endpoint, std::string_view body,
                           VolumeManager& volumes) {
    const std::optional<EndpointRule> rule = rule_for(endpoint);
    if (!rule) throw BadRequest("unknown endpoint " + shown(endpoint));
    if (body.size() > kMaxRequestBytes) {
        throw BadRequest("request body of " + std::to_string(body.size()) +
                         " bytes is over the limit of " + std::to_string(kMaxRequestBytes));
    }
    json request;
    if (all_whitespace(body)) {
        if (!rule->empty_body_ok) throw BadRequest("empty request body");
        request = json::object();
    } else {
        try {
            request = json::parse(body);
        } catch (const json::exception& error) {
            throw BadRequest(std::string("malformed JSON in request: ") + error.what());
        }
        if (!request.is_object()) throw BadRequest("request body is not a JSON object");
    }
    return serialize(dispatch(endpoint, request, volumes));
}

}  // namespace

std::string PluginApi::error_body(const std::string& message) {
    return err_response(message);
}

std::string PluginApi::handle(std::string_view endpoint, std::string_view body) {
    try {
        return handle_request(endpoint, body, volumes_);
    } catch (const Error& error) {
        // Get of an unknown volume is routine: dockerd asks before every Create.
        if (error.errnum() == ENOENT) {
            logger()->debug("{}: {}", shown(endpoint), error.what());
        } else {
            logger()->warn("{}: {}", shown(endpoint), error.what());
        }
        return err_response(error.what());
    } catch (const std::exception& error) {
        logger()->warn("{}: {}", shown(endpoint), error.what());
        return err_response(error.what());
    } catch (...) {
        logger()->error("{}: unknown exception", shown(endpoint));
        return err_response("internal error");
    }
}

}  // namespace nfsfuse::driver
