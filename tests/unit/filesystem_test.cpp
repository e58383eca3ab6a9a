// The filesystem layer without FUSE, over an in-memory server: what the FUSE callbacks used to
// order themselves is now the layer's: shutdown writes what open files hold (issue 11, case 4),
// O_TRUNC drops what another descriptor owed, open files survive unlink and rename over them,
// and a file's state lives as long as the kernel knows its inode.
#include "vfs/filesystem.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <memory>
#include <string>

#include "fake_nfs_server.h"
#include "util/error.h"

namespace nfsfuse::vfs {
namespace {

using nfs::CallContext;
using testing::FakeNfsServer;

constexpr uint64_t kRoot = 1;

class FilesystemTest : public ::testing::Test {
  protected:
    FilesystemTest() { server_.set_max_transfer(64); }
    ~FilesystemTest() override { server_.set_before_call(nullptr); }

    CreateReply create(const std::string& name) {
        return fs_.create(cancel_, kRoot, name, 0644, O_RDWR | O_CREAT);
    }
    void close(uint64_t handle) {
        fs_.flush(cancel_, handle);
        fs_.release_received(handle);
        fs_.release(handle);
    }
    std::string read(uint64_t handle, uint64_t offset, uint32_t length) {
        std::string data;
        for (const auto& piece : fs_.read(cancel_, handle, offset, length))
            data.append(piece.data, piece.size);
        return data;
    }
    std::string durable(const std::string& name) {
        return server_.durable_contents(server_.resolve(name));
    }

    FakeNfsServer server_;
    Filesystem fs_{server_, {}};
    CallContext cancel_;
};

// Issue 11, case 4: nfsfuse stopped by a signal while a file is open with data only gathered.
TEST_F(FilesystemTest, ShutdownWritesTheDataOfFilesStillOpen) {
    const CreateReply created = create("open.txt");
    fs_.write(cancel_, created.open.handle, 0, "gathered, never sent");
    EXPECT_EQ(server_.contents(server_.resolve("open.txt")), "") << "sent already: no test";
    const ShutdownReport report = fs_.shutdown(cancel_);
    EXPECT_EQ(report.files_flushed, 1u);
    EXPECT_TRUE(report.failures.empty());
    EXPECT_EQ(durable("open.txt"), "gathered, never sent");
}

TEST_F(FilesystemTest, ShutdownReportsWhatCouldNotBeWritten) {
    const CreateReply created = create("full.txt");
    fs_.write(cancel_, created.open.handle, 0, "no room for this");
    server_.set_before_call([](const std::string& procedure) {
        if (procedure == "WRITE") throw Error(ENOSPC, "WRITE: no space left");
    });
    const ShutdownReport report = fs_.shutdown(cancel_);
    ASSERT_EQ(report.failures.size(), 1u);
    EXPECT_NE(report.failures[0].find("16 bytes not written"), std::string::npos)
        << report.failures[0];
}

TEST_F(FilesystemTest, OTruncDropsWhatAnotherDescriptorStillOwed) {
    const CreateReply writer = create("t.txt");
    fs_.write(cancel_, writer.open.handle, 0, std::string(200, 'x'));
    const OpenReply truncating = fs_.open(cancel_, writer.entry.ino, O_WRONLY | O_TRUNC);
    server_.restart();
    close(writer.open.handle);
    close(truncating.handle);
    EXPECT_EQ(durable("t.txt"), "") << "truncated data came back";
}

TEST_F(FilesystemTest, AnUnlinkedOpenFileStaysReadableUntilItsLastClose) {
    const CreateReply created = create("gone.txt");
    fs_.write(cancel_, created.open.handle, 0, "still here");
    fs_.unlink(cancel_, kRoot, "gone.txt");
    EXPECT_THROW(server_.resolve("gone.txt"), Error);
    EXPECT_EQ(read(created.open.handle, 0, 100), "still here");
    EXPECT_EQ(server_.readdir(cancel_, server_.root()).size(), 1u) << "one hidden name";
    close(created.open.handle);
    EXPECT_TRUE(server_.readdir(cancel_, server_.root()).empty()) << "the hidden file stayed";
}

TEST_F(FilesystemTest, AFileReplacedByRenameStaysReadableForItsOpener) {
    const CreateReply victim = create("victim.txt");
    fs_.write(cancel_, victim.open.handle, 0, "old contents");
    fs_.flush(cancel_, victim.open.handle);
    close(create("new.txt").open.handle);
    fs_.rename(cancel_, kRoot, "new.txt", kRoot, "victim.txt", 0);
    EXPECT_EQ(read(victim.open.handle, 0, 100), "old contents");
    close(victim.open.handle);
    const auto listing = server_.readdir(cancel_, server_.root());
    ASSERT_EQ(listing.size(), 1u);
    EXPECT_EQ(listing[0].name, "victim.txt");
}

TEST_F(FilesystemTest, RenameOfOneLinkOntoAnotherOfTheSameOpenFileChangesNothing) {
    const CreateReply created = create("one");
    fs_.link(cancel_, created.entry.ino, kRoot, "two");
    fs_.rename(cancel_, kRoot, "one", kRoot, "two", 0);
    EXPECT_EQ(server_.readdir(cancel_, server_.root()).size(), 2u);
    close(created.open.handle);
}

TEST_F(FilesystemTest, TheKernelKeepsItsPagesWhileItKnowsAnUnchangedFile) {
    const CreateReply created = create("kept.txt");
    fs_.write(cancel_, created.open.handle, 0, "pages");
    close(created.open.handle);
    EXPECT_TRUE(fs_.open(cancel_, created.entry.ino, O_RDONLY).keep_cache)
        << "the stamp was lost with the last close";
    server_.write_as_another_client(server_.resolve("kept.txt"), 0, "other");
    EXPECT_FALSE(fs_.open(cancel_, created.entry.ino, O_RDONLY).keep_cache)
        << "another client's change kept stale pages";
}

TEST_F(FilesystemTest, MknodMakesEveryFileTypeWithItsDeviceNumbers) {
    const EntryReply chr = fs_.mknod(cancel_, kRoot, "tty", S_IFCHR | 0620, makedev(4, 1));
    EXPECT_EQ(chr.attributes.type, nfs::FileType::char_device);
    EXPECT_EQ(chr.attributes.rdev_major, 4u);
    EXPECT_EQ(chr.attributes.rdev_minor, 1u);
    const EntryReply blk = fs_.mknod(cancel_, kRoot, "sda", S_IFBLK | 0600, makedev(8, 0));
    EXPECT_EQ(blk.attributes.type, nfs::FileType::block_device);
    EXPECT_EQ(blk.attributes.rdev_major, 8u);
    EXPECT_EQ(fs_.mknod(cancel_, kRoot, "s", S_IFSOCK | 0755, 0).attributes.type,
              nfs::FileType::socket);
    EXPECT_EQ(fs_.mknod(cancel_, kRoot, "p", S_IFIFO | 0644, 0).attributes.type,
              nfs::FileType::fifo);
    EXPECT_EQ(fs_.mknod(cancel_, kRoot, "f", S_IFREG | 0644, 0).attributes.type,
              nfs::FileType::regular);
}

TEST_F(FilesystemTest, TheSizeIncludesDataTheServerLostUntilItIsSentAgain) {
    const CreateReply created = create("size.txt");
    fs_.write(cancel_, created.open.handle, 0, std::string(100, 's'));
    EXPECT_EQ(fs_.getattr(cancel_, created.entry.ino).attributes.size, 100u);
    server_.restart();
    EXPECT_EQ(fs_.getattr(cancel_, created.entry.ino).attributes.size, 100u);
    EXPECT_EQ(read(created.open.handle, 0, 200), std::string(100, 's'));
    close(created.open.handle);
    EXPECT_EQ(durable("size.txt"), std::string(100, 's'));
}

// The kernel hands the clearing of setuid and setgid bits to nfsfuse (FUSE_HANDLE_KILLPRIV_V2):
// a truncate by a caller without CAP_FSETID comes flagged, and a server that keeps the bits on a
// SETATTR of the size (as ganesha and this fake do) must still see them cleared.
class SetidClearingTest : public FilesystemTest {
  protected:
    // A file with `mode`; its inode.
    uint64_t file_with_mode(const std::string& name, uint32_t mode) {
        const CreateReply created = create(name);
        close(created.open.handle);
        nfs::SetAttributes chmod;
        chmod.mode = mode;
        fs_.setattr(cancel_, created.entry.ino, std::nullopt, chmod);
        return created.entry.ino;
    }
    AttributesReply truncate(uint64_t ino, SetidBits setid) {
        nfs::SetAttributes cut;
        cut.size = 1;
        return fs_.setattr(cancel_, ino, std::nullopt, cut, setid);
    }
    uint32_t server_mode(const std::string& name) {
        return server_.getattr(cancel_, server_.resolve(name)).mode;
    }
};

TEST_F(SetidClearingTest, AFlaggedTruncateClearsSetuidAndSetgidTheServerKept) {
    const uint64_t ino = file_with_mode("tool", 06775);
    const AttributesReply reply = truncate(ino, SetidBits::clear);
    EXPECT_EQ(server_mode("tool"), 0775u);
    EXPECT_EQ(reply.attributes.mode, 0775u) << "the kernel must see the bits gone";
    EXPECT_EQ(reply.attributes.size, 1u);
}

TEST_F(SetidClearingTest, SetgidWithoutGroupExecutionStays) {
    // Not a privilege: on Linux it marks a file for mandatory locking, and the kernel keeps it.
    const uint64_t ino = file_with_mode("locked", 06664);
    truncate(ino, SetidBits::clear);
    EXPECT_EQ(server_mode("locked"), 02664u);
}

TEST_F(SetidClearingTest, NothingToClearCostsNoSecondCall) {
    const uint64_t ino = file_with_mode("plain", 0755);
    const uint64_t before = server_.calls("SETATTR");
    truncate(ino, SetidBits::clear);
    EXPECT_EQ(server_.calls("SETATTR") - before, 1u);
    EXPECT_EQ(server_mode("plain"), 0755u);
}

TEST_F(SetidClearingTest, AnUnflaggedTruncateLeavesTheBitsToTheServer) {
    const uint64_t ino = file_with_mode("root-owned", 06775);
    truncate(ino, SetidBits::leave_to_server);
    EXPECT_EQ(server_mode("root-owned"), 06775u);
}

TEST_F(SetidClearingTest, ARefusedClearingKeepsTheTruncation) {
    // A caller who may write the file but not chmod it (not its owner): the server refuses the
    // mode and the bits stay, as with the kernel NFS client, which leaves them to the server;
    // the truncation the caller asked for has happened and is answered.
    const uint64_t ino = file_with_mode("theirs", 06775);
    auto setattrs = std::make_shared<int>(0);
    server_.set_before_call([setattrs](const std::string& procedure) {
        if (procedure == "SETATTR" && ++*setattrs == 2) throw Error(EPERM, "not the owner");
    });
    const AttributesReply reply = truncate(ino, SetidBits::clear);
    EXPECT_EQ(reply.attributes.size, 1u);
    EXPECT_EQ(server_mode("theirs"), 06775u);
    EXPECT_EQ(*setattrs, 2);
}

}  // namespace
}  // namespace nfsfuse::vfs
