// open_directory_beneath on a local directory tree standing for the root of a share: symbolic
// links of every kind (absolute, relative, climbing with "..", dangling) are refused and named,
// nothing is made where they point, a file in the way is refused, missing directories are made
// only when asked, and an existing path is opened.
#include "driver/beneath_path.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fake_mounter.h"
#include "util/error.h"

namespace nfsfuse::driver {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

class BeneathPathTest : public ::testing::Test {
  protected:
    void SetUp() override {
        root_fd_ = FileDescriptor(::open(root().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        ASSERT_GE(root_fd_.get(), 0);
    }

    const fs::path& root() const { return share_.path(); }

    FileDescriptor open(const std::string& relative, MissingDirectories missing) {
        return open_directory_beneath(root_fd_.get(), relative, missing);
    }

    // The Error the call throws (errno checked), as its message.
    std::string refusal(const std::string& relative, MissingDirectories missing, int errnum) {
        try {
            open(relative, missing);
            ADD_FAILURE() << "'" << relative << "' was opened";
        } catch (const Error& error) {
            EXPECT_EQ(error.errnum(), errnum) << error.what();
            return error.what();
        }
        return "";
    }

    TempDir share_;
    TempDir host_;  // outside the share: where links point
    FileDescriptor root_fd_{-1};
};

bool same_directory(const FileDescriptor& fd, const fs::path& path) {
    struct stat by_fd {};
    struct stat by_path {};
    return ::fstat(fd.get(), &by_fd) == 0 && ::stat(path.c_str(), &by_path) == 0 &&
           by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

TEST_F(BeneathPathTest, MissingComponentsAreCreated) {
    fs::create_directory(root() / "team");
    const FileDescriptor app = open("team/app/data", MissingDirectories::create);
    EXPECT_TRUE(fs::is_directory(root() / "team" / "app" / "data"));
    EXPECT_TRUE(same_directory(app, root() / "team" / "app" / "data"));
}

TEST_F(BeneathPathTest, AnExistingPathIsOpenedInBothModes) {
    fs::create_directories(root() / "team" / "app");
    EXPECT_TRUE(same_directory(open("team/app", MissingDirectories::refuse), root() / "team/app"));
    EXPECT_TRUE(same_directory(open("team/app", MissingDirectories::create), root() / "team/app"));
}

TEST_F(BeneathPathTest, AMissingComponentIsRefusedWhenNotCreating) {
    fs::create_directory(root() / "team");
    const std::string message = refusal("team/app/data", MissingDirectories::refuse, ENOENT);
    EXPECT_EQ(message, "'team/app' does not exist");
    EXPECT_FALSE(fs::exists(root() / "team" / "app"));
}

TEST_F(BeneathPathTest, AnAbsoluteLinkIsRefusedAndNothingIsCreatedWhereItPoints) {
    fs::create_directory_symlink(host_.path(), root() / "a");
    const std::string message = refusal("a/x", MissingDirectories::create, ELOOP);
    EXPECT_EQ(message, "'a' is a symbolic link, which is never followed");
    EXPECT_TRUE(fs::is_empty(host_.path()));
}

TEST_F(BeneathPathTest, ALinkClimbingOutWithDotDotIsRefused) {
    fs::create_directory(root() / "inner");
    fs::create_directory_symlink(fs::relative(host_.path(), root() / "inner"),
                                 root() / "inner" / "up");
    const std::string message = refusal("inner/up/x", MissingDirectories::create, ELOOP);
    EXPECT_NE(message.find("'inner/up' is a symbolic link"), std::string::npos) << message;
    EXPECT_TRUE(fs::is_empty(host_.path()));
}

TEST_F(BeneathPathTest, ARelativeLinkThatStaysInsideIsRefusedToo) {
    fs::create_directory(root() / "real");
    fs::create_directory_symlink("real", root() / "alias");
    const std::string message = refusal("alias/x", MissingDirectories::create, ELOOP);
    EXPECT_NE(message.find("'alias' is a symbolic link"), std::string::npos) << message;
    EXPECT_TRUE(fs::is_empty(root() / "real"));
}

TEST_F(BeneathPathTest, ALinkAsTheLastComponentIsRefusedInBothModes) {
    fs::create_directory(root() / "team");
    fs::create_directory_symlink(host_.path(), root() / "team" / "app");
    refusal("team/app", MissingDirectories::refuse, ELOOP);
    const std::string message = refusal("team/app", MissingDirectories::create, ELOOP);
    EXPECT_NE(message.find("'team/app' is a symbolic link"), std::string::npos) << message;
}

TEST_F(BeneathPathTest, ADanglingLinkIsRefusedAndNotCreatedThrough) {
    const fs::path nowhere = host_.path() / "nowhere";
    fs::create_directory_symlink(nowhere, root() / "a");
    refusal("a", MissingDirectories::create, ELOOP);
    EXPECT_FALSE(fs::exists(nowhere));
}

TEST_F(BeneathPathTest, AFileInTheWayIsRefused) {
    std::ofstream(root() / "file") << "not a directory";
    const std::string message = refusal("file/x", MissingDirectories::create, ENOTDIR);
    EXPECT_EQ(message, "'file' is not a directory");
}

TEST_F(BeneathPathTest, AnotherMountIsRefused) {
    // /proc is its own mount on every Linux host.
    const FileDescriptor host_root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_GE(host_root.get(), 0);
    try {
        open_directory_beneath(host_root.get(), "proc/self", MissingDirectories::refuse);
        ADD_FAILURE() << "/proc was entered";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), EXDEV) << error.what();
        EXPECT_EQ(std::string(error.what()), "'proc' is another mount");
    }
}

TEST_F(BeneathPathTest, PathsThatAreNotPlainRelativeOnesAreRefused) {
    fs::create_directory(root() / "a");
    for (const std::string bad : {"", "/a", "a//b", "a/", "./a", "a/../a", ".."}) {
        refusal(bad, MissingDirectories::create, EINVAL);
    }
    EXPECT_EQ(fs::directory_iterator(root() / "a"), fs::directory_iterator());
}

}  // namespace
}  // namespace nfsfuse::driver
