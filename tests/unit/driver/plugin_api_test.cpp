// The VolumeDriver protocol over a real VolumeManager with a fake mounter: every endpoint's JSON
// shape, the bodies dockerd really sends (empty Activate, Opts null), and bad requests, which
// must all become {"Err": ...} without creating anything on disk.
#include "driver/plugin_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "fake_mounter.h"

namespace nfsfuse::driver {
namespace {

using nlohmann::json;
using testing::FakeMounter;
using testing::TempDir;

class PluginApiTest : public ::testing::Test {
  protected:
    std::filesystem::path root() const { return dir_.path() / "volumes"; }
    std::filesystem::path state_file() const { return dir_.path() / "state.json"; }

    json call(std::string_view endpoint, std::string_view body) {
        const std::string response = api_.handle(endpoint, body);
        return json::parse(response);  // always valid JSON
    }
    json call_json(std::string_view endpoint, const json& body) {
        return call(endpoint, body.dump());
    }

    // The Err text of a failed call ("" when it worked).
    std::string err(std::string_view endpoint, std::string_view body) {
        const json response = call(endpoint, body);
        EXPECT_TRUE(response.contains("Err")) << response;
        return response.value("Err", std::string("<missing>"));
    }

    void create_data() {
        ASSERT_EQ(call_json("/VolumeDriver.Create",
                            json{{"Name", "data"},
                                 {"Opts", {{"server", "10.0.0.5"}, {"path", "/exports/data"}}}}),
                  (json{{"Err", ""}}));
    }

    TempDir dir_;
    FakeMounter mounter_{"kernel"};
    StateStore store_{state_file()};
    VolumeManager manager_{store_, root(), dir_.path() / "work", MountMode::kernel,
                           [this](const VolumeSpec&) -> Mounter& { return mounter_; }};
    PluginApi api_{manager_};
};

TEST_F(PluginApiTest, ActivateWithEmptyBody) {
    EXPECT_EQ(call("/Plugin.Activate", ""), (json{{"Implements", {"VolumeDriver"}}}));
    EXPECT_EQ(call("/Plugin.Activate", "\n"), (json{{"Implements", {"VolumeDriver"}}}));
    EXPECT_EQ(call("/Plugin.Activate", "{}"), (json{{"Implements", {"VolumeDriver"}}}));
}

TEST_F(PluginApiTest, Capabilities) {
    const json expected = {{"Capabilities", {{"Scope", "local"}}}};
    EXPECT_EQ(call("/VolumeDriver.Capabilities", "{}\n"), expected);
    EXPECT_EQ(call("/VolumeDriver.Capabilities", ""), expected);
}

TEST_F(PluginApiTest, CreateGetListRemove) {
    EXPECT_EQ(call("/VolumeDriver.List", "{}"), (json{{"Volumes", json::array()}, {"Err", ""}}));
    create_data();

    const json got = call("/VolumeDriver.Get", R"({"Name":"data"})");
    ASSERT_EQ(got.value("Err", "?"), "") << got;
    const json& volume = got.at("Volume");
    EXPECT_EQ(volume.at("Name"), "data");
    EXPECT_EQ(volume.at("Mountpoint"), "");
    EXPECT_EQ(volume.at("CreatedAt"), manager_.get("data").created_at);
    EXPECT_EQ(volume.at("Status"), (json{{"mode", "kernel"},
                                         {"requested_mode", "kernel"},
                                         {"server", "10.0.0.5"},
                                         {"share", "10.0.0.5:/exports/data"},
                                         {"mounted", false},
                                         {"mount_count", 0},
                                         {"last_error", ""},
                                         {"revivals", 0},
                                         {"last_event", ""}}));

    const json list = call("/VolumeDriver.List", "");
    ASSERT_EQ(list.at("Volumes").size(), 1u) << list;
    EXPECT_EQ(list.at("Volumes")[0], (json{{"Name", "data"},
                                           {"Mountpoint", ""},
                                           {"CreatedAt", manager_.get("data").created_at}}));
    EXPECT_EQ(list.at("Err"), "");

    EXPECT_EQ(call("/VolumeDriver.Remove", R"({"Name":"data"})"), (json{{"Err", ""}}));
    EXPECT_EQ(err("/VolumeDriver.Get", R"({"Name":"data"})"), "data: no such volume");
}

// A volume with data on local disk (a cow volume's upper layer) shows it in Status, and why it
// could not be measured when it could not; plain volumes' Status has none of these keys (above).
TEST_F(PluginApiTest, StatusShowsTheUpperLayerOfACowVolume) {
    ASSERT_EQ(call_json("/VolumeDriver.Create",
                        json{{"Name", "golden"},
                             {"Opts", {{"share", "10.0.0.5:/exports"}, {"cow", "true"}}}}),
              (json{{"Err", ""}}));
    mounter_.set_local_layer("golden", LocalLayer{"/state/cow/golden/upper", 4096, true});
    const json status = call("/VolumeDriver.Get", R"({"Name":"golden"})").at("Volume").at("Status");
    EXPECT_EQ(status.at("cow"), true);
    EXPECT_EQ(status.at("volatile"), true);
    EXPECT_EQ(status.at("upper_dir"), "/state/cow/golden/upper");
    EXPECT_EQ(status.at("upper_bytes"), 4096);
    EXPECT_FALSE(status.contains("upper_error"));
    mounter_.fail_local_data(true);
    const json failed = call("/VolumeDriver.Get", R"({"Name":"golden"})");
    EXPECT_EQ(failed.at("Err"), "") << "Get answers: dockerd forgets volumes whose Get fails";
    EXPECT_EQ(failed.at("Volume").at("Status").at("upper_error"), "cannot measure golden");
    EXPECT_FALSE(failed.at("Volume").at("Status").contains("upper_bytes"));
}

TEST_F(PluginApiTest, CreateWithOptsNullOrAbsent) {
    // dockerd's implicit create sends "Opts": null; the options are then incomplete, so the
    // manager's error (not a JSON error) comes back.
    const std::string null_opts = err("/VolumeDriver.Create", R"({"Name":"v3","Opts":null})");
    EXPECT_EQ(null_opts.rfind("v3: ", 0), 0u) << null_opts;
    EXPECT_NE(null_opts.find("server"), std::string::npos) << null_opts;
    EXPECT_EQ(err("/VolumeDriver.Create", R"({"Name":"v3"})"), null_opts);
    EXPECT_EQ(err("/VolumeDriver.Create", R"({"Name":"v3","Opts":{}})"), null_opts);
}

TEST_F(PluginApiTest, CreateIsIdempotentAndRefusesOtherOptions) {
    create_data();
    create_data();
    EXPECT_EQ(err("/VolumeDriver.Create",
                  R"({"Name":"data","Opts":{"server":"10.0.0.5","path":"/other"}})"),
              "data: exists with other options");
}

TEST_F(PluginApiTest, MountUnmountPath) {
    create_data();
    const std::string mountpoint = (root() / "data").string();
    EXPECT_EQ(call("/VolumeDriver.Path", R"({"Name":"data"})"),
              (json{{"Mountpoint", ""}, {"Err", ""}}));

    EXPECT_EQ(call("/VolumeDriver.Mount", R"({"Name":"data","ID":"1293ff42"})"),
              (json{{"Mountpoint", mountpoint}, {"Err", ""}}));
    EXPECT_EQ(call("/VolumeDriver.Mount", R"({"Name":"data","ID":"a4310f71"})"),
              (json{{"Mountpoint", mountpoint}, {"Err", ""}}));
    EXPECT_EQ(mounter_.mount_calls(), 1);
    EXPECT_EQ(call("/VolumeDriver.Path", R"({"Name":"data"})"),
              (json{{"Mountpoint", mountpoint}, {"Err", ""}}));

    const json got = call("/VolumeDriver.Get", R"({"Name":"data"})");
    EXPECT_EQ(got.at("Volume").at("Mountpoint"), mountpoint);
    EXPECT_EQ(got.at("Volume").at("Status").at("mounted"), true);
    EXPECT_EQ(got.at("Volume").at("Status").at("mount_count"), 2);
    EXPECT_EQ(call("/VolumeDriver.List", "{}").at("Volumes")[0].at("Mountpoint"), mountpoint);

    EXPECT_EQ(err("/VolumeDriver.Remove", R"({"Name":"data"})"),
              "data: still mounted by 2 container mount(s)");

    EXPECT_EQ(call("/VolumeDriver.Unmount", R"({"Name":"data","ID":"1293ff42"})"),
              (json{{"Err", ""}}));
    EXPECT_EQ(call("/VolumeDriver.Unmount", R"({"Name":"data","ID":"unknown"})"),
              (json{{"Err", ""}}));
    EXPECT_EQ(call("/VolumeDriver.Unmount", R"({"Name":"data","ID":"a4310f71"})"),
              (json{{"Err", ""}}));
    EXPECT_EQ(mounter_.unmount_calls(), 1);
    EXPECT_EQ(call("/VolumeDriver.Path", R"({"Name":"data"})").at("Mountpoint"), "");
}

TEST_F(PluginApiTest, MounterErrorsReachDocker) {
    create_data();
    mounter_.fail_mounts(true, ENODEV, "this host has no kernel NFS client (use mode=fuse)");
    EXPECT_EQ(err("/VolumeDriver.Mount", R"({"Name":"data","ID":"x"})"),
              "data: this host has no kernel NFS client (use mode=fuse)");
    EXPECT_EQ(
        call("/VolumeDriver.Get", R"({"Name":"data"})").at("Volume").at("Status").at("last_error"),
        "this host has no kernel NFS client (use mode=fuse)");
}

TEST_F(PluginApiTest, UnknownVolume) {
    EXPECT_EQ(err("/VolumeDriver.Get", R"({"Name":"v1"})"), "v1: no such volume");
    EXPECT_EQ(err("/VolumeDriver.Mount", R"({"Name":"v1","ID":"x"})"), "v1: no such volume");
    EXPECT_EQ(err("/VolumeDriver.Path", R"({"Name":"v1"})"), "v1: no such volume");
    EXPECT_EQ(err("/VolumeDriver.Remove", R"({"Name":"v1"})"), "v1: no such volume");
}

struct BadRequestCase {
    const char* endpoint;
    std::string body;
    const char* part;  // expected in the Err text
};

class PluginApiBadRequest : public PluginApiTest,
                            public ::testing::WithParamInterface<BadRequestCase> {};

TEST_P(PluginApiBadRequest, GetsAnErrAndCreatesNothing) {
    const std::string text = err(GetParam().endpoint, GetParam().body);
    EXPECT_NE(text.find(GetParam().part), std::string::npos) << text;
    EXPECT_NE(text, "");
    EXPECT_FALSE(std::filesystem::exists(root()));
    EXPECT_FALSE(std::filesystem::exists(state_file()));
    EXPECT_TRUE(manager_.list().empty());
    EXPECT_EQ(mounter_.mount_calls(), 0);
}

const std::string kGoodOpts = R"("Opts":{"server":"10.0.0.5","path":"/e"})";

INSTANTIATE_TEST_SUITE_P(
    Requests, PluginApiBadRequest,
    ::testing::Values(
        BadRequestCase{"/VolumeDriver.Create", "{\"Name\":\"v\",", "malformed JSON"},
        BadRequestCase{"/VolumeDriver.Create", "not json", "malformed JSON"},
        BadRequestCase{"/VolumeDriver.Create", "[\"v\"]", "not a JSON object"},
        BadRequestCase{"/VolumeDriver.Create", "\"v\"", "not a JSON object"},
        BadRequestCase{"/VolumeDriver.Create", "", "empty request body"},
        BadRequestCase{"/VolumeDriver.Get", "  \n", "empty request body"},
        BadRequestCase{"/VolumeDriver.Create", "{" + kGoodOpts + "}", "missing \"Name\""},
        BadRequestCase{"/VolumeDriver.Create", "{\"Name\":7," + kGoodOpts + "}",
                       "\"Name\" must be a string"},
        BadRequestCase{"/VolumeDriver.Create", "{\"Name\":null}", "\"Name\" must be a string"},
        BadRequestCase{"/VolumeDriver.Create", R"({"Name":"v","Opts":[]})", "v: \"Opts\""},
        BadRequestCase{"/VolumeDriver.Create", R"({"Name":"v","Opts":"server=x"})", "v: \"Opts\""},
        BadRequestCase{"/VolumeDriver.Create",
                       R"({"Name":"v","Opts":{"server":"10.0.0.5","path":"/e","port":2049}})",
                       "v: option \"port\" must be a string"},
        BadRequestCase{"/VolumeDriver.Create", "{\"Name\":\"../etc\"," + kGoodOpts + "}",
                       "invalid volume name"},
        BadRequestCase{"/VolumeDriver.Create", "{\"Name\":\"a/b\"," + kGoodOpts + "}",
                       "invalid volume name"},
        BadRequestCase{"/VolumeDriver.Create", "{\"Name\":\"\"," + kGoodOpts + "}",
                       "invalid volume name"},
        BadRequestCase{"/VolumeDriver.Mount", R"({"Name":"../etc","ID":"x"})",
                       "invalid volume name"},
        BadRequestCase{"/VolumeDriver.Mount", R"({"Name":"v"})", "v: missing \"ID\""},
        BadRequestCase{"/VolumeDriver.Mount", R"({"Name":"v","ID":1})",
                       "v: \"ID\" must be a string"},
        BadRequestCase{"/VolumeDriver.Unmount", R"({"Name":"v"})", "v: missing \"ID\""},
        BadRequestCase{"/VolumeDriver.Remove", "{}", "missing \"Name\""},
        BadRequestCase{"/VolumeDriver.Path", R"({"Name":"..","ID":"x"})", "invalid volume name"},
        BadRequestCase{"/VolumeDriver.Create",
                       "{\"Name\":\"v\"," + kGoodOpts + ",\"pad\":\"" +
                           std::string(kMaxRequestBytes, 'x') + "\"}",
                       "over the limit of 65536"},
        BadRequestCase{"/VolumeDriver.Explode", "{}", "unknown endpoint /VolumeDriver.Explode"},
        BadRequestCase{"/", "", "unknown endpoint"},
        BadRequestCase{"/VolumeDriver.Create", std::string("{\"Name\":\"v\xff\"}"),
                       "malformed JSON"}),
    [](const ::testing::TestParamInfo<BadRequestCase>& param_info) {
        return "Case" + std::to_string(param_info.index);
    });

TEST_F(PluginApiTest, EmptyBodyEndpointsStillRefuseBadJson) {
    EXPECT_NE(err("/VolumeDriver.List", "{"), "");
    EXPECT_NE(err("/Plugin.Activate", "[1"), "");
}

TEST_F(PluginApiTest, ResponsesAreValidJsonEvenForOddErrorText) {
    create_data();
    mounter_.fail_mounts(true, EIO, std::string("child said \xff\xfe\n\"quoted\""));
    const std::string response = api_.handle("/VolumeDriver.Mount", R"({"Name":"data","ID":"x"})");
    const json parsed = json::parse(response);
    EXPECT_NE(parsed.at("Err").get<std::string>().find("quoted"), std::string::npos);
}

TEST_F(PluginApiTest, BodyAtTheLimitIsAccepted) {
    std::string body = R"({"Name":"data","pad":")";
    const std::string tail = "\"}";
    body += std::string(kMaxRequestBytes - body.size() - tail.size(), 'x') + tail;
    ASSERT_EQ(body.size(), kMaxRequestBytes);
    EXPECT_EQ(err("/VolumeDriver.Get", body), "data: no such volume");
}

}  // namespace
}  // namespace nfsfuse::driver
