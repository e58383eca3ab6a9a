// VolumeManager with a fake mounter: Create validation and idempotency, the Mount-ID set as the
// reference count, failure paths, Remove while in use, restart recovery, persistence before each
// call returns, and that requests for different volumes do not wait on each other's mounts.
#include "driver/volume_manager.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "fake_mounter.h"
#include "util/error.h"

namespace nfsfuse::driver {
namespace {

using testing::FakeMounter;
using testing::TempDir;
using Options = std::map<std::string, std::string>;

const Options kOptions = {{"server", "10.0.0.5"}, {"path", "/exports/data"}};

// YYYY-MM-DDTHH:MM:SSZ (std::regex trips GCC 12's -Wmaybe-uninitialized under ASan).
bool is_rfc3339_utc(const std::string& text) {
    const std::string shape = "dddd-dd-ddTdd:dd:ddZ";
    if (text.size() != shape.size()) return false;
    for (size_t i = 0; i < shape.size(); ++i) {
        const bool digit = text[i] >= '0' && text[i] <= '9';
        if (shape[i] == 'd' ? !digit : text[i] != shape[i]) return false;
    }
    return true;
}

template <typename Call>
std::string expect_error(Call call, int errnum) {
    try {
        call();
        ADD_FAILURE() << "expected nfsfuse::Error(" << errnum << ")";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), errnum) << error.what();
        return error.what();
    }
    return "";
}

class VolumeManagerTest : public ::testing::Test {
  protected:
    std::filesystem::path state_file() const { return dir_.path() / "state" / "state.json"; }
    std::filesystem::path root() const { return dir_.path() / "volumes"; }
    std::filesystem::path work() const { return dir_.path() / "work"; }
    std::filesystem::path mountpoint(const std::string& name) const { return root() / name; }

    // A manager as the daemon builds one: fuse-mode volumes go to fuse_, the rest to kernel_.
    std::unique_ptr<VolumeManager> make_manager(StateStore& store,
                                                MountMode default_mode = MountMode::kernel) {
        return std::make_unique<VolumeManager>(store, root(), work(), default_mode,
                                               [this](const VolumeSpec& spec) -> Mounter& {
                                                   if (spec.mode == MountMode::fuse) return fuse_;
                                                   return kernel_;
                                               });
    }

    // What a restarted driver would read.
    VolumeRecords saved() const { return StateStore(state_file()).load(); }
    size_t saved_ids(const std::string& name) const { return saved().at(name).mount_ids.size(); }

    TempDir dir_;
    FakeMounter kernel_{"kernel"};
    FakeMounter fuse_{"fuse"};
    StateStore store_{state_file()};
    std::unique_ptr<VolumeManager> manager_ = make_manager(store_);
};

TEST_F(VolumeManagerTest, CreateRecordsAndMountsNothing) {
    manager_->create("data", kOptions);
    EXPECT_EQ(kernel_.mount_calls(), 0);
    EXPECT_FALSE(std::filesystem::exists(mountpoint("data")));
    ASSERT_EQ(saved().size(), 1u);
    EXPECT_EQ(saved().at("data").options, kOptions);

    const VolumeInfo info = manager_->get("data");
    EXPECT_EQ(info.name, "data");
    EXPECT_EQ(info.mountpoint, "");
    EXPECT_TRUE(is_rfc3339_utc(info.created_at)) << info.created_at;
    EXPECT_EQ(saved().at("data").created_at, info.created_at);
    EXPECT_EQ(info.mode, "kernel");
    EXPECT_EQ(info.server, "10.0.0.5");
    EXPECT_EQ(info.share, "10.0.0.5:/exports/data");
    EXPECT_FALSE(info.mounted);
    EXPECT_EQ(info.mount_count, 0u);
    EXPECT_EQ(info.last_error, "");
}

// A volume its mounter could never mount (mode=auto with vers=4.0 where auto means nfsfuse) is
// refused at Create, not at the first docker run.
TEST_F(VolumeManagerTest, CreateRefusesWhatTheVolumesMounterCannotMount) {
    kernel_.refuse_version(NfsVersion::v4_0, "vers=4.0: not with this mounter");
    Options options = kOptions;
    options["mode"] = "auto";
    options["vers"] = "4.0";
    EXPECT_EQ(expect_error([&] { manager_->create("old", options); }, EINVAL),
              "old: vers=4.0: not with this mounter");
    EXPECT_TRUE(manager_->list().empty());

    options["vers"] = "4.1";
    manager_->create("new", options);
    ASSERT_EQ(saved().size(), 1u);
    EXPECT_EQ(saved().count("new"), 1u);
    EXPECT_EQ(kernel_.mount_calls(), 0) << "Create checks, it does not mount";
}

TEST_F(VolumeManagerTest, CreateIsIdempotentForIdenticalOptions) {
    manager_->create("data", kOptions);
    const std::string created_at = manager_->get("data").created_at;
    manager_->create("data", kOptions);
    EXPECT_EQ(manager_->list().size(), 1u);
    EXPECT_EQ(manager_->get("data").created_at, created_at);

    Options other = kOptions;
    other["path"] = "/exports/other";
    EXPECT_EQ(expect_error([&] { manager_->create("data", other); }, EEXIST),
              "data: exists with other options");
    EXPECT_EQ(saved().at("data").options, kOptions);
}

TEST_F(VolumeManagerTest, CreateRefusesBadOptionsWithTheVolumeName) {
    const std::string message = expect_error(
        [&] {
            manager_->create("data", {{"server", "x"}, {"bogus", "1"}});
        },
        EINVAL);
    EXPECT_EQ(message.rfind("data: ", 0), 0u) << message;
    EXPECT_NE(message.find("bogus"), std::string::npos) << message;
    EXPECT_TRUE(manager_->list().empty());
    EXPECT_FALSE(std::filesystem::exists(state_file()));
}

TEST_F(VolumeManagerTest, BadNamesAreRefusedBeforeAnyPathIsBuilt) {
    for (const std::string& name :
         std::vector<std::string>{"../etc", "", ".hidden", "a/b", "-x", std::string(256, 'a')}) {
        expect_error([&] { manager_->create(name, kOptions); }, EINVAL);
        expect_error([&] { manager_->mount(name, "id1"); }, EINVAL);
        expect_error([&] { manager_->unmount(name, "id1"); }, EINVAL);
        expect_error([&] { manager_->remove(name); }, EINVAL);
        expect_error([&] { manager_->path(name); }, EINVAL);
        expect_error([&] { manager_->get(name); }, EINVAL);
    }
    EXPECT_FALSE(std::filesystem::exists(root()));
    EXPECT_FALSE(std::filesystem::exists(state_file()));
    EXPECT_FALSE(std::filesystem::exists(dir_.path() / "etc"));
}

TEST_F(VolumeManagerTest, UnknownVolumeIsEnoent) {
    EXPECT_EQ(expect_error([&] { manager_->get("nope"); }, ENOENT), "nope: no such volume");
    expect_error([&] { manager_->mount("nope", "id1"); }, ENOENT);
    expect_error([&] { manager_->unmount("nope", "id1"); }, ENOENT);
    expect_error([&] { manager_->remove("nope"); }, ENOENT);
    expect_error([&] { manager_->path("nope"); }, ENOENT);
}

TEST_F(VolumeManagerTest, MountIdSetIsTheReferenceCount) {
    manager_->create("data", kOptions);

    EXPECT_EQ(manager_->mount("data", "A"), mountpoint("data"));
    EXPECT_EQ(kernel_.mount_calls(), 1);
    EXPECT_EQ(kernel_.mounts_without_directory(), 0);  // the directory existed when mounting
    EXPECT_EQ(kernel_.mount_targets().at(0), mountpoint("data"));
    EXPECT_EQ(saved_ids("data"), 1u);

    EXPECT_EQ(manager_->mount("data", "B"), mountpoint("data"));
    EXPECT_EQ(kernel_.mount_calls(), 1);
    EXPECT_EQ(manager_->get("data").mount_count, 2u);
    EXPECT_EQ(saved_ids("data"), 2u);

    manager_->unmount("data", "A");
    EXPECT_EQ(kernel_.unmount_calls(), 0);
    EXPECT_TRUE(manager_->get("data").mounted);
    EXPECT_EQ(saved_ids("data"), 1u);
    EXPECT_TRUE(std::filesystem::is_directory(mountpoint("data")));

    manager_->unmount("data", "B");
    EXPECT_EQ(kernel_.unmount_calls(), 1);
    EXPECT_FALSE(kernel_.mounted(mountpoint("data")));
    EXPECT_FALSE(manager_->get("data").mounted);
    EXPECT_EQ(manager_->get("data").mount_count, 0u);
    EXPECT_EQ(saved_ids("data"), 0u);
    EXPECT_FALSE(std::filesystem::exists(mountpoint("data")));
}

TEST_F(VolumeManagerTest, DockerCreateThenStartSequence) {
    // What dockerd sends for one `docker run`: a short pair, then the container's pair.
    manager_->create("data", kOptions);
    manager_->mount("data", "1293ff42");
    manager_->unmount("data", "1293ff42");
    manager_->mount("data", "a4310f71");
    EXPECT_EQ(manager_->get("data").mount_count, 1u);
    manager_->unmount("data", "a4310f71");
    EXPECT_EQ(kernel_.mount_calls(), 2);
    EXPECT_EQ(kernel_.unmount_calls(), 2);
}

TEST_F(VolumeManagerTest, DuplicateMountIdDoesNotDrift) {
    manager_->create("data", kOptions);
    manager_->mount("data", "A");
    EXPECT_EQ(manager_->mount("data", "A"), mountpoint("data"));
    EXPECT_EQ(kernel_.mount_calls(), 1);
    EXPECT_EQ(manager_->get("data").mount_count, 1u);
    manager_->unmount("data", "A");
    EXPECT_EQ(kernel_.unmount_calls(), 1);
    EXPECT_FALSE(manager_->get("data").mounted);
}

TEST_F(VolumeManagerTest, UnknownUnmountIdIsANoOp) {
    manager_->create("data", kOptions);
    manager_->unmount("data", "never-mounted");
    manager_->mount("data", "A");
    manager_->unmount("data", "B");
    EXPECT_EQ(kernel_.unmount_calls(), 0);
    EXPECT_EQ(manager_->get("data").mount_count, 1u);
    manager_->unmount("data", "A");
    manager_->unmount("data", "A");  // Docker's retry
    EXPECT_EQ(kernel_.unmount_calls(), 1);
    EXPECT_EQ(manager_->get("data").mount_count, 0u);
}

TEST_F(VolumeManagerTest, EmptyMountIdIsInvalid) {
    manager_->create("data", kOptions);
    EXPECT_EQ(expect_error([&] { manager_->mount("data", ""); }, EINVAL), "data: empty mount ID");
    expect_error([&] { manager_->unmount("data", ""); }, EINVAL);
    EXPECT_EQ(kernel_.mount_calls(), 0);
}

TEST_F(VolumeManagerTest, AMounterMessageThatNamesTheVolumeIsNotPrefixedTwice) {
    manager_->create("data", kOptions);
    kernel_.fail_mounts(true, EIO, "data: mounting h:/e failed: refused");
    EXPECT_EQ(expect_error([&] { manager_->mount("data", "A"); }, EIO),
              "data: mounting h:/e failed: refused");
}

TEST_F(VolumeManagerTest, FailedMountAddsNoId) {
    manager_->create("data", kOptions);
    kernel_.fail_mounts(true, ETIMEDOUT, "10.0.0.5: connection timed out");
    EXPECT_EQ(expect_error([&] { manager_->mount("data", "A"); }, ETIMEDOUT),
              "data: 10.0.0.5: connection timed out");
    VolumeInfo info = manager_->get("data");
    EXPECT_EQ(info.mount_count, 0u);
    EXPECT_FALSE(info.mounted);
    EXPECT_EQ(info.last_error, "10.0.0.5: connection timed out");
    EXPECT_EQ(saved_ids("data"), 0u);
    EXPECT_FALSE(std::filesystem::exists(mountpoint("data")));

    kernel_.fail_mounts(false);
    manager_->mount("data", "A");
    info = manager_->get("data");
    EXPECT_TRUE(info.mounted);
    EXPECT_EQ(info.mount_count, 1u);
    EXPECT_EQ(info.last_error, "");
}

TEST_F(VolumeManagerTest, FailedUnmountKeepsTheId) {
    manager_->create("data", kOptions);
    manager_->mount("data", "A");
    kernel_.fail_unmounts(true);
    EXPECT_EQ(expect_error([&] { manager_->unmount("data", "A"); }, EBUSY), "data: target is busy");
    VolumeInfo info = manager_->get("data");
    EXPECT_TRUE(info.mounted);
    EXPECT_EQ(info.mount_count, 1u);
    EXPECT_EQ(info.last_error, "target is busy");
    EXPECT_EQ(saved_ids("data"), 1u);
    EXPECT_TRUE(std::filesystem::is_directory(mountpoint("data")));

    kernel_.fail_unmounts(false);
    manager_->unmount("data", "A");  // Docker retries
    info = manager_->get("data");
    EXPECT_FALSE(info.mounted);
    EXPECT_EQ(info.mount_count, 0u);
    EXPECT_EQ(info.last_error, "");
}

// cow volumes: the VolumeManager knows nothing of overlays, only that a volume may keep data on
// local disk (Mounter::local_layer), which Get shows and Remove deletes.
const Options kCowOptions = {
    {"server", "10.0.0.5"}, {"path", "/exports/data"}, {"mode", "fuse"}, {"cow", "true"}};

TEST_F(VolumeManagerTest, GetShowsALocalLayerAndSaysWhyOneCannotBeMeasured) {
    manager_->create("golden", kCowOptions);
    EXPECT_FALSE(manager_->get("golden").local_layer.has_value());
    fuse_.set_local_layer("golden", LocalLayer{"/state/cow/golden/upper", 8192, false});
    const VolumeInfo info = manager_->get("golden");
    ASSERT_TRUE(info.local_layer.has_value());
    EXPECT_EQ(info.local_layer->directory, "/state/cow/golden/upper");
    EXPECT_EQ(info.local_layer->bytes, 8192u);
    EXPECT_EQ(info.local_layer_error, "");
    fuse_.fail_local_data(true);
    const VolumeInfo failed = manager_->get("golden");
    EXPECT_FALSE(failed.local_layer.has_value());
    EXPECT_NE(failed.local_layer_error.find("cannot measure golden"), std::string::npos);
}

TEST_F(VolumeManagerTest, RemoveDeletesTheLocalDataAndKeepsTheVolumeWhenThatFails) {
    manager_->create("golden", kCowOptions);
    fuse_.fail_local_data(true);
    const std::string message = expect_error([&] { manager_->remove("golden"); }, EBUSY);
    EXPECT_NE(message.find("golden: the share is still mounted"), std::string::npos) << message;
    EXPECT_NO_THROW(manager_->get("golden")) << "a failed Remove keeps the volume";
    EXPECT_TRUE(saved().contains("golden"));
    fuse_.fail_local_data(false);
    manager_->remove("golden");
    EXPECT_EQ(fuse_.removed_local_data(), std::vector<std::string>{"golden"});
    EXPECT_FALSE(saved().contains("golden"));
}

TEST_F(VolumeManagerTest, ACowVolumesSubdirIsCheckedOnTheShareReadOnlyAndNeverCreated) {
    Options options = kCowOptions;
    options["subdir"] = "team/app";
    manager_->create("sub", options);
    const std::string message = expect_error([&] { manager_->mount("sub", "id-a"); }, ENOENT);
    EXPECT_NE(message.find("a cow volume never writes its share, so it never creates its subdir"),
              std::string::npos)
        << message;
    const VolumeSpec checked = fuse_.last_spec();
    EXPECT_TRUE(checked.read_only) << "the export root is mounted read-only for the check";
    EXPECT_FALSE(checked.cow) << "the check mounts the share, not an overlay";
    EXPECT_TRUE(checked.subdir.empty());
    EXPECT_FALSE(std::filesystem::exists(work() / "subdir-sub" / "team"));
}

TEST_F(VolumeManagerTest, RemoveRefusesWhileMounted) {
    manager_->create("data", kOptions);
    manager_->mount("data", "A");
    manager_->mount("data", "B");
    EXPECT_EQ(expect_error([&] { manager_->remove("data"); }, EBUSY),
              "data: still mounted by 2 container mount(s)");
    EXPECT_TRUE(saved().contains("data"));
    manager_->unmount("data", "A");
    manager_->unmount("data", "B");

    manager_->remove("data");
    EXPECT_TRUE(manager_->list().empty());
    EXPECT_FALSE(saved().contains("data"));
    expect_error([&] { manager_->get("data"); }, ENOENT);
    // The name can be used again, with other options.
    manager_->create("data", {{"server", "10.0.0.6"}, {"path", "/x"}});
    EXPECT_EQ(manager_->get("data").server, "10.0.0.6");
}

TEST_F(VolumeManagerTest, RemoveDeletesAnEmptyLeftoverMountpoint) {
    manager_->create("data", kOptions);
    std::filesystem::create_directories(mountpoint("data"));
    manager_->remove("data");
    EXPECT_FALSE(std::filesystem::exists(mountpoint("data")));
}

TEST_F(VolumeManagerTest, RemoveNeverDeletesRecursively) {
    manager_->create("data", kOptions);
    std::filesystem::create_directories(mountpoint("data"));
    std::ofstream(mountpoint("data") / "keep") << "user data";
    manager_->remove("data");
    EXPECT_TRUE(std::filesystem::exists(mountpoint("data") / "keep"));
}

TEST_F(VolumeManagerTest, PathIsTheMountpointOnlyWhileMounted) {
    manager_->create("data", kOptions);
    EXPECT_EQ(manager_->path("data"), "");
    manager_->mount("data", "A");
    EXPECT_EQ(manager_->path("data"), mountpoint("data"));
    EXPECT_EQ(manager_->get("data").mountpoint, mountpoint("data"));
    manager_->unmount("data", "A");
    EXPECT_EQ(manager_->path("data"), "");
}

TEST_F(VolumeManagerTest, ListReturnsEveryVolume) {
    manager_->create("b", kOptions);
    manager_->create("a", {{"share", "nfs.example:/exports/a"}, {"subdir", "team/one"}});
    manager_->mount("b", "X");
    const auto volumes = manager_->list();
    ASSERT_EQ(volumes.size(), 2u);
    EXPECT_EQ(volumes[0].name, "a");
    EXPECT_EQ(volumes[0].share, "nfs.example:/exports/a/team/one");
    EXPECT_FALSE(volumes[0].mounted);
    EXPECT_EQ(volumes[1].name, "b");
    EXPECT_TRUE(volumes[1].mounted);
    EXPECT_EQ(volumes[1].mount_count, 1u);
}

TEST_F(VolumeManagerTest, ModeChoosesTheMounter) {
    manager_->create("k", kOptions);
    Options fuse = kOptions;
    fuse["mode"] = "fuse";
    manager_->create("f", fuse);
    manager_->mount("k", "1");
    manager_->mount("f", "2");
    EXPECT_EQ(kernel_.mount_volumes(), std::vector<std::string>{"k"});
    EXPECT_EQ(fuse_.mount_volumes(), std::vector<std::string>{"f"});
    EXPECT_EQ(manager_->get("f").mode, "fuse");
    manager_->unmount("f", "2");
    EXPECT_EQ(fuse_.unmount_calls(), 1);
    EXPECT_EQ(kernel_.unmount_calls(), 0);
}

TEST_F(VolumeManagerTest, DefaultModeApplies) {
    StateStore store(dir_.path() / "other.json");
    auto manager = make_manager(store, MountMode::fuse);
    manager->create("data", kOptions);
    manager->mount("data", "A");
    EXPECT_EQ(fuse_.mount_calls(), 1);
    EXPECT_EQ(manager->get("data").mode, "fuse");
}

TEST_F(VolumeManagerTest, EveryCallIsPersistedBeforeItReturns) {
    // A second manager restored from the file after each call sees the same state.
    const auto check = [&](size_t volumes, size_t ids_of_data) {
        StateStore store(state_file());
        VolumeManager reloaded(store, root(), work(), MountMode::kernel,
                               [&](const VolumeSpec&) -> Mounter& { return kernel_; });
        reloaded.restore();
        ASSERT_EQ(reloaded.list().size(), volumes);
        if (volumes > 0) {
            EXPECT_EQ(reloaded.get("data").mount_count, ids_of_data);
        }
    };
    manager_->create("data", kOptions);
    check(1, 0);
    manager_->mount("data", "A");
    check(1, 1);
    manager_->mount("data", "B");
    check(1, 2);
    manager_->unmount("data", "B");
    check(1, 1);
    manager_->unmount("data", "A");
    check(1, 0);
    manager_->remove("data");
    check(0, 0);
}

TEST_F(VolumeManagerTest, SaveFailureFailsTheCall) {
    manager_->create("data", kOptions);
    // The temporary file's name taken by a directory makes every save fail.
    std::filesystem::create_directory(state_file().string() + ".tmp");
    expect_error([&] { manager_->create("other", kOptions); }, EISDIR);
    expect_error([&] { manager_->get("other"); }, ENOENT);

    const std::string message = expect_error([&] { manager_->mount("data", "A"); }, EISDIR);
    EXPECT_EQ(message.rfind("data: ", 0), 0u) << message;
    EXPECT_EQ(manager_->get("data").mount_count, 0u);
    EXPECT_FALSE(kernel_.mounted(mountpoint("data")));  // not left mounted for nobody

    expect_error([&] { manager_->remove("data"); }, EISDIR);
    EXPECT_EQ(manager_->list().size(), 1u);
}

// --- restart ---

class VolumeManagerRestoreTest : public VolumeManagerTest {
  protected:
    // A driver restart: a new manager on the same state file and the same (host) mounts.
    std::unique_ptr<VolumeManager> restart() {
        auto manager = make_manager(store_);
        manager->restore();
        return manager;
    }
};

TEST_F(VolumeManagerRestoreTest, RestoresVolumesAndOptions) {
    manager_->create("a", kOptions);
    manager_->create("b", {{"share", "h:/e"}});
    const std::string created_at = manager_->get("a").created_at;
    auto restarted = restart();
    ASSERT_EQ(restarted->list().size(), 2u);
    EXPECT_EQ(restarted->get("a").created_at, created_at);
    EXPECT_EQ(restarted->get("b").share, "h:/e");
    restarted->create("a", kOptions);  // still idempotent
    expect_error([&] { restarted->create("a", {{"share", "h:/e"}}); }, EEXIST);
    EXPECT_EQ(kernel_.mount_calls(), 0);
}

TEST_F(VolumeManagerRestoreTest, AdoptsLiveMounts) {
    manager_->create("data", kOptions);
    manager_->mount("data", "A");
    manager_->mount("data", "B");
    auto restarted = restart();
    EXPECT_EQ(kernel_.mount_calls(), 1);  // not mounted again
    VolumeInfo info = restarted->get("data");
    EXPECT_TRUE(info.mounted);
    EXPECT_EQ(info.mount_count, 2u);
    EXPECT_EQ(restarted->path("data"), mountpoint("data"));

    restarted->unmount("data", "A");
    EXPECT_EQ(kernel_.unmount_calls(), 0);
    restarted->unmount("data", "B");
    EXPECT_EQ(kernel_.unmount_calls(), 1);
    EXPECT_FALSE(kernel_.mounted(mountpoint("data")));
}

TEST_F(VolumeManagerRestoreTest, RemountsDeadMounts) {
    manager_->create("data", kOptions);
    manager_->mount("data", "A");
    kernel_.set_mounted(mountpoint("data"), false);  // e.g. the host rebooted
    auto restarted = restart();
    EXPECT_EQ(kernel_.mount_calls(), 2);
    EXPECT_TRUE(kernel_.mounted(mountpoint("data")));
    EXPECT_TRUE(restarted->get("data").mounted);
    EXPECT_EQ(restarted->get("data").mount_count, 1u);
}

TEST_F(VolumeManagerRestoreTest, FailedRemountKeepsIdsAndRecordsTheError) {
    manager_->create("data", kOptions);
    manager_->mount("data", "A");
    kernel_.set_mounted(mountpoint("data"), false);
    kernel_.fail_mounts(true, EHOSTUNREACH, "no route to host");
    auto restarted = restart();  // does not throw
    VolumeInfo info = restarted->get("data");
    EXPECT_FALSE(info.mounted);
    EXPECT_EQ(info.mount_count, 1u);
    EXPECT_EQ(info.last_error, "no route to host");
    EXPECT_EQ(restarted->path("data"), "");

    // A new Mount tries again; when the server is back it works.
    kernel_.fail_mounts(false);
    restarted->mount("data", "B");
    EXPECT_TRUE(restarted->get("data").mounted);
    EXPECT_EQ(restarted->get("data").last_error, "");
    restarted->unmount("data", "A");
    restarted->unmount("data", "B");
    EXPECT_EQ(kernel_.unmount_calls(), 1);
}

TEST_F(VolumeManagerRestoreTest, FailedRemountThenDockersUnmountBalances) {
    manager_->create("data", kOptions);
    manager_->mount("data", "A");
    kernel_.set_mounted(mountpoint("data"), false);
    kernel_.fail_mounts(true);
    auto restarted = restart();
    restarted->unmount("data", "A");
    EXPECT_EQ(kernel_.unmount_calls(), 0);  // nothing was mounted
    EXPECT_EQ(restarted->get("data").mount_count, 0u);
    restarted->remove("data");
}

TEST_F(VolumeManagerRestoreTest, KeepsVolumesWhoseOptionsNoLongerParse) {
    VolumeRecords records;
    VolumeRecord& old = records["old"];
    old.options = {{"server", "h"}, {"path", "/e"}, {"retired", "1"}};
    old.created_at = "2026-01-01T00:00:00Z";
    old.mode = "kernel";
    old.nfs_version = "4.1";
    old.mount_ids = {"A"};
    store_.save(records);
    auto restarted = restart();
    VolumeInfo info = restarted->get("old");
    EXPECT_NE(info.last_error.find("retired"), std::string::npos) << info.last_error;
    EXPECT_EQ(info.mount_count, 1u);
    EXPECT_FALSE(info.mounted);
    EXPECT_EQ(kernel_.mount_calls() + fuse_.mount_calls(), 0);

    const std::string message = expect_error([&] { restarted->mount("old", "B"); }, EINVAL);
    EXPECT_EQ(message.rfind("old: ", 0), 0u) << message;
    restarted->unmount("old", "A");
    EXPECT_EQ(saved().at("old").mount_ids.size(), 0u);
    EXPECT_EQ(saved().at("old").options.size(), 3u);  // kept as they were
    restarted->remove("old");
    EXPECT_FALSE(saved().contains("old"));
}

TEST_F(VolumeManagerRestoreTest, CleansStaleMountsAndMountpoints) {
    manager_->create("stale", kOptions);
    manager_->create("dir", kOptions);
    kernel_.set_mounted(mountpoint("stale"), true);  // mounted, but no Mount ID was saved
    std::filesystem::create_directories(mountpoint("dir"));
    auto restarted = restart();
    EXPECT_EQ(kernel_.unmount_calls(), 1);
    EXPECT_FALSE(kernel_.mounted(mountpoint("stale")));
    EXPECT_FALSE(std::filesystem::exists(mountpoint("dir")));
    EXPECT_FALSE(restarted->get("stale").mounted);
}

TEST_F(VolumeManagerRestoreTest, CorruptStateFileIsAnError) {
    std::filesystem::create_directories(state_file().parent_path());
    std::ofstream(state_file()) << "{not json";
    auto manager = make_manager(store_);
    expect_error([&] { manager->restore(); }, EIO);
}

TEST_F(VolumeManagerRestoreTest, ModeChosenAtCreateSurvivesAChangeOfTheDefault) {
    StateStore store(state_file());
    auto created_under_fuse = make_manager(store, MountMode::fuse);
    created_under_fuse->create("data", kOptions);
    created_under_fuse->create("auto", {{"share", "h:/e"}, {"mode", "auto"}});
    EXPECT_EQ(saved().at("data").mode, "fuse");
    // The daemon restarts with --default-mode kernel: the volume stays a fuse volume.
    auto restarted = make_manager(store, MountMode::kernel);
    restarted->restore();
    restarted->mount("data", "A");
    EXPECT_EQ(fuse_.mount_calls(), 1);
    EXPECT_EQ(kernel_.mount_calls(), 0);
    EXPECT_EQ(restarted->get("data").mode, "fuse");
    EXPECT_EQ(restarted->get("auto").requested_mode, "auto");
    restarted->create("data", kOptions);  // still idempotent under the new default
}

TEST_F(VolumeManagerRestoreTest, StateWithoutAModeTakesTheCurrentDefault) {
    std::filesystem::create_directories(state_file().parent_path());
    std::ofstream(state_file())
        << R"({"version":1,"volumes":{"old":{"options":{"share":"h:/e"},"mount_ids":[]}}})";
    auto manager = make_manager(store_, MountMode::fuse);
    manager->restore();
    EXPECT_EQ(manager->get("old").mode, "fuse");
}

TEST_F(VolumeManagerRestoreTest, TheNfsVersionChosenAtCreateIsKept) {
    manager_->create("data", {{"share", "h:/e"}, {"mode", "fuse"}});
    EXPECT_EQ(saved().at("data").nfs_version, "4.1");
    auto restarted = restart();
    restarted->mount("data", "A");
    EXPECT_EQ(fuse_.last_spec().version, NfsVersion::v4_1);
}

// Before the version was recorded, fuse mode always meant NFSv3, and mountport was valid there:
// such volumes keep working after an upgrade, as the NFSv3 volumes they were created as.
TEST_F(VolumeManagerRestoreTest, FuseVolumesFromOlderStateFilesStayNfsv3) {
    std::filesystem::create_directories(state_file().parent_path());
    std::ofstream(state_file()) << R"({"version":1,"volumes":{"old":{"options":)"
                                   R"({"share":"h:/e","mountport":"20048"},"mode":"fuse",)"
                                   R"("mount_ids":[]}}})";
    auto manager = make_manager(store_, MountMode::fuse);
    manager->restore();
    manager->mount("old", "A");
    EXPECT_EQ(fuse_.last_spec().version, NfsVersion::v3);
    EXPECT_EQ(fuse_.last_spec().mount_port, 20048);
}

TEST_F(VolumeManagerRestoreTest, RevivesAMountThatDiedWhileTheDriverWasDown) {
    manager_->create("data", kOptions);
    manager_->mount("data", "A");
    kernel_.kill_server_of(mountpoint("data"));
    auto restarted = restart();
    EXPECT_EQ(kernel_.revive_calls(), 1);
    EXPECT_EQ(kernel_.mount_calls(), 1);  // revived over the dead mount, not mounted beside it
    const VolumeInfo info = restarted->get("data");
    EXPECT_TRUE(info.mounted);
    EXPECT_EQ(info.revivals, 1u);
    EXPECT_NE(info.last_event.find("dead at driver start"), std::string::npos) << info.last_event;
}

// The state file names the process serving the mount; a restarted driver adopts the mount only
// if that process still serves it, whatever else claims to.
TEST_F(VolumeManagerRestoreTest, AdoptsOnlyTheServerProcessTheStateFileRecorded) {
    manager_->create("data", kOptions);
    manager_->mount("data", "A");
    const std::optional<ServerProcess> started = kernel_.server_of(mountpoint("data"));
    ASSERT_TRUE(started.has_value());
    EXPECT_EQ(saved().at("data").server, started);
    kernel_.replace_server_of(mountpoint("data"));
    auto restarted = restart();
    ASSERT_FALSE(kernel_.recorded_servers().empty());
    EXPECT_EQ(kernel_.recorded_servers().back(), started);
    EXPECT_EQ(kernel_.revive_calls(), 1) << "a process the driver did not start is not adopted";
    EXPECT_EQ(restarted->get("data").revivals, 1u);
    const std::optional<ServerProcess> revived = kernel_.server_of(mountpoint("data"));
    EXPECT_NE(revived, started);
    EXPECT_EQ(saved().at("data").server, revived) << "the new process is recorded";
    restarted->unmount("data", "A");
    EXPECT_FALSE(saved().at("data").server.has_value());
}

// --- supervision ---

TEST_F(VolumeManagerTest, SuperviseRevivesADeadMountInUseAndShowsIt) {
    manager_->create("data", kOptions);
    manager_->mount("data", "A");
    EXPECT_EQ(manager_->supervise(), 0u);
    kernel_.kill_server_of(mountpoint("data"));
    EXPECT_EQ(manager_->supervise(), 1u);
    EXPECT_EQ(kernel_.revive_calls(), 1);
    EXPECT_TRUE(kernel_.is_served(mountpoint("data"), std::nullopt));
    const VolumeInfo info = manager_->get("data");
    EXPECT_EQ(info.revivals, 1u);
    EXPECT_EQ(info.mount_count, 1u);
    EXPECT_EQ(info.last_error, "");
    EXPECT_NE(info.last_event.find("stopped working"), std::string::npos) << info.last_event;
    EXPECT_NE(info.last_event.find("mounted the share again"), std::string::npos);
    EXPECT_EQ(manager_->supervise(), 0u);  // healthy again: nothing to do
    manager_->unmount("data", "A");
    EXPECT_EQ(kernel_.unmount_calls(), 1);
}

TEST_F(VolumeManagerTest, SupervisionRecordsTheProcessThatServesTheRevivedMount) {
    manager_->create("data", kOptions);
    manager_->mount("data", "A");
    const std::optional<ServerProcess> started = saved().at("data").server;
    kernel_.kill_server_of(mountpoint("data"));
    EXPECT_EQ(manager_->supervise(), 1u);
    EXPECT_NE(saved().at("data").server, started);
    EXPECT_EQ(saved().at("data").server, kernel_.server_of(mountpoint("data")));
}

TEST_F(VolumeManagerTest, SuperviseMountsAgainWhatWasUnmountedBehindItsBack) {
    manager_->create("data", kOptions);
    manager_->mount("data", "A");
    kernel_.set_mounted(mountpoint("data"), false);
    EXPECT_EQ(manager_->supervise(), 1u);
    EXPECT_TRUE(kernel_.mounted(mountpoint("data")));
    EXPECT_NE(manager_->get("data").last_event.find("disappeared"), std::string::npos);
}

TEST_F(VolumeManagerTest, SuperviseLeavesUnusedVolumesAlone) {
    manager_->create("idle", kOptions);
    manager_->create("done", kOptions);
    manager_->mount("done", "A");
    manager_->unmount("done", "A");
    EXPECT_EQ(manager_->supervise(), 0u);
    EXPECT_EQ(kernel_.revive_calls(), 0);
    EXPECT_EQ(kernel_.mount_calls(), 1);
}

TEST_F(VolumeManagerTest, FailedRevivalIsShownAndRetriedOnTheNextPass) {
    manager_->create("data", kOptions);
    manager_->mount("data", "A");
    kernel_.kill_server_of(mountpoint("data"));
    kernel_.fail_mounts(true, EIO, "server unreachable");
    EXPECT_EQ(manager_->supervise(), 1u);
    VolumeInfo info = manager_->get("data");
    EXPECT_EQ(info.revivals, 0u);
    EXPECT_NE(info.last_error.find("server unreachable"), std::string::npos) << info.last_error;
    EXPECT_NE(info.last_event.find("failed"), std::string::npos) << info.last_event;
    EXPECT_TRUE(info.mounted);  // the dead mount is still what containers hold

    kernel_.fail_mounts(false);
    EXPECT_EQ(manager_->supervise(), 1u);
    info = manager_->get("data");
    EXPECT_EQ(info.revivals, 1u);
    EXPECT_EQ(info.last_error, "");
}

TEST_F(VolumeManagerTest, FirstMountReplacesADeadLeftoverMount) {
    manager_->create("data", kOptions);
    kernel_.set_mounted(mountpoint("data"), true);
    kernel_.kill_server_of(mountpoint("data"));
    manager_->mount("data", "A");
    EXPECT_EQ(kernel_.unmount_calls(), 1);
    EXPECT_EQ(kernel_.mount_calls(), 1);
    EXPECT_TRUE(kernel_.is_served(mountpoint("data"), std::nullopt));
}

// --- subdir ---

TEST_F(VolumeManagerTest, MissingSubdirIsCreatedThroughAMountOfTheExportRoot) {
    Options options = kOptions;
    options["subdir"] = "team/app";
    manager_->create("data", options);
    manager_->mount("data", "A");
    // The fake mounts nothing, so the "export root" is the private staging directory itself.
    const std::filesystem::path staging = work() / "subdir-data";
    const std::vector<std::filesystem::path> expected = {staging, mountpoint("data")};
    EXPECT_EQ(kernel_.mount_targets(), expected);
    EXPECT_TRUE(std::filesystem::is_directory(staging / "team" / "app"));
    EXPECT_EQ(kernel_.last_spec().subdir, "team/app");
    EXPECT_EQ(kernel_.unmount_calls(), 1);  // the export root, right away
    EXPECT_FALSE(kernel_.mounted(staging));

    // Known to exist now: later mounts go straight to the subdir.
    manager_->unmount("data", "A");
    manager_->mount("data", "B");
    EXPECT_EQ(kernel_.mount_calls(), 3);
}

// The fake mounts nothing: the "export root" a test prepares is the staging directory itself.
std::filesystem::path staging_of(const std::filesystem::path& work, const std::string& volume) {
    return work / ("subdir-" + volume);
}

TEST_F(VolumeManagerTest, ReadOnlyVolumesCheckTheirSubdirWithoutCreatingIt) {
    Options options = kOptions;
    options["subdir"] = "app";
    options["ro"] = "true";
    manager_->create("data", options);
    std::filesystem::create_directories(staging_of(work(), "data") / "app");
    manager_->mount("data", "A");
    const std::vector<std::filesystem::path> expected = {staging_of(work(), "data"),
                                                         mountpoint("data")};
    EXPECT_EQ(kernel_.mount_targets(), expected);
    EXPECT_TRUE(kernel_.last_spec().read_only);
}

TEST_F(VolumeManagerTest, ReadOnlyVolumesNeverCreateAMissingSubdir) {
    Options options = kOptions;
    options["subdir"] = "team/app";
    options["ro"] = "true";
    manager_->create("data", options);
    const std::string message = expect_error([&] { manager_->mount("data", "A"); }, ENOENT);
    EXPECT_NE(message.find("'team' does not exist"), std::string::npos) << message;
    EXPECT_FALSE(std::filesystem::exists(staging_of(work(), "data") / "team"));
    EXPECT_EQ(kernel_.mount_calls(), 1);  // the export root only
}

// A writer of the share made part of the subdir a symbolic link to a host directory: the driver
// (root on the host) must neither create anything there nor mount the volume, in either mode.
TEST_F(VolumeManagerTest, ASymbolicLinkInTheSubdirIsRefusedAndNeverFollowed) {
    TempDir host;
    for (const std::string mode : {"kernel", "fuse"}) {
        for (const bool read_only : {false, true}) {
            const std::string name = mode + (read_only ? "-ro" : "-rw");
            Options options = kOptions;
            options["mode"] = mode;
            options["subdir"] = "team/x";
            if (read_only) options["ro"] = "true";
            manager_->create(name, options);
            std::filesystem::create_directories(staging_of(work(), name));
            std::filesystem::create_directory_symlink(host.path(),
                                                      staging_of(work(), name) / "team");

            const std::string message = expect_error([&] { manager_->mount(name, "A"); }, ELOOP);
            EXPECT_EQ(message.rfind(name + ": subdir team/x", 0), 0u) << message;
            EXPECT_NE(message.find("'team' is a symbolic link"), std::string::npos) << message;
            EXPECT_TRUE(std::filesystem::is_empty(host.path())) << "created on the host";
            const FakeMounter& mounter = mode == "fuse" ? fuse_ : kernel_;
            ASSERT_FALSE(mounter.mount_targets().empty());
            EXPECT_EQ(mounter.mount_targets().back(), staging_of(work(), name));
            EXPECT_FALSE(mounter.mounted(mountpoint(name)));
            EXPECT_FALSE(mounter.mounted(staging_of(work(), name)));
            EXPECT_NE(manager_->get(name).last_error.find("symbolic link"), std::string::npos);
        }
    }
}

// The check is not remembered across driver starts: a link planted since is found at the next
// first Mount, also for a subdir the previous driver created.
TEST_F(VolumeManagerTest, TheSubdirIsCheckedAgainAtTheFirstMountAfterARestart) {
    Options options = kOptions;
    options["subdir"] = "app";
    manager_->create("data", options);
    manager_->mount("data", "A");
    manager_->unmount("data", "A");

    TempDir host;
    const std::filesystem::path app = staging_of(work(), "data") / "app";
    std::filesystem::remove(app);
    std::filesystem::create_directory_symlink(host.path(), app);
    manager_->mount("data", "B");  // subdir known to be ready in this run: not looked at again

    manager_->unmount("data", "B");
    auto restarted = make_manager(store_);
    restarted->restore();
    expect_error([&] { restarted->mount("data", "C"); }, ELOOP);
    EXPECT_TRUE(std::filesystem::is_empty(host.path()));
}

// --- concurrency ---

TEST_F(VolumeManagerTest, DifferentVolumesDoNotWaitForEachOthersMount) {
    manager_->create("slow", kOptions);
    manager_->create("fast", kOptions);
    kernel_.block_mounts_of("slow");
    auto slow = std::async(std::launch::async, [&] { return manager_->mount("slow", "S"); });
    kernel_.wait_until_blocked();

    // While "slow" is inside the mounter: another volume mounts, and reads are answered.
    auto fast = std::async(std::launch::async, [&] {
        manager_->mount("fast", "F");
        manager_->create("third", kOptions);
        const bool slow_mounted = manager_->get("slow").mounted;
        const size_t listed = manager_->list().size();
        manager_->unmount("fast", "F");
        return !slow_mounted && listed == 3;
    });
    const bool finished = fast.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    kernel_.release_blocked();
    ASSERT_TRUE(finished) << "a mount of another volume waited for the blocked one";
    EXPECT_TRUE(fast.get());
    EXPECT_EQ(slow.get(), mountpoint("slow"));
    EXPECT_TRUE(manager_->get("slow").mounted);
    EXPECT_EQ(kernel_.mount_calls(), 2);
}

TEST_F(VolumeManagerTest, SameVolumeWaitsForItsOwnMount) {
    manager_->create("slow", kOptions);
    kernel_.block_mounts_of("slow");
    auto first = std::async(std::launch::async, [&] { return manager_->mount("slow", "A"); });
    kernel_.wait_until_blocked();
    auto second = std::async(std::launch::async, [&] { return manager_->mount("slow", "B"); });
    EXPECT_EQ(second.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
    kernel_.release_blocked();
    first.get();
    second.get();
    EXPECT_EQ(kernel_.mount_calls(), 1);
    EXPECT_EQ(manager_->get("slow").mount_count, 2u);
}

TEST_F(VolumeManagerTest, ConcurrentMountsAndUnmountsOfOneVolumeStayConsistent) {
    manager_->create("data", kOptions);
    constexpr int kThreads = 8;
    constexpr int kIdsPerThread = 20;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kIdsPerThread; ++i) {
                const std::string id = std::to_string(t) + "-" + std::to_string(i);
                manager_->mount("data", id);
                manager_->mount("data", id);  // duplicate
                if (i % 2 == 0) {
                    manager_->unmount("data", id);
                    manager_->unmount("data", id);  // unknown by now
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();

    const VolumeInfo info = manager_->get("data");
    EXPECT_EQ(info.mount_count, size_t{kThreads * kIdsPerThread / 2});
    EXPECT_TRUE(info.mounted);
    EXPECT_TRUE(kernel_.mounted(mountpoint("data")));
    EXPECT_EQ(kernel_.mount_calls() - kernel_.unmount_calls(), 1);
    EXPECT_EQ(saved_ids("data"), size_t{kThreads * kIdsPerThread / 2});
}

}  // namespace
}  // namespace nfsfuse::driver
