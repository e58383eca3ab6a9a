// O_EXCL over NFSv3 (Nfs3Client::create with exclusive) against a real nfs-ganesha: a CREATE
// whose reply was lost with its connection is sent again on the new connection, and
// must then find its own file instead of failing with EEXIST; a name that exists is still
// EEXIST; and the new file has the mode and owner asked for and real times (EXCLUSIVE keeps its
// verifier in the times until the SETATTR that follows).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <memory>

#include "harness/mounted_test.h"
#include "harness/reply_tampering_proxy.h"
#include "nfs/nfs3_client.h"
#include "util/error.h"

namespace nfsfuse::it {
namespace {

constexpr uint32_t kNfs3Create = 8;  // NFSPROC3_CREATE

class Nfs3ExclusiveCreateTest : public ServerTest {
  protected:
    // A client of the server's export whose NFS connection goes to `nfs_port`.
    std::unique_ptr<nfs::Nfs3Client> client_via(uint16_t nfs_port) {
        nfs::ConnectionSettings settings;
        settings.host = "127.0.0.1";
        settings.export_path = server().export_dir().string();
        settings.nfs_port = nfs_port;
        settings.mount_port = server().mount_port();
        settings.identity = {0, 0, {}};
        settings.call_timeout_ms = 30000;
        auto client =
            std::make_unique<nfs::Nfs3Client>(std::make_unique<nfs::Nfs3Connection>(settings));
        client->start();
        return client;
    }
    nfs::FileHandle work_dir(nfs::Nfs3Client& client) {
        return client.lookup(cancel_, client.root(), work_name()).handle;
    }
    nfs::CreatedFile create(nfs::Nfs3Client& client, const std::string& name,
                            const nfs::NewObjectAttributes& attributes,
                            const nfs::CallContext& as = nfs::CallContext{}) {
        return client.create(as, work_dir(client), name, attributes, /*exclusive=*/true,
                             nfs::OpenAccess::read_write);
    }
    static struct stat stat_of(const std::filesystem::path& path) {
        struct stat st {};
        EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
        return st;
    }

    const nfs::CallContext cancel_;
};

TEST_F(Nfs3ExclusiveCreateTest, ACreateSentAgainAfterItsReplyWasLostFindsItsOwnFile) {
    ReplyTamperingProxy proxy(server().nfs_port());
    auto client = client_via(proxy.port());
    proxy.lose_reply_to(kNfs3Create);
    EXPECT_NO_THROW(create(*client, "replayed", {0640}))
        << "the replayed CREATE failed on the file it made itself";
    EXPECT_EQ(proxy.replies_lost(), 1) << "the test did not lose the reply";
    EXPECT_EQ(stat_of(srv("replayed")).st_mode & 07777, 0640u);
}

TEST_F(Nfs3ExclusiveCreateTest, ANameThatExistsIsStillEexist) {
    std::ofstream(srv("taken")) << "someone else's";
    auto client = client_via(server().nfs_port());
    try {
        create(*client, "taken", {0600});
        FAIL() << "an exclusive create of an existing name succeeded";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), EEXIST) << error.what();
    }
}

TEST_F(Nfs3ExclusiveCreateTest, ANewFileHasTheModeAskedForItsCallerAsOwnerAndRealTimes) {
    auto client = client_via(server().nfs_port());
    std::filesystem::permissions(srv(""), std::filesystem::perms::all);  // others may create
    const nfs::CreatedFile created =
        create(*client, "new", {0604}, nfs::CallContext{nfs::Credentials{4321, 8765, {}}});
    const struct stat st = stat_of(srv("new"));
    EXPECT_EQ(st.st_mode & 07777, 0604u);
    EXPECT_EQ(st.st_uid, 4321u);
    EXPECT_EQ(st.st_gid, 8765u);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    EXPECT_NEAR(static_cast<double>(st.st_mtime), static_cast<double>(now), 120.0)
        << "mtime is not a time (a create verifier?)";
    EXPECT_NEAR(static_cast<double>(st.st_atime), static_cast<double>(now), 120.0)
        << "atime is not a time (a create verifier?)";
    EXPECT_EQ(created.entry.attributes.mode & 07777, 0604u) << "the attributes handed back";
    EXPECT_EQ(created.entry.attributes.uid, 4321u);
}

}  // namespace
}  // namespace nfsfuse::it
