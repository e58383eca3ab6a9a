// /proc/PID/stat parsing: the state and start time of a process, also when its command name holds
// spaces and parentheses (a process may name itself anything).
#include "driver/server_process.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

namespace nfsfuse::driver {
namespace {

// A real line, shortened after field 22 (starttime = 123456).
const std::string kStat =
    "4242 (nfsfuse) S 1 4242 4242 0 -1 4194624 1180 0 0 0 12 7 0 0 20 0 9 0 123456 "
    "1234567 890 18446744073709551615";

TEST(ProcessStat, StateAndStartTime) {
    const auto stat = parse_process_stat(kStat);
    ASSERT_TRUE(stat.has_value());
    EXPECT_EQ(stat->state, 'S');
    EXPECT_EQ(stat->start_time, 123456u);
}

TEST(ProcessStat, ANameWithSpacesAndParenthesesCannotShiftTheFields) {
    const std::string forged =
        "4242 (x) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 999 ) S 1 4242 4242 0 -1 "
        "4194624 1180 0 0 0 12 7 0 0 20 0 9 0 123456 1234567 890 1";
    const auto stat = parse_process_stat(forged);
    ASSERT_TRUE(stat.has_value());
    EXPECT_EQ(stat->state, 'S');
    EXPECT_EQ(stat->start_time, 123456u);
}

TEST(ProcessStat, MalformedTextIsRefused) {
    EXPECT_FALSE(parse_process_stat("").has_value());
    EXPECT_FALSE(parse_process_stat("4242 (nfsfuse").has_value());
    EXPECT_FALSE(parse_process_stat("4242 (nfsfuse) S 1 2 3").has_value());
    EXPECT_FALSE(parse_process_stat("4242 (nfsfuse) S 1 4242 4242 0 -1 4194624 1180 0 0 0 12 7 "
                                    "0 0 20 0 9 0 12x456 1")
                     .has_value());
}

TEST(ProcessStat, OwnProcessIsRunningWithAStartTime) {
    std::ifstream file("/proc/self/stat");
    const std::string text{std::istreambuf_iterator<char>(file), {}};
    const auto stat = parse_process_stat(text);
    ASSERT_TRUE(stat.has_value()) << text;
    EXPECT_EQ(stat->state, 'R');
    EXPECT_GT(stat->start_time, 0u);
}

}  // namespace
}  // namespace nfsfuse::driver
