// The state file: round trip, a missing file is empty, corrupt or unreadable files are errors
// naming the file, and a failed save leaves the old file intact.
#include "driver/state_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include "fake_mounter.h"
#include "util/error.h"

namespace nfsfuse::driver {
namespace {

using testing::TempDir;

std::string read_file(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const std::filesystem::path& file, const std::string& text) {
    std::ofstream out(file);
    out << text;
}

VolumeRecords sample_records() {
    VolumeRecords records;
    VolumeRecord& data = records["data"];
    data.options = {{"server", "10.0.0.5"}, {"path", "/exports/data"}};
    data.created_at = "2026-11-23T12:00:00Z";
    data.mode = "fuse";
    data.nfs_version = "4.1";
    data.mount_ids = {"1293ff42", "a4310f71"};
    data.server = ServerProcess{4242, 987654321};
    data.pending = PendingTransition::unmounting;
    data.pending_id = "5f00d";
    VolumeRecord& empty = records["empty"];
    empty.created_at = "2026-11-23T12:00:01Z";
    empty.mode = "kernel";
    empty.nfs_version = "3";
    records["odd"].options = {{"nfsopts", "a\"b\\c\n\xc3\xa9"}};
    return records;
}

// Error(errnum) whose message contains `part`.
template <typename Call>
void expect_error(Call call, int errnum, const std::string& part) {
    try {
        call();
        ADD_FAILURE() << "expected nfsfuse::Error(" << errnum << ")";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), errnum) << error.what();
        EXPECT_NE(std::string(error.what()).find(part), std::string::npos) << error.what();
    }
}

TEST(StateStore, MissingFileLoadsEmpty) {
    TempDir dir;
    StateStore store(dir.path() / "state.json");
    EXPECT_TRUE(store.load().empty());
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "state.json"));
}

TEST(StateStore, RoundTrip) {
    TempDir dir;
    StateStore store(dir.path() / "state.json");
    const VolumeRecords records = sample_records();
    store.save(records);
    const VolumeRecords loaded = store.load();
    ASSERT_EQ(loaded.size(), records.size());
    for (const auto& [name, record] : records) {
        ASSERT_TRUE(loaded.contains(name)) << name;
        EXPECT_EQ(loaded.at(name).options, record.options) << name;
        EXPECT_EQ(loaded.at(name).created_at, record.created_at) << name;
        EXPECT_EQ(loaded.at(name).mode, record.mode) << name;
        EXPECT_EQ(loaded.at(name).nfs_version, record.nfs_version) << name;
        EXPECT_EQ(loaded.at(name).mount_ids, record.mount_ids) << name;
        EXPECT_EQ(loaded.at(name).server, record.server) << name;
        EXPECT_EQ(loaded.at(name).pending, record.pending) << name;
        EXPECT_EQ(loaded.at(name).pending_id, record.pending_id) << name;
    }
    // A second save replaces everything.
    store.save({});
    EXPECT_TRUE(store.load().empty());
}

TEST(StateStore, FileFormatAndMode) {
    TempDir dir;
    const auto file = dir.path() / "state.json";
    StateStore(file).save(sample_records());
    const auto document = read_file(file);
    EXPECT_NE(document.find("\"version\": 1"), std::string::npos) << document;
    EXPECT_NE(document.find("\"mount_ids\""), std::string::npos) << document;
    EXPECT_NE(document.find("\"nfs_version\": \"4.1\""), std::string::npos) << document;
    EXPECT_NE(document.find("\"start_time\": 987654321"), std::string::npos) << document;
    EXPECT_NE(document.find("\"transition\": \"unmounting\""), std::string::npos) << document;
    EXPECT_NE(document.find("\"created_at\": \"2026-11-23T12:00:00Z\""), std::string::npos);
    struct stat status {};
    ASSERT_EQ(::stat(file.c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 07777, 0600u);
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "state.json.tmp"));
}

TEST(StateStore, CreatesMissingParentDirectories) {
    TempDir dir;
    const auto file = dir.path() / "a" / "b" / "state.json";
    StateStore store(file);
    store.save(sample_records());
    EXPECT_EQ(store.load().size(), 3u);
    struct stat status {};
    ASSERT_EQ(::stat((dir.path() / "a" / "b").c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 07777, 0700u);
}

TEST(StateStore, StaleTemporaryFileIsReplaced) {
    TempDir dir;
    const auto file = dir.path() / "state.json";
    write_file(dir.path() / "state.json.tmp", "garbage left by a crash");
    ::chmod((dir.path() / "state.json.tmp").c_str(), 0644);
    StateStore store(file);
    store.save(sample_records());
    EXPECT_EQ(store.load().size(), 3u);
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "state.json.tmp"));
}

TEST(StateStore, FailedTemporaryWriteLeavesOldFileIntact) {
    TempDir dir;
    const auto file = dir.path() / "state.json";
    StateStore store(file);
    store.save(sample_records());
    const std::string before = read_file(file);
    // The temporary file's name is taken by a directory: the write fails before any rename.
    std::filesystem::create_directory(dir.path() / "state.json.tmp");
    expect_error([&] { store.save({}); }, EISDIR, file.string() + ": create ");
    EXPECT_EQ(read_file(file), before);
    EXPECT_EQ(store.load().size(), 3u);
}

TEST(StateStore, ParentIsAFile) {
    TempDir dir;
    write_file(dir.path() / "plain", "not a directory");
    StateStore store(dir.path() / "plain" / "state.json");
    expect_error([&] { store.save(sample_records()); }, ENOTDIR,
                 (dir.path() / "plain" / "state.json").string() + ": ");
    expect_error([&] { store.load(); }, EIO, "state.json: open: ");
}

TEST(StateStore, UnreadableFileIsAnError) {
    TempDir dir;
    // A directory where the file should be: open works, read fails.
    std::filesystem::create_directory(dir.path() / "state.json");
    expect_error([&] { StateStore(dir.path() / "state.json").load(); }, EIO, "state.json: ");
}

struct CorruptCase {
    const char* text;
    const char* part;
};

class StateStoreCorrupt : public ::testing::TestWithParam<CorruptCase> {};

TEST_P(StateStoreCorrupt, IsAnEioErrorNamingTheFile) {
    TempDir dir;
    const auto file = dir.path() / "state.json";
    write_file(file, GetParam().text);
    expect_error([&] { StateStore(file).load(); }, EIO, file.string() + ": ");
    expect_error([&] { StateStore(file).load(); }, EIO, GetParam().part);
}

INSTANTIATE_TEST_SUITE_P(
    Files, StateStoreCorrupt,
    ::testing::Values(
        CorruptCase{"", "not valid JSON"}, CorruptCase{"{\"version\":1,", "not valid JSON"},
        CorruptCase{"[]", "not a JSON object"}, CorruptCase{"{\"volumes\":{}}", "\"version\""},
        CorruptCase{"{\"version\":2,\"volumes\":{}}", "unsupported state version 2"},
        CorruptCase{"{\"version\":1}", "\"volumes\""},
        CorruptCase{"{\"version\":1,\"volumes\":[]}", "\"volumes\""},
        CorruptCase{"{\"version\":1,\"volumes\":{\"v\":1}}", "volume \"v\": not an object"},
        CorruptCase{"{\"version\":1,\"volumes\":{\"v\":{}}}", "\"options\""},
        CorruptCase{"{\"version\":1,\"volumes\":{\"v\":{\"options\":{\"a\":1}}}}",
                    "option \"a\" is not a string"},
        CorruptCase{"{\"version\":1,\"volumes\":{\"v\":{\"options\":{},\"mount_ids\":{}}}}",
                    "\"mount_ids\""},
        CorruptCase{"{\"version\":1,\"volumes\":{\"v\":{\"options\":{},\"mount_ids\":[1]}}}",
                    "mount ID"},
        CorruptCase{"{\"version\":1,\"volumes\":{\"v\":{\"options\":{},\"created_at\":5}}}",
                    "\"created_at\""},
        CorruptCase{"{\"version\":1,\"volumes\":{\"v\":{\"options\":{},"
                    "\"server_process\":{\"pid\":-1,\"start_time\":5}}}}",
                    "\"server_process\""},
        CorruptCase{"{\"version\":1,\"volumes\":{\"v\":{\"options\":{},"
                    "\"server_process\":{\"pid\":7}}}}",
                    "\"server_process\""},
        CorruptCase{"{\"version\":1,\"volumes\":{\"v\":{\"options\":{},"
                    "\"pending\":{\"transition\":\"dancing\",\"id\":\"\"}}}}",
                    "\"pending\""}),
    [](const ::testing::TestParamInfo<CorruptCase>& param_info) {
        return "Case" + std::to_string(param_info.index);
    });

}  // namespace
}  // namespace nfsfuse::driver
