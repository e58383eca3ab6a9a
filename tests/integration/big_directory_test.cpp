// A directory of 100,000 entries, made directly on the server's disk (fast), listed through the
// mount: every entry exactly once, in well under two minutes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <set>

#include "harness/directory_listing.h"
#include "harness/harness_error.h"
#include "harness/mounted_test.h"
#include "harness/syscall_check.h"

namespace nfsfuse::it {
namespace {

constexpr int kEntries = 100'000;

std::string entry_name(int index) {
    char name[32];
    std::snprintf(name, sizeof name, "entry-%06d", index);
    return name;
}

class BigDirectoryTest : public MountedTest {};

TEST_F(BigDirectoryTest, HundredThousandEntriesAreListedExactlyOnce) {
    ASSERT_TRUE(succeeds(SYSCALL(::mkdir(srv("big").c_str(), 0755))));
    for (int i = 0; i < kEntries; ++i) {
        const auto path = srv("big") / entry_name(i);
        const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) throw HarnessError("creating " + path.string() + ": " + errno_text(errno));
        ::close(fd);
    }

    const auto started = std::chrono::steady_clock::now();
    const std::multiset<std::string> listed = without_dots(list_directory(mnt("big")));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    std::cout << "listing " << kEntries << " entries through the mount took "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";

    EXPECT_EQ(listed.size(), static_cast<size_t>(kEntries));
    const std::set<std::string> distinct(listed.begin(), listed.end());
    EXPECT_EQ(distinct.size(), listed.size()) << "readdir returned some names twice";
    for (int i = 0; i < kEntries; i += 997) EXPECT_EQ(listed.count(entry_name(i)), 1u) << i;
    EXPECT_EQ(listed.count(entry_name(kEntries - 1)), 1u);
    EXPECT_EQ(listed.count(entry_name(kEntries)), 0u);
    EXPECT_LT(elapsed, std::chrono::seconds(90)) << "listing is far too slow";

    for (int i : {0, kEntries / 2, kEntries - 1}) {
        struct stat st {};
        EXPECT_TRUE(succeeds(SYSCALL(::stat((mnt("big") / entry_name(i)).c_str(), &st))))
            << entry_name(i);
        EXPECT_TRUE(S_ISREG(st.st_mode));
    }
}

}  // namespace
}  // namespace nfsfuse::it
