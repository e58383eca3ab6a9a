// POSIX lets a process keep using a file another unlinks; an NFS server forgets a removed file at
// once. nfsfuse hides such a file under a ".nfsfuse..." name until its last close ("silly rename").
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/file_data.h"
#include "harness/mounted_test.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

class OpenUnlinkedTest : public MountedTest {
  protected:
    // Names in the work directory on the server's disk that nfsfuse uses to hide open files.
    std::vector<std::string> hidden_names() const {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(srv())) {
            const std::string name = entry.path().filename().string();
            if (name.rfind(".nfsfuse", 0) == 0) names.push_back(name);
        }
        return names;
    }

    // The kernel sends RELEASE after close(2) has returned, so the removal comes a moment later.
    bool hidden_files_disappear() const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!hidden_names().empty()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            ::usleep(20 * 1000);
        }
        return true;
    }

    std::string read_all_from(int fd) {
        std::string content;
        char buffer[4096];
        for (off_t offset = 0;;) {
            const ssize_t got = ::pread(fd, buffer, sizeof buffer, offset);
            if (got <= 0) break;
            content.append(buffer, static_cast<size_t>(got));
            offset += got;
        }
        return content;
    }
};

TEST_F(OpenUnlinkedTest, OpenFileStaysUsableAfterUnlinkAndGoesAtLastClose) {
    UniqueFd fd = open_or_throw(mnt("scratch.tmp"), O_CREAT | O_RDWR, 0600);
    pwrite_all(fd.get(), "written before unlink", 0);

    ASSERT_EQ(::unlink(mnt("scratch.tmp").c_str()), 0) << errno_text(errno);
    EXPECT_FALSE(std::filesystem::exists(mnt("scratch.tmp"))) << "the name is gone at once";
    EXPECT_FALSE(std::filesystem::exists(srv("scratch.tmp")));
    EXPECT_EQ(hidden_names().size(), 1u) << "kept on the server under a hidden name";

    EXPECT_EQ(read_all_from(fd.get()), "written before unlink");
    pwrite_all(fd.get(), ", and after", 21);
    EXPECT_EQ(read_all_from(fd.get()), "written before unlink, and after");

    fd.reset();
    EXPECT_TRUE(hidden_files_disappear()) << "removed from the server at the last close";
}

TEST_F(OpenUnlinkedTest, UnlinkOfAFileNobodyHasOpenRemovesItAtOnce) {
    write_file(mnt("plain.txt"), "x");
    UniqueFd other = open_or_throw(mnt("other.txt"), O_CREAT | O_RDWR, 0600);  // some open file

    ASSERT_EQ(::unlink(mnt("plain.txt").c_str()), 0) << errno_text(errno);
    EXPECT_FALSE(std::filesystem::exists(srv("plain.txt")));
    EXPECT_TRUE(hidden_names().empty()) << "only open files are hidden";
}

// close(2) returns before the kernel's RELEASE reaches nfsfuse, so the unlink that follows is
// often handled while the release still is. A file closed before its unlink is not open: it must
// go at once, not be hidden with its link count one too high. Many rounds, since it is a race.
TEST_F(OpenUnlinkedTest, UnlinkRightAfterCloseRemovesTheFile) {
    for (int round = 0; round < 50; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        const std::string name = "closed" + std::to_string(round);
        write_file(mnt(name), "x");
        ASSERT_EQ(::link(mnt(name).c_str(), mnt(name + ".link").c_str()), 0) << errno_text(errno);
        EXPECT_EQ(read_file(mnt(name)), "x");

        ASSERT_EQ(::unlink(mnt(name).c_str()), 0) << errno_text(errno);
        EXPECT_EQ(lstat_or_throw(mnt(name + ".link")).st_nlink, 1u);
        ASSERT_TRUE(hidden_names().empty()) << "a closed file was hidden";
    }
}

TEST_F(OpenUnlinkedTest, SecondOpenKeepsTheFileUntilBothClose) {
    UniqueFd first = open_or_throw(mnt("shared.tmp"), O_CREAT | O_RDWR, 0600);
    pwrite_all(first.get(), "both", 0);
    UniqueFd second = open_or_throw(mnt("shared.tmp"), O_RDONLY);
    ASSERT_EQ(::unlink(mnt("shared.tmp").c_str()), 0) << errno_text(errno);

    first.reset();
    ::usleep(200 * 1000);  // give the first RELEASE time to arrive: it must not remove the file
    EXPECT_EQ(hidden_names().size(), 1u) << "still open through the second descriptor";
    EXPECT_EQ(read_all_from(second.get()), "both");
    second.reset();
    EXPECT_TRUE(hidden_files_disappear());
}

}  // namespace
}  // namespace nfsfuse::it
