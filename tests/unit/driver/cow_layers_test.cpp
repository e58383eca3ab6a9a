// A cow volume's directories on local disk: made once, a new work directory per overlay, the
// upper layer discarded or measured, and removal that never follows a link out of the tree.
#include "driver/cow_layers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "fake_mounter.h"

namespace nfsfuse::driver {
namespace {

using testing::TempDir;

void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path) << text;
}

TEST(CowLayers, MakeCreatesTheDirectoriesAndSaysWhenTheUpperLayerIsNew) {
    const TempDir dir;
    const CowLayers layers(dir.path() / "cow");
    EXPECT_TRUE(layers.make("v"));
    EXPECT_TRUE(std::filesystem::is_directory(layers.lower_of("v")));
    EXPECT_TRUE(std::filesystem::is_directory(layers.upper_of("v")));
    EXPECT_EQ(layers.upper_of("v"), dir.path() / "cow" / "v" / "upper");
    EXPECT_FALSE(layers.make("v")) << "the upper layer exists now";
    EXPECT_EQ(std::filesystem::status(layers.directory_of("v")).permissions(),
              std::filesystem::perms::owner_all);
}

TEST(CowLayers, EachOverlayGetsANewEmptyWorkDirectory) {
    const TempDir dir;
    const CowLayers layers(dir.path() / "cow");
    layers.make("v");
    const std::filesystem::path first = layers.new_work_dir("v");
    write(first / "left-by-overlay", "x");
    const std::filesystem::path second = layers.new_work_dir("v");
    EXPECT_NE(first, second);
    EXPECT_TRUE(std::filesystem::is_empty(second));
    layers.remove_work_dirs("v");
    EXPECT_FALSE(std::filesystem::exists(first));
    EXPECT_FALSE(std::filesystem::exists(second));
    EXPECT_TRUE(std::filesystem::exists(layers.upper_of("v")));
}

TEST(CowLayers, TheUpperLayerIsMeasuredAndDiscarded) {
    const TempDir dir;
    const CowLayers layers(dir.path() / "cow");
    EXPECT_EQ(layers.upper_bytes("v"), 0u) << "no upper layer yet";
    layers.make("v");
    std::filesystem::create_directories(layers.upper_of("v") / "a" / "b");
    write(layers.upper_of("v") / "a" / "b" / "file", std::string(100000, 'x'));
    EXPECT_GE(layers.upper_bytes("v"), 100000u);
    layers.discard_upper("v");
    EXPECT_FALSE(std::filesystem::exists(layers.upper_of("v")));
    EXPECT_EQ(layers.upper_bytes("v"), 0u);
    EXPECT_TRUE(layers.make("v")) << "a discarded upper layer starts again empty";
}

TEST(CowLayers, RemoveNeverFollowsALinkOutOfTheTree) {
    const TempDir dir;
    const CowLayers layers(dir.path() / "cow");
    layers.make("v");
    std::filesystem::create_directories(dir.path() / "outside");
    write(dir.path() / "outside" / "precious", "keep me");
    std::filesystem::create_directory_symlink(dir.path() / "outside",
                                              layers.upper_of("v") / "link");
    std::filesystem::create_directory_symlink(dir.path() / "outside", layers.lower_of("v") / "l");
    layers.remove("v");
    EXPECT_FALSE(std::filesystem::exists(layers.directory_of("v")));
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "outside" / "precious"));
    EXPECT_NO_THROW(layers.remove("v")) << "removing what is gone is done";
}

}  // namespace
}  // namespace nfsfuse::driver
