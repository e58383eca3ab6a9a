// The NFSv4.1 client through the NfsClient interface against a real nfs-ganesha (its export, found
// in the pseudo filesystem under its real path): what nfsfuse's FUSE layer asks of it, checked also
// on the server's disk.
#include "nfs/v4/nfs4_client.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "harness/file_data.h"
#include "harness/process_resources.h"
#include "harness/thrown_errno.h"
#include "util/error.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;
using nfs::CallContext;
using nfs::Credentials;
using nfs::FileHandle;

class Nfs4ClientTest : public ::testing::Test {
  protected:
    void SetUp() override {
        client_ = std::make_unique<nfs::v4::Nfs4Client>(settings(), export_path());
        const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        dir_ = client_->mkdir(cancel_, client_->root(), name, {0755}).handle;
        disk_ = shared_server().export_dir() / name;
    }

    static nfs::v4::SessionSettings settings() {
        nfs::v4::SessionSettings settings;
        settings.rpc.host = "127.0.0.1";
        settings.rpc.port = shared_server().nfs_port();
        settings.rpc.credentials.machine_name = "nfsfuse-test";
        settings.owner_id = owner_id();
        settings.call_timeout = 30s;
        return settings;
    }
    static std::string owner_id() {
        return "nfsfuse-test-" +
               std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    }
    static std::string export_path() { return shared_server().export_dir().string(); }

    // An exclusive create, closed at once.
    nfs::Entry create(const FileHandle& dir, const std::string& name,
                      const nfs::NewObjectAttributes& attributes,
                      const CallContext& as = CallContext{}) {
        const nfs::CreatedFile created =
            client_->create(as, dir, name, attributes, true, nfs::OpenAccess::read_write);
        client_->close(created.id);
        return created.entry;
    }

    uint64_t opens_sent() const {
        const auto counts = client_->call_counts();
        const auto found = counts.find("OPEN");
        return found == counts.end() ? 0 : found->second;
    }

    // COMPOUNDs sent so far, of every kind.
    uint64_t calls_sent() const {
        uint64_t total = 0;
        for (const auto& [procedure, count] : client_->call_counts()) total += count;
        return total;
    }

    std::string read_all(const FileHandle& fh) {
        const nfs::ReadResult result = client_->read(cancel_, fh, 0, 1 << 20);
        return std::string(result.data);
    }

    std::unique_ptr<nfs::v4::Nfs4Client> client_;
    CallContext cancel_;
    FileHandle dir_;
    std::filesystem::path disk_;
};

TEST_F(Nfs4ClientTest, FilesAreCreatedWrittenReadAndTruncated) {
    EXPECT_EQ(client_->getattr(cancel_, client_->root()).type, nfs::FileType::directory);
    const nfs::Entry file = create(dir_, "f.txt", {0640});
    EXPECT_EQ(file.attributes.type, nfs::FileType::regular);
    EXPECT_EQ(file.attributes.mode, 0640u);
    EXPECT_EQ(errno_of([&] { create(dir_, "f.txt", {0640}); }), EEXIST);

    const nfs::WriteResult written =
        client_->write(cancel_, file.handle, 0, "hello world", nfs::Stability::unstable);
    ASSERT_TRUE(written.after);
    EXPECT_EQ(written.after->size, 11u);
    EXPECT_EQ(client_->commit(cancel_, file.handle), written.verifier);
    EXPECT_EQ(read_all(file.handle), "hello world");
    EXPECT_EQ(read_file(disk_ / "f.txt"), "hello world");

    nfs::SetAttributes truncate;
    truncate.size = 5;
    EXPECT_EQ(client_->setattr(cancel_, file.handle, truncate).size, 5u);
    EXPECT_EQ(read_all(file.handle), "hello");
    EXPECT_EQ(client_->lookup(cancel_, dir_, "f.txt").handle, file.handle);
    EXPECT_EQ(errno_of([&] { client_->lookup(cancel_, dir_, "missing"); }), ENOENT);
}

TEST_F(Nfs4ClientTest, NamesAreLinkedRenamedListedAndRemoved) {
    const nfs::Entry file = create(dir_, "a", {0644});
    EXPECT_EQ(client_->link(cancel_, file.handle, dir_, "b").attributes.nlink, 2u);
    client_->symlink(cancel_, dir_, "s", "a", {0777});
    EXPECT_EQ(client_->readlink(cancel_, client_->lookup(cancel_, dir_, "s").handle), "a");
    client_->mkdir(cancel_, dir_, "d", {0755});
    client_->mknod(cancel_, dir_, "p", {}, {0600});
    client_->rename(cancel_, dir_, "b", dir_, "c");

    std::vector<std::string> names;
    for (const nfs::DirectoryEntry& entry : client_->readdir(cancel_, dir_))
        if (entry.name != "." && entry.name != "..") names.push_back(entry.name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"a", "c", "d", "p", "s"}));
    EXPECT_EQ(std::filesystem::status(disk_ / "p").type(), std::filesystem::file_type::fifo);

    EXPECT_EQ(errno_of([&] { client_->rmdir(cancel_, dir_, "a"); }), ENOTDIR);
    client_->remove(cancel_, dir_, "a");
    client_->rmdir(cancel_, dir_, "d");
    EXPECT_FALSE(std::filesystem::exists(disk_ / "a"));
    EXPECT_FALSE(std::filesystem::exists(disk_ / "d"));
    EXPECT_TRUE(std::filesystem::exists(disk_ / "c"));
}

// READDIR gives each entry's handle and attributes, the same a LOOKUP of the name gives, so that
// the FUSE layer can hand them to the kernel (readdirplus) without a LOOKUP per name.
TEST_F(Nfs4ClientTest, ListedEntriesCarryTheirHandlesAndAttributes) {
    const nfs::Entry file = create(dir_, "f", {0640});
    client_->write(cancel_, file.handle, 0, "12345", nfs::Stability::file_sync);
    client_->mkdir(cancel_, dir_, "d", {0755});
    client_->symlink(cancel_, dir_, "s", "f", {0777});

    std::vector<std::string> names;
    for (const nfs::DirectoryEntry& listed : client_->readdir(cancel_, dir_)) {
        names.push_back(listed.name);
        if (listed.name == "." || listed.name == "..") continue;
        ASSERT_TRUE(listed.entry) << listed.name << " came without handle or attributes";
        const nfs::Entry looked_up = client_->lookup(cancel_, dir_, listed.name);
        EXPECT_EQ(listed.entry->handle, looked_up.handle) << listed.name;
        const nfs::Attributes& a = listed.entry->attributes;
        EXPECT_EQ(a.type, looked_up.attributes.type) << listed.name;
        EXPECT_EQ(a.fileid, looked_up.attributes.fileid) << listed.name;
        EXPECT_EQ(a.fileid, listed.fileid) << listed.name;
        EXPECT_EQ(a.size, looked_up.attributes.size) << listed.name;
        EXPECT_EQ(a.mode, looked_up.attributes.mode) << listed.name;
        EXPECT_EQ(a.uid, looked_up.attributes.uid) << listed.name;
        EXPECT_EQ(a.change, looked_up.attributes.change) << listed.name;
        EXPECT_TRUE(a.change) << listed.name;
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{".", "..", "d", "f", "s"}));
    const nfs::Entry f = client_->lookup(cancel_, dir_, "f");
    EXPECT_EQ(f.attributes.size, 5u);
    EXPECT_EQ(f.attributes.mode, 0640u);
}

// Metadata in one round trip per operation (issue 16): a listing that fits one reply is one
// COMPOUND (the directory's own number for "." and ".." comes with the READDIR, not from a GETATTR
// of its own), and an exclusive create is one COMPOUND (OPEN with GETFH and GETATTR), its close
// another, as with the Linux client; NFSv3 also needs two (CREATE, SETATTR).
TEST_F(Nfs4ClientTest, AListingAndACreateAreOneCompoundEach) {
    uint64_t before = calls_sent();
    const nfs::CreatedFile created =
        client_->create(cancel_, dir_, "f", {0640}, true, nfs::OpenAccess::read_write);
    EXPECT_EQ(calls_sent() - before, 1u) << "create";
    EXPECT_EQ(created.entry.attributes.mode, 0640u);
    EXPECT_EQ(created.entry.attributes.type, nfs::FileType::regular);
    before = calls_sent();
    client_->close(created.id);
    EXPECT_EQ(calls_sent() - before, 1u) << "close";

    for (int i = 0; i < 20; ++i) client_->mkdir(cancel_, dir_, "d" + std::to_string(i), {0755});
    before = calls_sent();
    const std::vector<nfs::DirectoryEntry> listed = client_->readdir(cancel_, dir_);
    EXPECT_EQ(calls_sent() - before, 1u) << "listing 21 names";
    EXPECT_EQ(listed.size(), 23u);
    const uint64_t own_fileid = client_->getattr(cancel_, dir_).fileid;
    for (const nfs::DirectoryEntry& entry : listed) {
        if (entry.name == "." || entry.name == "..")
            EXPECT_EQ(entry.fileid, own_fileid);
        else
            EXPECT_NE(entry.fileid, own_fileid) << entry.name;
    }
}

// rmdir is one COMPOUND (LOOKUP, VERIFY that it is a directory, REMOVE) instead of a LOOKUP and
// a REMOVE: a file is refused with ENOTDIR and stays, a missing name is ENOENT.
TEST_F(Nfs4ClientTest, AnRmdirIsOneCompound) {
    client_->mkdir(cancel_, dir_, "d", {0755});
    create(dir_, "f", {0644});
    uint64_t before = calls_sent();
    client_->rmdir(cancel_, dir_, "d");
    EXPECT_EQ(calls_sent() - before, 1u);
    EXPECT_FALSE(std::filesystem::exists(disk_ / "d"));
    before = calls_sent();
    EXPECT_EQ(errno_of([&] { client_->rmdir(cancel_, dir_, "f"); }), ENOTDIR);
    EXPECT_EQ(calls_sent() - before, 1u);
    EXPECT_TRUE(std::filesystem::exists(disk_ / "f"));
    EXPECT_EQ(errno_of([&] { client_->rmdir(cancel_, dir_, "none"); }), ENOENT);
}

// Every NFSv4 stamp carries the change attribute, which moves with each change, and a change we
// make in a directory reports its change attribute before and after (change_info4): what the
// FUSE layer needs to know that it alone changed the directory.
TEST_F(Nfs4ClientTest, DirectoryChangesCarryTheChangeAttribute) {
    const auto stamp_of_dir = [&] { return nfs::change_stamp_of(client_->getattr(cancel_, dir_)); };
    const nfs::ChangeStamp empty = stamp_of_dir();
    ASSERT_TRUE(empty.change);
    const nfs::Entry file = create(dir_, "f", {0644});
    ASSERT_TRUE(file.attributes.change);
    const nfs::ChangeStamp one = stamp_of_dir();
    EXPECT_NE(one, empty);
    EXPECT_EQ(file.parent_change.before, empty);
    EXPECT_EQ(file.parent_change.after, one);

    const nfs::DirectoryChange made = client_->mkdir(cancel_, dir_, "d", {0755}).parent_change;
    EXPECT_EQ(made.before, one);
    const nfs::DirectoryChange linked =
        client_->link(cancel_, file.handle, dir_, "g").parent_change;
    EXPECT_EQ(linked.before, made.after);
    const nfs::RenameChanges renamed = client_->rename(cancel_, dir_, "g", dir_, "h");
    EXPECT_EQ(renamed.from.before, linked.after);
    const nfs::DirectoryChange removed = client_->remove(cancel_, dir_, "h");
    EXPECT_EQ(removed.after, stamp_of_dir());
    EXPECT_NE(removed.after, removed.before);
}

TEST_F(Nfs4ClientTest, NewObjectsBelongToTheirCallerStatfsAndAccess) {
    std::filesystem::permissions(disk_, std::filesystem::perms::all);  // others may create
    const nfs::Entry file = create(dir_, "owned", {0600}, CallContext{Credentials{1234, 4321, {}}});
    EXPECT_EQ(file.attributes.uid, 1234u);
    EXPECT_EQ(file.attributes.gid, 4321u);
    struct stat on_disk {};
    ASSERT_EQ(::stat((disk_ / "owned").c_str(), &on_disk), 0);
    EXPECT_EQ(on_disk.st_uid, 1234u);
    EXPECT_EQ(on_disk.st_gid, 4321u);

    EXPECT_GT(client_->statfs(cancel_, client_->root()).total_bytes, 0u);
    EXPECT_NE(client_->access(cancel_, dir_, nfs::access_read | nfs::access_lookup), 0u);
    EXPECT_GT(client_->call_counts().at("OPEN"), 0u);
}

}  // namespace
}  // namespace nfsfuse::it

namespace nfsfuse::it {
namespace {

// Every open is its own state on the server: closing some never disturbs the I/O of the others,
// and I/O needs no OPEN of its own (the server accepted every stateid we sent: a rejected one
// would have been reopened, which the OPEN count shows).
TEST_F(Nfs4ClientTest, OpensOfOneFileAreIndependent) {
    const nfs::CreatedFile created =
        client_->create(cancel_, dir_, "shared", {0644}, true, nfs::OpenAccess::read_write);
    const FileHandle fh = created.entry.handle;
    const nfs::OpenedFile reader = client_->open(cancel_, fh, nfs::OpenAccess::read);
    const nfs::OpenedFile writer = client_->open(cancel_, fh, nfs::OpenAccess::write);
    EXPECT_NE(reader.id, writer.id);
    EXPECT_EQ(reader.attributes.type, nfs::FileType::regular);
    const uint64_t opens = opens_sent();

    client_->close(created.id);
    client_->write(cancel_, fh, 0, "first", nfs::Stability::file_sync);
    EXPECT_EQ(read_all(fh), "first");
    client_->close(writer.id);
    EXPECT_EQ(read_all(fh), "first");
    client_->close(reader.id);
    // With no open left, I/O goes under the anonymous stateid.
    client_->write(cancel_, fh, 5, " second", nfs::Stability::file_sync);
    EXPECT_EQ(read_all(fh), "first second");
    EXPECT_EQ(opens_sent(), opens);
    EXPECT_EQ(read_file(disk_ / "shared"), "first second");
}

// A client that comes back with the same name and a new verifier is a rebooted client to the
// server: it drops our client id and every open. Our next I/O recovers the session, tries to
// reclaim the open (CLAIM_PREVIOUS; refused: the shared server has no grace period) and opens the
// file again by its handle.
TEST_F(Nfs4ClientTest, OpensLostByTheServerAreReopened) {
    const nfs::CreatedFile created =
        client_->create(cancel_, dir_, "kept", {0644}, true, nfs::OpenAccess::read_write);
    const FileHandle fh = created.entry.handle;
    client_->write(cancel_, fh, 0, "before", nfs::Stability::file_sync);
    const uint64_t opens = opens_sent();
    std::this_thread::sleep_for(10ms);  // a new verifier (it is the time) for the impostor
    { const nfs::v4::Nfs4Client same_name(settings(), export_path()); }
    client_->write(cancel_, fh, 6, " after", nfs::Stability::file_sync);
    EXPECT_EQ(read_all(fh), "before after");
    EXPECT_EQ(opens_sent(), opens + 2);  // the reclaim tried and the reopen
    client_->close(created.id);
    EXPECT_EQ(read_file(disk_ / "kept"), "before after");
}

}  // namespace
}  // namespace nfsfuse::it
