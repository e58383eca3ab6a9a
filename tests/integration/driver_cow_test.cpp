// cow=true and volatile=true volumes through the driver's real socket: an overlay over the share
// mounted read-only by a real nfsfuse, its upper layer on local disk under the state directory.
// Checked: containers share one merged tree, the files on the server never change, a volatile
// volume forgets after its last Unmount, a driver restart and a dead nfsfuse keep the changes.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <string>

#include "driver_fixture.h"

namespace nfsfuse::it {
namespace {

class DriverCowTest : public DriverTest {
  protected:
    json cow_options(bool volatile_upper = false) {
        json options = volume_options();
        options["cow"] = "true";
        if (volatile_upper) options["volatile"] = "true";
        return options;
    }

    // Creates and mounts `name` for mount ID `id`; returns the mountpoint.
    std::filesystem::path create_and_mount(const std::string& name, const json& options,
                                           const std::string& id = "id-a") {
        const json created = call("/VolumeDriver.Create", {{"Name", name}, {"Opts", options}});
        EXPECT_EQ(created["Err"], "") << created.dump();
        const json mounted = call("/VolumeDriver.Mount", {{"Name", name}, {"ID", id}});
        EXPECT_EQ(mounted["Err"], "") << mounted.dump();
        return mounted.value("Mountpoint", "");
    }

    json status_of(const std::string& name) {
        return call("/VolumeDriver.Get", {{"Name", name}})["Volume"]["Status"];
    }

    // The share's files the tests change through the volume, as they are on the server.
    void make_share_files() {
        write_file(on_server("kept.txt"), "from the share");
        write_file(on_server("doomed.txt"), "deleted in the volume only");
    }
    void expect_share_unchanged() {
        EXPECT_EQ(read_file(on_server("kept.txt")), "from the share");
        EXPECT_EQ(read_file(on_server("doomed.txt")), "deleted in the volume only");
        EXPECT_FALSE(std::filesystem::exists(on_server("new.txt")))
            << "a file made in a cow volume reached the server";
    }
    // What a container changes: a file of the share rewritten, one deleted, one made.
    void change_through(const std::filesystem::path& mountpoint) {
        write_file(in_volume(mountpoint, "kept.txt"), "changed in the volume");
        std::filesystem::remove(in_volume(mountpoint, "doomed.txt"));
        write_file(in_volume(mountpoint, "new.txt"), "made in the volume");
    }
    void expect_changes_seen(const std::filesystem::path& mountpoint) {
        EXPECT_EQ(read_file(in_volume(mountpoint, "kept.txt")), "changed in the volume");
        EXPECT_FALSE(std::filesystem::exists(in_volume(mountpoint, "doomed.txt")));
        EXPECT_EQ(read_file(in_volume(mountpoint, "new.txt")), "made in the volume");
    }
    void expect_share_seen(const std::filesystem::path& mountpoint) {
        EXPECT_EQ(read_file(in_volume(mountpoint, "kept.txt")), "from the share");
        EXPECT_TRUE(std::filesystem::exists(in_volume(mountpoint, "doomed.txt")));
        EXPECT_FALSE(std::filesystem::exists(in_volume(mountpoint, "new.txt")));
    }

    std::filesystem::path lower_of(const std::string& name) const {
        return state_dir() / "cow" / name / "lower";
    }
};

TEST_F(DriverCowTest, ContainersShareTheChangesAndTheShareIsNeverWritten) {
    make_share_files();
    const std::filesystem::path mountpoint = create_and_mount("golden", cow_options());
    ASSERT_FALSE(mountpoint.empty());
    const auto overlay = find_mount(mountpoint);
    ASSERT_TRUE(overlay.has_value());
    EXPECT_EQ(overlay->fs_type, "overlay");
    EXPECT_NE(("," + nfsfuse_options_of(lower_of("golden")) + ",").find(",ro,"), std::string::npos)
        << "the share is mounted read-only: " << nfsfuse_options_of(lower_of("golden"));
    change_through(mountpoint);

    // A second container: the same mount, the same merged tree.
    const json second = call("/VolumeDriver.Mount", {{"Name", "golden"}, {"ID", "id-b"}});
    EXPECT_EQ(second["Mountpoint"], mountpoint.string());
    expect_changes_seen(mountpoint);
    expect_share_unchanged();

    const json status = status_of("golden");
    EXPECT_EQ(status["cow"], true) << status.dump();
    EXPECT_EQ(status["volatile"], false) << status.dump();
    EXPECT_EQ(status["upper_dir"], (state_dir() / "cow" / "golden" / "upper").string());
    EXPECT_GT(status["upper_bytes"].get<uint64_t>(), 0u) << status.dump();

    // Not volatile: the changes outlive the last Unmount and come back at the next Mount.
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "golden"}, {"ID", "id-a"}})["Err"], "");
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "golden"}, {"ID", "id-b"}})["Err"], "");
    EXPECT_FALSE(find_mount(mountpoint).has_value());
    EXPECT_FALSE(find_mount(lower_of("golden")).has_value()) << "the share is unmounted too";
    EXPECT_TRUE(nfsfuse_processes_for(lower_of("golden")).empty() ||
                eventually([&] { return nfsfuse_processes_for(lower_of("golden")).empty(); }, 10s));
    EXPECT_EQ(call("/VolumeDriver.Mount", {{"Name", "golden"}, {"ID", "id-c"}})["Err"], "");
    expect_changes_seen(mountpoint);
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "golden"}, {"ID", "id-c"}})["Err"], "");

    // Remove deletes the local changes, never the share.
    EXPECT_EQ(call("/VolumeDriver.Remove", {{"Name", "golden"}})["Err"], "");
    EXPECT_FALSE(std::filesystem::exists(state_dir() / "cow" / "golden"));
    expect_share_unchanged();
}

TEST_F(DriverCowTest, AVolatileVolumeForgetsItsChangesAfterTheLastUnmount) {
    make_share_files();
    const std::filesystem::path mountpoint = create_and_mount("scratch", cow_options(true));
    ASSERT_FALSE(mountpoint.empty());
    ASSERT_EQ(call("/VolumeDriver.Mount", {{"Name", "scratch"}, {"ID", "id-b"}})["Err"], "");
    change_through(mountpoint);
    EXPECT_EQ(status_of("scratch")["volatile"], true);

    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "scratch"}, {"ID", "id-a"}})["Err"], "");
    expect_changes_seen(mountpoint);  // id-b still uses it
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "scratch"}, {"ID", "id-b"}})["Err"], "");
    EXPECT_FALSE(std::filesystem::exists(state_dir() / "cow" / "scratch" / "upper"))
        << "the changes outlived the last user";
    EXPECT_EQ(status_of("scratch")["upper_bytes"], 0);

    EXPECT_EQ(call("/VolumeDriver.Mount", {{"Name", "scratch"}, {"ID", "id-c"}})["Err"], "");
    expect_share_seen(mountpoint);
    expect_share_unchanged();
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "scratch"}, {"ID", "id-c"}})["Err"], "");
}

// Restart adoption: the overlay and its nfsfuse outlive a SIGKILLed driver, the new one adopts
// them, and the changes (of a volatile volume too: it is still in use) stay.
TEST_F(DriverCowTest, ADriverRestartKeepsTheChanges) {
    make_share_files();
    const std::filesystem::path kept = create_and_mount("kept", cow_options());
    const std::filesystem::path fleeting = create_and_mount("fleeting", cow_options(true));
    ASSERT_FALSE(kept.empty());
    ASSERT_FALSE(fleeting.empty());
    change_through(kept);
    change_through(fleeting);
    const std::vector<pid_t> serving = nfsfuse_processes_for(lower_of("kept"));

    stop_driver(SIGKILL);
    start_driver();
    for (const std::string name : {"kept", "fleeting"}) {
        const json status = status_of(name);
        EXPECT_EQ(status["mounted"], true) << name << ": " << status.dump();
        EXPECT_EQ(status["revivals"], 0) << name << ": adopted, not mounted again";
    }
    EXPECT_EQ(nfsfuse_processes_for(lower_of("kept")), serving) << "the same nfsfuse serves it";
    expect_changes_seen(kept);
    expect_changes_seen(fleeting);
    write_file(in_volume(kept, "after-restart.txt"), "still copy-on-write");
    EXPECT_FALSE(std::filesystem::exists(on_server("after-restart.txt")));
    expect_share_unchanged();

    for (const std::string name : {"kept", "fleeting"})
        EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", name}, {"ID", "id-a"}})["Err"], "");
    EXPECT_FALSE(find_mount(kept).has_value());
    EXPECT_FALSE(find_mount(lower_of("kept")).has_value());
    EXPECT_TRUE(
        std::filesystem::exists(state_dir() / "cow" / "kept" / "upper" / work_name() / "new.txt"));
}

// The nfsfuse under the overlay is SIGKILLed while a "container" uses the volume: the driver mounts
// the share again and a new overlay on the same upper layer on top of the old one, and the
// container sees the share and the changes again through its own copy of the mount.
TEST_F(DriverCowTest, AKilledNfsfuseUnderTheOverlayIsReplacedAndContainersSeeTheVolumeAgain) {
    write_file(on_server("state.txt"), "before");
    const std::filesystem::path mountpoint = create_and_mount("heal", cow_options());
    ASSERT_FALSE(mountpoint.empty());
    write_file(in_volume(mountpoint, "mine.txt"), "a change of this host");

    ForkedChild container =
        container_reading(mountpoint, home_ / "container-data", work_name() + "/state.txt",
                          home_ / "ready", home_ / "go");
    wait_for_first_read(home_);

    const std::vector<pid_t> serving = nfsfuse_processes_for(lower_of("heal"));
    ASSERT_EQ(serving.size(), 1u) << "one nfsfuse serves the share";
    ASSERT_EQ(::kill(serving[0], SIGKILL), 0);
    ASSERT_TRUE(eventually([&] { return status_of("heal")["revivals"] == 1; }, 20s))
        << status_of("heal").dump();
    EXPECT_EQ(status_of("heal")["last_error"], "");

    write_file(on_server("state.txt"), "after");
    EXPECT_EQ(read_file(in_volume(mountpoint, "state.txt")), "after") << "the host sees it again";
    EXPECT_EQ(read_file(in_volume(mountpoint, "mine.txt")), "a change of this host");
    EXPECT_FALSE(std::filesystem::exists(on_server("mine.txt")));
    release_and_expect_ok(container, home_ / "go");

    // The last Unmount removes both overlays and the share.
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "heal"}, {"ID", "id-a"}})["Err"], "");
    EXPECT_FALSE(find_mount(mountpoint).has_value());
    EXPECT_FALSE(find_mount(lower_of("heal")).has_value());
    EXPECT_TRUE(eventually([&] { return nfsfuse_processes_for(lower_of("heal")).empty(); }, 10s));
}

// A driver that was down when the nfsfuse under a cow volume in use died rebuilds it at start.
TEST_F(DriverCowTest, ANfsfuseThatDiedWhileTheDriverWasDownIsReplacedAtStart) {
    const std::filesystem::path mountpoint = create_and_mount("late", cow_options());
    ASSERT_FALSE(mountpoint.empty());
    write_file(in_volume(mountpoint, "mine.txt"), "kept across it all");
    stop_driver(SIGTERM);
    for (const pid_t pid : nfsfuse_processes_for(lower_of("late"))) ::kill(pid, SIGKILL);
    ASSERT_TRUE(eventually([&] { return nfsfuse_processes_for(lower_of("late")).empty(); }, 10s));
    start_driver();
    ASSERT_TRUE(eventually([&] { return status_of("late")["revivals"] == 1; }, 20s))
        << status_of("late").dump();
    write_file(on_server("served.txt"), "the share is back");
    EXPECT_EQ(read_file(in_volume(mountpoint, "served.txt")), "the share is back");
    EXPECT_EQ(read_file(in_volume(mountpoint, "mine.txt")), "kept across it all");
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "late"}, {"ID", "id-a"}})["Err"], "");
    EXPECT_FALSE(find_mount(mountpoint).has_value());
    EXPECT_FALSE(find_mount(lower_of("late")).has_value());
}

// The overlay of a cow volume in use went away while the driver was down (its share is still
// mounted and served): the restarted driver keeps that share and mounts the overlay again.
TEST_F(DriverCowTest, AnOverlayGoneWhileTheDriverWasDownIsMountedAgainOnItsShare) {
    const std::filesystem::path mountpoint = create_and_mount("half", cow_options(true));
    ASSERT_FALSE(mountpoint.empty());
    write_file(in_volume(mountpoint, "mine.txt"), "kept, though volatile: still in use");
    const std::vector<pid_t> serving = nfsfuse_processes_for(lower_of("half"));
    stop_driver(SIGKILL);
    ASSERT_EQ(::umount2(mountpoint.c_str(), 0), 0) << "the overlay, behind the driver's back";
    start_driver();
    ASSERT_TRUE(eventually([&] { return status_of("half")["revivals"] == 1; }, 20s))
        << status_of("half").dump();
    EXPECT_EQ(find_mount(mountpoint)->fs_type, "overlay");
    EXPECT_EQ(nfsfuse_processes_for(lower_of("half")), serving) << "the live share was kept";
    EXPECT_EQ(read_file(in_volume(mountpoint, "mine.txt")), "kept, though volatile: still in use");
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "half"}, {"ID", "id-a"}})["Err"], "");
    EXPECT_FALSE(find_mount(mountpoint).has_value());
    EXPECT_FALSE(find_mount(lower_of("half")).has_value());
}

TEST_F(DriverCowTest, SubdirIsTheLowerLayerAndIsNeverCreated) {
    json options = cow_options();
    options["subdir"] = work_name() + "/team";
    ASSERT_EQ(call("/VolumeDriver.Create", {{"Name", "sub"}, {"Opts", options}})["Err"], "");
    const json refused = call("/VolumeDriver.Mount", {{"Name", "sub"}, {"ID", "id-a"}});
    ASSERT_TRUE(has_error(refused));
    EXPECT_NE(refused["Err"].get<std::string>().find("never creates its subdir"), std::string::npos)
        << refused.dump();
    EXPECT_FALSE(std::filesystem::exists(on_server("team"))) << "a cow volume wrote the share";

    std::filesystem::create_directories(on_server("team"));
    write_file(on_server("team/in-subdir.txt"), "only this subdir");
    const json mounted = call("/VolumeDriver.Mount", {{"Name", "sub"}, {"ID", "id-a"}});
    ASSERT_EQ(mounted["Err"], "") << mounted.dump();
    const std::filesystem::path mountpoint = mounted["Mountpoint"].get<std::string>();
    EXPECT_EQ(read_file(mountpoint / "in-subdir.txt"), "only this subdir");
    write_file(mountpoint / "in-subdir.txt", "changed locally");
    EXPECT_EQ(read_file(on_server("team/in-subdir.txt")), "only this subdir");
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "sub"}, {"ID", "id-a"}})["Err"], "");
    expect_no_private_mounts_left();
}

TEST_F(DriverCowTest, MeaninglessCombinationsAreRefusedAtCreate) {
    json volatile_alone = volume_options();
    volatile_alone["volatile"] = "true";
    const json first = call("/VolumeDriver.Create", {{"Name", "a"}, {"Opts", volatile_alone}});
    EXPECT_NE(first["Err"].get<std::string>().find("only with cow=true"), std::string::npos)
        << first.dump();
    json read_only = cow_options();
    read_only["ro"] = "";
    const json second = call("/VolumeDriver.Create", {{"Name", "b"}, {"Opts", read_only}});
    EXPECT_NE(second["Err"].get<std::string>().find("cannot be combined with cow=true"),
              std::string::npos)
        << second.dump();
    EXPECT_TRUE(call("/VolumeDriver.List", json::object())["Volumes"].empty());
}

// overlayfs reads ',' ':' and '\' in its options as separators: a state directory holding them
// must neither break the overlay nor let its path add options or layers.
class DriverCowOddStateDirTest : public DriverCowTest {
  protected:
    std::filesystem::path state_dir() const override { return home_ / "st,upperdir=x:y\\z"; }
};

TEST_F(DriverCowOddStateDirTest, LayersUnderAStateDirWithOverlaySeparatorsWork) {
    make_share_files();
    const std::filesystem::path mountpoint = create_and_mount("odd", cow_options());
    ASSERT_FALSE(mountpoint.empty());
    change_through(mountpoint);
    expect_changes_seen(mountpoint);
    expect_share_unchanged();
    EXPECT_TRUE(
        std::filesystem::exists(state_dir() / "cow" / "odd" / "upper" / work_name() / "new.txt"));
    EXPECT_FALSE(std::filesystem::exists(home_ / "st")) << "a path was split at the ','";
    EXPECT_EQ(call("/VolumeDriver.Unmount", {{"Name", "odd"}, {"ID", "id-a"}})["Err"], "");
    EXPECT_FALSE(find_mount(mountpoint).has_value());
}

}  // namespace
}  // namespace nfsfuse::it
