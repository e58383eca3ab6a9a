// nfsfuse-driver through its real unix socket, the way dockerd talks to it, with mode=fuse volumes
// of the test ganesha: real nfsfuse children, real FUSE mounts, data checked on the server's disk.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "driver_fixture.h"
#include "harness/child_process.h"
#include "harness/decoy_process.h"
#include "harness/file_data.h"
#include "harness/forked_child.h"
#include "harness/harness_error.h"
#include "harness/mounted_test.h"
#include "harness/mountinfo.h"
#include "harness/paths.h"
#include "harness/plugin_client.h"
#include "harness/process_resources.h"
#include "harness/temp_dir.h"
#include "harness/test_user.h"

namespace nfsfuse::it {
namespace {

TEST_F(DriverTest, ActivateWithAnEmptyBodyAndCapabilities) {
    EXPECT_EQ(call_raw("/Plugin.Activate", ""), (json{{"Implements", {"VolumeDriver"}}}));
    EXPECT_EQ(call_raw("/VolumeDriver.Capabilities", "{}")["Capabilities"]["Scope"], "local");
}

TEST_F(DriverTest, VolumeLifecycleMountsOnceForTwoContainersAndDataReachesTheServer) {
    ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", "v1"}, {"Opts", volume_options()}})["Err"],
              "");
    const json got = call("/VolumeDriver.Get", {{"Name", "v1"}});
    EXPECT_EQ(got["Volume"]["Name"], "v1");
    EXPECT_FALSE(got["Volume"]["CreatedAt"].get<std::string>().empty());
    EXPECT_EQ(got["Volume"]["Status"]["mounted"], false);

    const json first = call("/VolumeDriver.Mount", {{"Name", "v1"}, {"ID", "id-a"}});
    ASSERT_EQ(first["Err"], "") << first.dump();
    const std::filesystem::path mountpoint = first["Mountpoint"].get<std::string>();
    EXPECT_TRUE(is_nfsfuse_mounted(mountpoint));
    const std::string nfsfuse_options = nfsfuse_options_of(mountpoint);
    EXPECT_TRUE(starts_with(nfsfuse_options, "vers=4.1,"))
        << "NFSv4.1 by default: " << nfsfuse_options;
    EXPECT_EQ(nfsfuse_options.find("mountport"), std::string::npos) << nfsfuse_options;
    write_file(in_volume(mountpoint, "from-container.txt"), "hello from a container");
    EXPECT_EQ(read_file(on_server("from-container.txt")), "hello from a container");

    const json second = call("/VolumeDriver.Mount", {{"Name", "v1"}, {"ID", "id-b"}});
    EXPECT_EQ(second["Mountpoint"], first["Mountpoint"]);
    EXPECT_EQ(call("/VolumeDriver.Get", {{"Name", "v1"}})["Volume"]["Status"]["mount_count"], 2);

    EXPECT_TRUE(has_error(call("/VolumeDriver.Remove", {{"Name", "v1"}}))) << "in use: refused";
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "v1"}, {"ID", "id-a"}})["Err"], "");
    EXPECT_TRUE(find_mount(mountpoint).has_value()) << "id-b still uses it";
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "v1"}, {"ID", "id-b"}})["Err"], "");
    EXPECT_FALSE(find_mount(mountpoint).has_value()) << "last unmount unmounts";

    EXPECT_EQ(call("/VolumeDriver.Remove", {{"Name", "v1"}})["Err"], "");
    EXPECT_TRUE(has_error(call("/VolumeDriver.Get", {{"Name", "v1"}})));
    EXPECT_EQ(read_file(on_server("from-container.txt")), "hello from a container")
        << "removing a volume never touches the data on the share";
}

TEST_F(DriverTest, BadRequestsGetAnErrAndCreateNothing) {
    for (const std::string& body : {std::string("{not json"), std::string("[1,2]"),
                                    std::string(R"({"Name": 42})"), std::string("{}")}) {
        const json reply = call_raw("/VolumeDriver.Create", body);
        EXPECT_TRUE(has_error(reply)) << body << " -> " << reply.dump();
    }
    for (const char* name : {"../etc", "a/b", ".hidden", ""}) {
        const json reply =
            call("/VolumeDriver.Create", {{"Name", name}, {"Opts", volume_options()}});
        EXPECT_TRUE(has_error(reply)) << name;
    }
    json injected = volume_options();
    injected["nfsopts"] = "addr=10.0.0.1";
    EXPECT_TRUE(has_error(call("/VolumeDriver.Create", {{"Name", "inj"}, {"Opts", injected}})));
    json unknown = volume_options();
    unknown["colour"] = "blue";
    const json reply = call("/VolumeDriver.Create", {{"Name", "unk"}, {"Opts", unknown}});
    EXPECT_NE(reply["Err"].get<std::string>().find("colour"), std::string::npos) << reply.dump();
    EXPECT_TRUE(call("/VolumeDriver.List", json::object())["Volumes"].empty());
    EXPECT_FALSE(std::filesystem::exists(home_ / "etc"));
}

TEST_F(DriverTest, MountOfAnUnreachableServerReportsTheCause) {
    json options = volume_options();
    options["port"] = "1";  // nothing listens there
    ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", "down"}, {"Opts", options}})["Err"], "");
    const json reply = call("/VolumeDriver.Mount", {{"Name", "down"}, {"ID", "id-a"}});
    ASSERT_TRUE(has_error(reply));
    EXPECT_NE(reply["Err"].get<std::string>().find("down"), std::string::npos) << reply.dump();
    EXPECT_EQ(call("/VolumeDriver.Get", {{"Name", "down"}})["Volume"]["Status"]["mount_count"], 0);
}

TEST_F(DriverTest, KilledDriverComesBackWithItsVolumesAndMounts) {
    ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", "keep"}, {"Opts", volume_options()}})["Err"],
              "");
    const json mounted = call("/VolumeDriver.Mount", {{"Name", "keep"}, {"ID", "id-a"}});
    ASSERT_EQ(mounted["Err"], "") << mounted.dump();
    const std::filesystem::path mountpoint = mounted["Mountpoint"].get<std::string>();

    stop_driver(SIGKILL);
    EXPECT_TRUE(find_mount(mountpoint).has_value()) << "the mount outlives the driver";
    write_file(in_volume(mountpoint, "while-down.txt"), "still served");
    start_driver();

    const json got = call("/VolumeDriver.Get", {{"Name", "keep"}});
    ASSERT_EQ(got["Err"], "") << got.dump();
    EXPECT_EQ(got["Volume"]["Status"]["mounted"], true);
    EXPECT_EQ(got["Volume"]["Status"]["mount_count"], 1);
    EXPECT_EQ(read_file(on_server("while-down.txt")), "still served");
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "keep"}, {"ID", "id-a"}})["Err"], "");
    EXPECT_FALSE(find_mount(mountpoint).has_value());
}

// nfsfuse serving a volume in use is SIGKILLed: the driver notices, mounts a new nfsfuse over the
// dead mount, shows the event in Status, and a running "container" sees the share again.
TEST_F(DriverTest, KilledNfsfuseIsReplacedInPlaceAndContainersSeeTheShareAgain) {
    ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", "heal"}, {"Opts", volume_options()}})["Err"],
              "");
    const json mounted = call("/VolumeDriver.Mount", {{"Name", "heal"}, {"ID", "id-a"}});
    ASSERT_EQ(mounted["Err"], "") << mounted.dump();
    const std::filesystem::path mountpoint = mounted["Mountpoint"].get<std::string>();
    write_file(on_server("state.txt"), "before");

    ForkedChild container =
        container_reading(mountpoint, home_ / "container-data", work_name() + "/state.txt",
                          home_ / "ready", home_ / "go");
    wait_for_first_read(home_);

    const std::vector<pid_t> serving = nfsfuse_processes_for(mountpoint);
    ASSERT_EQ(serving.size(), 1u) << "one nfsfuse per volume";
    ASSERT_EQ(::kill(serving[0], SIGKILL), 0);
    const bool revived = eventually(
        [&] {
            return call("/VolumeDriver.Get", {{"Name", "heal"}})["Volume"]["Status"]["revivals"] ==
                   1;
        },
        20s);
    ASSERT_TRUE(revived) << call("/VolumeDriver.Get", {{"Name", "heal"}}).dump();
    const json status = call("/VolumeDriver.Get", {{"Name", "heal"}})["Volume"]["Status"];
    EXPECT_NE(status["last_event"].get<std::string>().find("stopped working"), std::string::npos)
        << status.dump();
    EXPECT_EQ(status["mount_count"], 1);
    EXPECT_EQ(status["last_error"], "");

    write_file(on_server("state.txt"), "after");
    EXPECT_EQ(read_file(in_volume(mountpoint, "state.txt")), "after") << "the host sees it again";
    write_file(in_volume(mountpoint, "written-after.txt"), "reaches the server");
    EXPECT_EQ(read_file(on_server("written-after.txt")), "reaches the server");
    release_and_expect_ok(container, home_ / "go");

    // The last Unmount removes the new mount and the dead one under it.
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "heal"}, {"ID", "id-a"}})["Err"], "");
    EXPECT_FALSE(find_mount(mountpoint).has_value());
    EXPECT_TRUE(eventually([&] { return nfsfuse_processes_for(mountpoint).empty(); }, 10s));
}

std::vector<std::string> only_command_line_for(const std::filesystem::path& path) {
    const auto found = nfsfuse_command_lines_for(path);
    if (found.size() != 1) throw HarnessError("not exactly one nfsfuse for " + path.string());
    return found.begin()->second;
}

// A local user runs a process with the very command line of a volume's nfsfuse (and /dev/fuse
// open). The driver knows its nfsfuse by the pid it learned when starting it and the process's
// start time, so the decoy is neither adopted by a restarted driver nor taken for the live server
// of a mount whose nfsfuse was killed.
TEST_F(DriverTest, ADecoyWithTheSameCommandLineIsNeitherAdoptedNorStopsTheRevival) {
    const Credentials user = ensure_test_user();
    ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", "real"}, {"Opts", volume_options()}})["Err"],
              "");
    const json mounted = call("/VolumeDriver.Mount", {{"Name", "real"}, {"ID", "id-a"}});
    ASSERT_EQ(mounted["Err"], "") << mounted.dump();
    const std::filesystem::path mountpoint = mounted["Mountpoint"].get<std::string>();
    const auto revivals = [&] {
        return call("/VolumeDriver.Get", {{"Name", "real"}})["Volume"]["Status"]["revivals"]
            .get<int>();
    };

    // While the driver is down, nfsfuse dies and the decoy appears in its place.
    stop_driver(SIGKILL);
    const std::vector<std::string> first_argv = only_command_line_for(mountpoint);
    for (const pid_t pid : nfsfuse_processes_for(mountpoint)) ::kill(pid, SIGKILL);
    ASSERT_TRUE(eventually([&] { return nfsfuse_processes_for(mountpoint).empty(); }, 10s));
    DecoyProcess decoy_at_start(first_argv, user);
    start_driver();
    ASSERT_TRUE(eventually([&] { return revivals() == 1; }, 20s))
        << "adopted the decoy: " << call("/VolumeDriver.Get", {{"Name", "real"}}).dump();
    write_file(on_server("state.txt"), "served");
    EXPECT_EQ(read_file(in_volume(mountpoint, "state.txt")), "served");

    // The revived nfsfuse (its MOUNTPOINT argument is the driver's staging directory) gets a
    // decoy too, and is killed while the driver runs.
    std::vector<pid_t> revived;
    std::vector<std::string> revived_argv;
    for (const auto& entry : std::filesystem::directory_iterator(home_ / "state" / "work")) {
        for (const auto& [pid, argv] : nfsfuse_command_lines_for(entry.path())) {
            revived.push_back(pid);
            revived_argv = argv;
        }
    }
    ASSERT_EQ(revived.size(), 1u) << "one nfsfuse serves the revived mount";
    DecoyProcess decoy_while_running(revived_argv, user);
    ASSERT_EQ(::kill(revived[0], SIGKILL), 0);
    ASSERT_TRUE(eventually([&] { return revivals() == 2; }, 20s))
        << "the decoy stopped the revival: "
        << call("/VolumeDriver.Get", {{"Name", "real"}}).dump();
    write_file(on_server("state.txt"), "served again");
    EXPECT_EQ(read_file(in_volume(mountpoint, "state.txt")), "served again");
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "real"}, {"ID", "id-a"}})["Err"], "");
    EXPECT_FALSE(find_mount(mountpoint).has_value());
}

// Many clients at once, as dockerd does when several containers start and stop: Mount/Unmount
// pairs with fresh IDs on two shared volumes and one volume per client. The counts never drift,
// each volume is mounted once while in use, and everything is unmounted at the end.
TEST_F(DriverTest, ConcurrentMountsAndUnmountsFromManyClientsStayConsistent) {
    constexpr int kClients = 8;
    constexpr int kRounds = 5;
    for (const std::string name : {"shared-a", "shared-b"})
        ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", name}, {"Opts", volume_options()}})["Err"],
                  "");
    for (int client = 0; client < kClients; ++client) {
        const std::string own = "own-" + std::to_string(client);
        ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", own}, {"Opts", volume_options()}})["Err"],
                  "");
    }
    std::vector<std::string> failures(kClients);
    std::vector<std::thread> clients;
    for (int client = 0; client < kClients; ++client) {
        clients.emplace_back([&, client] {
            const auto request = [&](const std::string& endpoint, const json& body) {
                const PluginReply reply = PluginClient(socket()).post(endpoint, body.dump());
                const json answer = json::parse(reply.body);
                if (reply.http_status != 200 || answer.value("Err", "") != "")
                    failures[client] += endpoint + " " + body.dump() + " -> " + reply.body + "\n";
                return answer;
            };
            for (int round = 0; round < kRounds; ++round) {
                const std::string id = "c" + std::to_string(client) + "-r" + std::to_string(round);
                const std::string shared = client % 2 == 0 ? "shared-a" : "shared-b";
                const std::string own = "own-" + std::to_string(client);
                for (const std::string& name : {shared, own}) {
                    const json mounted =
                        request("/VolumeDriver.Mount", {{"Name", name}, {"ID", id}});
                    const std::string mountpoint = mounted.value("Mountpoint", "");
                    if (!mountpoint.empty() && !is_nfsfuse_mounted(mountpoint))
                        failures[client] += name + ": Mount answered but nothing is mounted\n";
                }
                for (const std::string& name : {own, shared})
                    request("/VolumeDriver.Unmount", {{"Name", name}, {"ID", id}});
            }
        });
    }
    for (auto& client : clients) client.join();
    for (int client = 0; client < kClients; ++client)
        EXPECT_EQ(failures[client], "") << "client " << client;

    const json volumes = call("/VolumeDriver.List", json::object())["Volumes"];
    EXPECT_EQ(volumes.size(), static_cast<size_t>(kClients + 2));
    for (const json& volume : volumes) {
        const std::string name = volume["Name"];
        const json status = call("/VolumeDriver.Get", {{"Name", name}})["Volume"]["Status"];
        EXPECT_EQ(status["mount_count"], 0) << name;
        EXPECT_EQ(status["mounted"], false) << name;
        EXPECT_FALSE(find_mount(volume_root() / name).has_value()) << name;
        EXPECT_TRUE(
            eventually([&] { return nfsfuse_processes_for(volume_root() / name).empty(); }, 10s))
            << name << ": an nfsfuse process outlived the last Unmount";
    }
}

// A driver that was down when the nfsfuse of a volume in use died finds it dead at start.
TEST_F(DriverTest, NfsfuseThatDiedWhileTheDriverWasDownIsReplacedAtStart) {
    ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", "late"}, {"Opts", volume_options()}})["Err"],
              "");
    const json mounted = call("/VolumeDriver.Mount", {{"Name", "late"}, {"ID", "id-a"}});
    ASSERT_EQ(mounted["Err"], "") << mounted.dump();
    const std::filesystem::path mountpoint = mounted["Mountpoint"].get<std::string>();
    stop_driver(SIGTERM);
    for (const pid_t pid : nfsfuse_processes_for(mountpoint)) ::kill(pid, SIGKILL);
    ASSERT_TRUE(eventually([&] { return nfsfuse_processes_for(mountpoint).empty(); }, 10s));
    start_driver();
    ASSERT_TRUE(eventually(
        [&] {
            return call("/VolumeDriver.Get", {{"Name", "late"}})["Volume"]["Status"]["revivals"] ==
                   1;
        },
        20s))
        << call("/VolumeDriver.Get", {{"Name", "late"}}).dump();
    write_file(in_volume(mountpoint, "after-restart.txt"), "served again");
    EXPECT_EQ(read_file(on_server("after-restart.txt")), "served again");
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "late"}, {"ID", "id-a"}})["Err"], "");
    EXPECT_FALSE(find_mount(mountpoint).has_value());
}

// subdir= names a directory inside the export; the first Mount creates it when it is missing.
TEST_F(DriverTest, MissingSubdirIsCreatedAtTheFirstMount) {
    json options = volume_options();
    options["subdir"] = work_name() + "/team/app";
    ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", "sub"}, {"Opts", options}})["Err"], "");
    EXPECT_FALSE(std::filesystem::exists(on_server("team"))) << "Create mounts nothing";
    const json mounted = call("/VolumeDriver.Mount", {{"Name", "sub"}, {"ID", "id-a"}});
    ASSERT_EQ(mounted["Err"], "") << mounted.dump();
    const std::filesystem::path mountpoint = mounted["Mountpoint"].get<std::string>();
    EXPECT_TRUE(std::filesystem::is_directory(on_server("team/app")));
    write_file(mountpoint / "in-subdir.txt", "only this subdir");
    EXPECT_EQ(read_file(on_server("team/app/in-subdir.txt")), "only this subdir");
    EXPECT_EQ(call("/VolumeDriver.Get", {{"Name", "sub"}})["Volume"]["Status"]["share"],
              "127.0.0.1:" + server().export_dir().string() + "/" + work_name() + "/team/app");
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "sub"}, {"ID", "id-a"}})["Err"], "");
    expect_no_private_mounts_left();
}

// A writer of the share cannot bring set-user-ID programs or device nodes onto the host: the
// volume's mount, and the bind mount that revives it, are nosuid,nodev. (Kernel mode passes the
// same flags to mount(2); the unit tests check them.)
TEST_F(DriverTest, FuseVolumesAreMountedNosuidNodevAlsoWhenRevived) {
    ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", "flags"}, {"Opts", volume_options()}})["Err"],
              "");
    const json mounted = call("/VolumeDriver.Mount", {{"Name", "flags"}, {"ID", "id-a"}});
    ASSERT_EQ(mounted["Err"], "") << mounted.dump();
    const std::filesystem::path mountpoint = mounted["Mountpoint"].get<std::string>();
    const auto expect_nosuid_nodev = [&] {
        const auto entry = find_mount(mountpoint);
        ASSERT_TRUE(entry.has_value());
        EXPECT_NE(("," + entry->mount_options + ",").find(",nosuid,"), std::string::npos)
            << entry->mount_options;
        EXPECT_NE(("," + entry->mount_options + ",").find(",nodev,"), std::string::npos)
            << entry->mount_options;
    };
    expect_nosuid_nodev();

    const std::vector<pid_t> first = nfsfuse_processes_for(mountpoint);
    ASSERT_EQ(first.size(), 1u);
    ASSERT_EQ(::kill(first.front(), SIGKILL), 0);
    ASSERT_TRUE(eventually(
        [&] {
            return call("/VolumeDriver.Get", {{"Name", "flags"}})["Volume"]["Status"]["revivals"] ==
                   1;
        },
        20s))
        << call("/VolumeDriver.Get", {{"Name", "flags"}}).dump();
    expect_nosuid_nodev();  // the top of the stack: the revived mount
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "flags"}, {"ID", "id-a"}})["Err"], "");
}

// A writer of the share plants symbolic links on the path of a volume's subdir. The driver must
// never follow them on the host (it used to create the missing part of the subdir as root wherever
// they pointed), and refuses the subdir naming the link, whatever the link points at.
class DriverSubdirSymlinkTest : public DriverTest {
  protected:
    // Mounts a new volume whose subdir is <work>/<subdir> and returns the Mount's Err.
    std::string mount_error(const std::string& volume, const std::string& subdir,
                            bool read_only = false) {
        json options = volume_options();
        options["subdir"] = work_name() + "/" + subdir;
        if (read_only) options["ro"] = "true";
        const json created = call("/VolumeDriver.Create", {{"Name", volume}, {"Opts", options}});
        EXPECT_EQ(created["Err"], "") << created.dump();
        const json mounted = call("/VolumeDriver.Mount", {{"Name", volume}, {"ID", "id-a"}});
        const std::string err = mounted.value("Err", "");
        if (err.empty()) {
            ADD_FAILURE() << "the Mount of " << subdir << " worked: " << mounted.dump();
            call("/VolumeDriver.Unmount", {{"Name", volume}, {"ID", "id-a"}});
        }
        expect_no_private_mounts_left();
        return err;
    }

    // What the Err must say about the symbolic link at <work>/<link>.
    void expect_names_the_link(const std::string& err, const std::string& link) const {
        EXPECT_NE(err.find("'" + work_name() + "/" + link + "'"), std::string::npos) << err;
        EXPECT_NE(err.find("symbolic link"), std::string::npos) << err;
    }

    static bool is_empty_directory(const std::filesystem::path& directory) {
        return std::filesystem::is_directory(directory) && std::filesystem::is_empty(directory);
    }

    // A directory on the host, outside the export: where the links point.
    TempDir host_{"nfsfuse-host-target"};
};

TEST_F(DriverSubdirSymlinkTest, AbsoluteLinkToAHostDirectoryIsRefusedAndNothingIsCreatedThere) {
    std::filesystem::create_directory_symlink(host_.path(), srv("a"));
    const std::string err = mount_error("abs", "a/x");
    expect_names_the_link(err, "a");
    EXPECT_TRUE(is_empty_directory(host_.path())) << "created on the host: " << host_.path();
}

TEST_F(DriverSubdirSymlinkTest, RelativeLinkClimbingOutOfTheExportIsRefused) {
    // More ".." than any mountpoint is deep: followed on the host, it reaches the host directory
    // from wherever the share is mounted ("/.." is "/").
    std::filesystem::path climbing;
    for (int level = 0; level < 32; ++level) climbing /= "..";
    climbing /= host_.path().relative_path();
    std::filesystem::create_directory_symlink(climbing, srv("up"));
    const std::string err = mount_error("climb", "up/x/y");
    expect_names_the_link(err, "up");
    EXPECT_TRUE(is_empty_directory(host_.path())) << "created on the host: " << host_.path();
}

TEST_F(DriverSubdirSymlinkTest, RelativeLinkInsideTheExportIsRefusedToo) {
    std::filesystem::create_directory(srv("real"));
    std::filesystem::create_directory(srv("real/team"));
    std::filesystem::create_directory_symlink("../../real", srv("real/team/alias"));
    const std::string err = mount_error("inside", "real/team/alias/x");
    expect_names_the_link(err, "real/team/alias");
    EXPECT_FALSE(std::filesystem::exists(srv("real/x")));
}

TEST_F(DriverSubdirSymlinkTest, AnExistingSubdirThatIsALinkIsRefused) {
    std::filesystem::create_directory(host_.path() / "data");
    std::filesystem::create_directory_symlink(host_.path() / "data", srv("data"));
    expect_names_the_link(mount_error("existing", "data"), "data");
    EXPECT_TRUE(is_empty_directory(host_.path() / "data"));
}

TEST_F(DriverSubdirSymlinkTest, ReadOnlyVolumesAreCheckedToo) {
    std::filesystem::create_directory(host_.path() / "x");
    std::filesystem::create_directory_symlink(host_.path(), srv("a"));
    expect_names_the_link(mount_error("readonly", "a/x", true), "a");
    EXPECT_TRUE(is_empty_directory(host_.path() / "x"));
}

bool kernel_has_nfs() {
    std::ifstream filesystems("/proc/filesystems");
    std::string line;
    while (std::getline(filesystems, line))
        if (line.size() >= 4 && line.compare(line.size() - 4, 4, "nfs4") == 0) return true;
    return false;
}

// Kernel mode on a host without an NFS client (like CI's): the mount(2) fails with ENODEV and the
// user is told what to do instead. The exact mount(2) arguments are checked by the unit tests.
TEST_F(DriverTest, KernelModeWithoutKernelNfsSaysToUseFuse) {
    if (kernel_has_nfs()) GTEST_SKIP() << "this kernel has an NFS client: kernel mode would mount";
    json options = volume_options();
    options["mode"] = "kernel";
    options.erase("timeo");
    options.erase("retrans");
    ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", "kern"}, {"Opts", options}})["Err"], "");
    const json reply = call("/VolumeDriver.Mount", {{"Name", "kern"}, {"ID", "id-a"}});
    const std::string err = reply["Err"].get<std::string>();
    EXPECT_NE(err.find("kern"), std::string::npos) << err;
    EXPECT_NE(err.find("no NFS client"), std::string::npos) << err;
    EXPECT_NE(err.find("mode=fuse"), std::string::npos) << err;
    EXPECT_EQ(call("/VolumeDriver.Get", {{"Name", "kern"}})["Volume"]["Status"]["mounted"], false);
}

// mode=auto picks nfsfuse where the kernel cannot mount NFS, and the volume works (NFSv4.1).
TEST_F(DriverTest, AutoModeFallsBackToFuseWithoutKernelNfs) {
    if (kernel_has_nfs()) GTEST_SKIP() << "this kernel has an NFS client: auto picks the kernel";
    json options = volume_options();
    options["mode"] = "auto";
    ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", "auto"}, {"Opts", options}})["Err"], "");
    const json reply = call("/VolumeDriver.Mount", {{"Name", "auto"}, {"ID", "id-a"}});
    ASSERT_EQ(reply["Err"], "") << reply.dump();
    const std::filesystem::path mountpoint = reply["Mountpoint"].get<std::string>();
    EXPECT_TRUE(is_nfsfuse_mounted(mountpoint));
    EXPECT_TRUE(starts_with(nfsfuse_options_of(mountpoint), "vers=4.1,"))
        << nfsfuse_options_of(mountpoint);
    write_file(in_volume(mountpoint, "auto.txt"), "via auto");
    EXPECT_EQ(read_file(on_server("auto.txt")), "via auto");
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "auto"}, {"ID", "id-a"}})["Err"], "");
}

// mode=auto with vers=4.0 on a host whose auto means nfsfuse, which has no NFSv4.0: refused at
// Create with the reason, rather than at the first docker run.
TEST_F(DriverTest, AutoModeWithNfs40IsRefusedAtCreateWithoutKernelNfs) {
    if (kernel_has_nfs()) GTEST_SKIP() << "this kernel has an NFS client: auto picks the kernel";
    json options = volume_options();
    options["mode"] = "auto";
    options["vers"] = "4.0";
    const std::string err =
        call("/VolumeDriver.Create", {{"Name", "v40"}, {"Opts", options}})["Err"];
    EXPECT_TRUE(starts_with(err, "v40: vers=4.0: ")) << err;
    EXPECT_NE(err.find("no kernel NFS client"), std::string::npos) << err;
    EXPECT_NE(err.find("vers=4.1 (the default) or vers=3"), std::string::npos) << err;
    EXPECT_TRUE(call("/VolumeDriver.List", json::object())["Volumes"].empty());
}

// NFSv3 stays available in fuse mode: vers=3 with the MOUNT port (servers without a portmapper).
TEST_F(DriverTest, Nfs3VolumeWithMountPortWorks) {
    json options = volume_options();
    options["vers"] = "3";
    options["mountport"] = std::to_string(server().mount_port());
    ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", "v3"}, {"Opts", options}})["Err"], "");
    const json reply = call("/VolumeDriver.Mount", {{"Name", "v3"}, {"ID", "id-a"}});
    ASSERT_EQ(reply["Err"], "") << reply.dump();
    const std::filesystem::path mountpoint = reply["Mountpoint"].get<std::string>();
    const std::string nfsfuse_options = nfsfuse_options_of(mountpoint);
    EXPECT_TRUE(starts_with(nfsfuse_options, "vers=3,")) << nfsfuse_options;
    EXPECT_NE(nfsfuse_options.find(",mountport=" + std::to_string(server().mount_port())),
              std::string::npos)
        << nfsfuse_options;
    write_file(in_volume(mountpoint, "over-v3.txt"), "via NFSv3");
    EXPECT_EQ(read_file(on_server("over-v3.txt")), "via NFSv3");
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "v3"}, {"ID", "id-a"}})["Err"], "");
    EXPECT_FALSE(find_mount(mountpoint).has_value());

    // Without vers=3 the default NFSv4.1 has no MOUNT service: refused at Create, saying so.
    options.erase("vers");
    const std::string err =
        call("/VolumeDriver.Create", {{"Name", "nov"}, {"Opts", options}})["Err"];
    EXPECT_NE(err.find("mountport"), std::string::npos) << err;
    EXPECT_NE(err.find("vers=3"), std::string::npos) << err;
}

// A TCP port that takes connections (the kernel completes them into the backlog) and never
// answers: a server that went dark without resetting anything.
class BlackholePort {
  public:
    BlackholePort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(fd_, 128) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
            throw HarnessError("cannot listen on a loopback port");
        port_ = ntohs(address.sin_port);
    }
    ~BlackholePort() { close(); }
    BlackholePort(const BlackholePort&) = delete;
    BlackholePort& operator=(const BlackholePort&) = delete;

    uint16_t port() const { return port_; }
    // Resets every connection waiting in the backlog.
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_;
    uint16_t port_ = 0;
};

// Mounts of a server that never answers hold their requests for a long time (timeo=600). While
// more of them wait than a small fixed pool of HTTP workers has threads, the calls dockerd needs
// to keep trusting the plugin still answer at once.
TEST_F(DriverTest, QuickCallsAnswerWhileMountsOfADeadServerWait) {
    BlackholePort dark;
    json options = volume_options();
    options["port"] = std::to_string(dark.port());
    options["timeo"] = "600";
    constexpr int kVolumes = 4;
    constexpr int kMounts = 16;
    for (int volume = 0; volume < kVolumes; ++volume) {
        const json create = {{"Name", "dark-" + std::to_string(volume)}, {"Opts", options}};
        ASSERT_EQ(call("/VolumeDriver.Create", create)["Err"], "");
    }
    std::vector<std::thread> mounts;
    for (int mount = 0; mount < kMounts; ++mount) {
        mounts.emplace_back([this, mount] {
            const json request = {{"Name", "dark-" + std::to_string(mount % kVolumes)},
                                  {"ID", "id-" + std::to_string(mount)}};
            try {
                PluginClient(socket()).post("/VolumeDriver.Mount", request.dump());
            } catch (const HarnessError&) {
                // The driver is killed at the end of the test, before it answers.
            }
        });
    }
    std::this_thread::sleep_for(1500ms);  // every Mount is in by now, each waits

    const PluginClient quick(socket(), 1s);
    const std::vector<std::pair<std::string, json>> calls = {
        {"/VolumeDriver.Get", {{"Name", "dark-0"}}},
        {"/VolumeDriver.List", json::object()},
        {"/VolumeDriver.Path", {{"Name", "dark-1"}}},
        {"/VolumeDriver.Capabilities", json::object()},
        {"/Plugin.Activate", json::object()}};
    for (const auto& [endpoint, body] : calls) {
        const auto start = std::chrono::steady_clock::now();
        try {
            const PluginReply reply = quick.post(endpoint, body.dump());
            EXPECT_EQ(reply.http_status, 200) << endpoint;
            EXPECT_FALSE(has_error(json::parse(reply.body))) << endpoint << ": " << reply.body;
        } catch (const HarnessError& error) {
            ADD_FAILURE() << error.what();
        }
        EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << endpoint;
    }
    EXPECT_EQ(call("/VolumeDriver.Get", {{"Name", "dark-0"}})["Volume"]["Status"]["mounted"],
              false);

    stop_driver(SIGKILL);
    dark.close();
    for (auto& mount : mounts) mount.join();
}

// A body over the size limit gets an error in the plugin protocol's form, and the driver goes on.
TEST_F(DriverTest, OversizedBodiesGetAClearErrorAndTheDriverGoesOn) {
    for (const size_t size : {size_t{100} * 1024, size_t{4} * 1024 * 1024}) {
        const std::string body =
            R"({"Name":"big","Opts":{"server":")" + std::string(size, 'x') + R"("}})";
        const PluginReply reply = PluginClient(socket()).post("/VolumeDriver.Create", body);
        ASSERT_FALSE(reply.body.empty()) << size << " bytes: HTTP " << reply.http_status;
        const json answer = json::parse(reply.body);
        const std::string err = answer.value("Err", "");
        EXPECT_NE(err.find("limit"), std::string::npos) << size << " bytes: " << reply.body;
    }
    EXPECT_TRUE(call("/VolumeDriver.List", json::object())["Volumes"].empty());
    EXPECT_EQ(call_raw("/Plugin.Activate", ""), (json{{"Implements", {"VolumeDriver"}}}));
}

// --- crashes in the middle of a transition (docs/ARCHITECTURE.md, "Driver state transitions") ---

struct CrashCase {
    const char* step;  // the fault point at which the driver's test build kills itself
    bool happened;     // whether the request counts as done after the restart
};

void PrintTo(const CrashCase& crash, std::ostream* out) {
    *out << crash.step;
}

class DriverCrashTest : public DriverTest, public ::testing::WithParamInterface<CrashCase> {
  protected:
    // "mount" of "mount.intent-saved".
    std::string request() const {
        const std::string step = GetParam().step;
        return step.substr(0, step.find('.'));
    }
};

// The driver dies (SIGKILL) at one step of Create, Mount, Unmount or Remove, before it answers.
// Restarted, it shows what Docker expects of a request that happened, or of one that did not,
// in Get, List, the mount table and the nfsfuse processes; and what Docker does next works.
TEST_P(DriverCrashTest, RecoversToAStateDockerAgreesWith) {
    const std::string name = "crash";
    const std::filesystem::path mountpoint = volume_root() / name;
    stop_driver(SIGKILL);
    start_driver(driver_with_fault_points_binary(),
                 {std::string("NFSFUSE_FAULT_POINT=") + GetParam().step});
    const json create = {{"Name", name}, {"Opts", volume_options()}};
    const json with_id = {{"Name", name}, {"ID", "id-a"}};
    if (request() != "create") {
        ASSERT_EQ(call("/VolumeDriver.Create", create)["Err"], "");
    }
    if (request() == "unmount") {
        ASSERT_EQ(call("/VolumeDriver.Mount", with_id)["Err"], "");
    }

    const std::map<std::string, std::pair<std::string, json>> requests = {
        {"create", {"/VolumeDriver.Create", create}},
        {"mount", {"/VolumeDriver.Mount", with_id}},
        {"unmount", {"/VolumeDriver.Unmount", with_id}},
        {"remove", {"/VolumeDriver.Remove", {{"Name", name}}}}};
    const auto& [endpoint, body] = requests.at(request());
    EXPECT_THROW(PluginClient(socket()).post(endpoint, body.dump()), HarnessError)
        << "the driver answered instead of dying at " << GetParam().step;
    ASSERT_TRUE(driver_->wait(10s).has_value()) << "the driver did not die";
    stop_driver(SIGKILL);
    start_driver();

    const json got = call("/VolumeDriver.Get", {{"Name", name}});
    const bool exists = !(request() == "create" && !GetParam().happened) &&
                        !(request() == "remove" && GetParam().happened);
    ASSERT_EQ(!has_error(got), exists) << got.dump();
    EXPECT_EQ(call("/VolumeDriver.List", json::object())["Volumes"].size(), exists ? 1u : 0u);
    if (!exists) {
        EXPECT_FALSE(std::filesystem::exists(mountpoint));
        return;
    }
    const bool mounted = (request() == "mount" && GetParam().happened) ||
                         (request() == "unmount" && !GetParam().happened);
    // Recovery runs in the background once the socket answers.
    ASSERT_TRUE(eventually(
        [&] {
            const json status = call("/VolumeDriver.Get", {{"Name", name}})["Volume"]["Status"];
            return status["mounted"] == mounted && find_mount(mountpoint).has_value() == mounted;
        },
        20s))
        << call("/VolumeDriver.Get", {{"Name", name}}).dump();
    const json status = call("/VolumeDriver.Get", {{"Name", name}})["Volume"]["Status"];
    EXPECT_EQ(status["mount_count"], mounted ? 1 : 0) << status.dump();
    EXPECT_EQ(status["last_error"], "") << status.dump();
    if (mounted) {
        write_file(in_volume(mountpoint, "after-crash.txt"), "served");
        EXPECT_EQ(read_file(on_server("after-crash.txt")), "served");
        EXPECT_EQ(call("/VolumeDriver.Unmount", with_id)["Err"], "");
    } else {
        EXPECT_TRUE(eventually([&] { return nfsfuse_processes_for(mountpoint).empty(); }, 10s))
            << "an nfsfuse still serves an unmounted volume";
    }
    // What Docker does last: the volume is not refused for a mount ID nobody holds.
    EXPECT_EQ(call("/VolumeDriver.Remove", {{"Name", name}})["Err"], "");
    EXPECT_FALSE(find_mount(mountpoint).has_value());
}

INSTANTIATE_TEST_SUITE_P(
    Steps, DriverCrashTest,
    ::testing::Values(CrashCase{"create.committed", true}, CrashCase{"mount.intent-saved", false},
                      CrashCase{"mount.mounted", false}, CrashCase{"mount.committed", true},
                      CrashCase{"unmount.intent-saved", true}, CrashCase{"unmount.unmounted", true},
                      CrashCase{"unmount.committed", true}, CrashCase{"remove.intent-saved", true},
                      CrashCase{"remove.mountpoint-removed", true},
                      CrashCase{"remove.committed", true}),
    [](const ::testing::TestParamInfo<CrashCase>& param_info) {
        std::string name = param_info.param.step;
        for (char& c : name) {
            if (c == '.' || c == '-') c = '_';
        }
        return name;
    });

}  // namespace
}  // namespace nfsfuse::it
