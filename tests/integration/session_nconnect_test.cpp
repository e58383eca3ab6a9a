// The NFSv4.1 session over four connections (nconnect=4) against a real nfs-ganesha: the
// connections beyond the first are bound to the session and carry the READs in turn; a data
// connection reset after the server ran a READ is made again, bound again and the READ replayed;
// after a server restart every connection is bound to the new session.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "harness/file_data.h"
#include "harness/mounted_test.h"
#include "harness/process_resources.h"
#include "harness/reply_tampering_proxy.h"
#include "nfs/v4/session.h"
#include "util/error.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;
using nfs::CallContext;
using nfs::FileHandle;
using nfs::v4::CompoundBuilder;
using nfs::v4::CompoundReply;
using nfs::v4::Session;
using nfs::v4::SessionSettings;

constexpr uint32_t kConnections = 4;
constexpr uint32_t kCompound = 1;  // NFSPROC4_COMPOUND
constexpr size_t kFileSize = 256 * 1024;
constexpr uint32_t kReadSize = 64 * 1024;

SessionSettings settings_for(uint16_t port, const std::string& owner) {
    SessionSettings settings;
    settings.rpc.host = "127.0.0.1";
    settings.rpc.port = port;
    settings.rpc.credentials.machine_name = "nfsfuse-test";
    settings.owner_id = owner;
    settings.call_timeout = 30s;
    settings.connections = kConnections;
    return settings;
}

std::string owner_id() {
    return "nfsfuse-test-nconnect-" +
           std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
}

// The handle of `file` (a path on the server's disk, which ganesha.sh exports under the same
// path in its pseudo filesystem).
FileHandle handle_of(Session& session, const std::filesystem::path& file) {
    std::vector<std::string> components;
    for (const auto& component : file.relative_path()) components.push_back(component.string());
    FileHandle handle;
    session.call(
        CallContext{}, "LOOKUP",
        [&](CompoundBuilder& b) {
            b.putrootfh();
            for (const std::string& component : components) b.lookup(component);
            b.getfh();
        },
        [&](CompoundReply& r) {
            r.putrootfh();
            for (size_t i = 0; i < components.size(); ++i) r.lookup();
            handle = r.getfh();
        });
    return handle;
}

// A READ under the anonymous stateid (RFC 8881 section 8.2.3), as a data call.
std::string read_at(Session& session, const FileHandle& file, uint64_t offset) {
    std::string data;
    session.call(
        CallContext{}, "READ",
        [&](CompoundBuilder& b) { b.putfh(file).read(nfs::v4::Stateid{}, offset, kReadSize); },
        [&](CompoundReply& r) {
            r.putfh();
            data = std::string(r.read().data);
        });
    return data;
}

std::vector<uint64_t> calls_per_connection(const Session& session) {
    std::vector<uint64_t> calls;
    for (size_t i = 0; i < session.connection_count(); ++i) calls.push_back(session.calls_sent(i));
    return calls;
}

class SessionNconnectTest : public ::testing::Test {
  protected:
    // A file of known contents on `server`'s export.
    std::filesystem::path make_file(const GaneshaServer& server) {
        const std::filesystem::path file = server.export_dir() / (owner_id() + ".bin");
        write_file(file, expected_);
        return file;
    }
    void expect_reads_match(Session& session, const FileHandle& file, int reads) {
        for (int i = 0; i < reads; ++i) {
            const uint64_t offset = (static_cast<uint64_t>(i) * kReadSize) % kFileSize;
            ASSERT_EQ(read_at(session, file, offset), expected_.substr(offset, kReadSize))
                << "read " << i;
        }
    }

    const std::string expected_ = pattern(kFileSize, 404);
};

TEST_F(SessionNconnectTest, ReadsGoOverTheBoundConnectionsInTurn) {
    Session session(settings_for(shared_server().nfs_port(), owner_id()));
    ASSERT_EQ(session.connection_count(), kConnections);
    const FileHandle file = handle_of(session, make_file(shared_server()));
    const std::vector<uint64_t> before = calls_per_connection(session);
    expect_reads_match(session, file, 12);
    const std::vector<uint64_t> after = calls_per_connection(session);
    EXPECT_EQ(after[0], before[0]) << "no READ over the metadata connection";
    for (size_t i = 1; i < kConnections; ++i)
        EXPECT_EQ(after[i] - before[i], 4u) << "READs over connection " << i + 1;
    EXPECT_EQ(session.sessions_created(), 1u);
}

// The proxy resets the connection that carried the next COMPOUND after the server ran it: a
// READ, so a data connection. The READ comes back (a replay on its slot over the connection made
// again and bound again, or once more when ganesha kept no reply) on the same session.
TEST_F(SessionNconnectTest, AResetDataConnectionIsBoundAgainAndItsReadReplayed) {
    ReplyTamperingProxy proxy(shared_server().nfs_port());
    Session session(settings_for(proxy.port(), owner_id()));
    const FileHandle file = handle_of(session, make_file(shared_server()));
    expect_reads_match(session, file, 3);  // one over each data connection
    const std::vector<uint64_t> before = calls_per_connection(session);
    proxy.lose_reply_to(kCompound);
    EXPECT_EQ(read_at(session, file, 0), expected_.substr(0, kReadSize));
    EXPECT_EQ(proxy.replies_lost(), 1);
    const std::vector<uint64_t> after = calls_per_connection(session);
    EXPECT_EQ(after[0], before[0]);
    EXPECT_GE(after[1] - before[1], 2u) << "the READ and its replay over the first data one";
    expect_reads_match(session, file, 6);  // every connection still works
    EXPECT_EQ(session.sessions_created(), 1u) << "a reset connection needs no new session";
}

TEST_F(SessionNconnectTest, AfterAServerRestartEveryConnectionIsBoundToTheNewSession) {
    GaneshaServer server(scratch_root() / current_test_dir_name());
    Session session(settings_for(server.nfs_port(), owner_id()));
    const FileHandle file = handle_of(session, make_file(server));
    expect_reads_match(session, file, 3);
    server.stop();
    server.start();
    expect_reads_match(session, file, 9);
    EXPECT_GE(session.sessions_created(), 2u) << "the old session cannot have survived";
    const std::vector<uint64_t> calls = calls_per_connection(session);
    for (size_t i = 1; i < kConnections; ++i)
        EXPECT_GE(calls[i], 4u) << "connection " << i + 1 << " carried its READs";
}

}  // namespace
}  // namespace nfsfuse::it
