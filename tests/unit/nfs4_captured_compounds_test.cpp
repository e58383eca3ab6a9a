// The codec against nfsfuse's own traffic with nfs-ganesha, captured on the wire
// (nfs4_captured_vectors.h, made by tests/tools/capture-nfs4-vectors.py). For each COMPOUND:
// CompoundReply decodes the server's reply into the values tshark decoded from the same bytes,
// and CompoundBuilder, given the values the client had (session, slot, handles, names, stateids:
// most taken from the decoded replies), encodes exactly the bytes the client sent.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>

#include "nfs/v4/compound_builder.h"
#include "nfs/v4/compound_reply.h"
#include "nfs/v4/nfs4_status.h"
#include "nfs4_captured_vectors.h"

namespace nfsfuse::nfs::v4 {
namespace {

using testing::CapturedCompound;
using testing::kCapturedCompounds;

const CapturedCompound& captured(std::string_view name) {
    for (const CapturedCompound& compound : kCapturedCompounds)
        if (compound.name == name) return compound;
    ADD_FAILURE() << "no captured COMPOUND named " << name;
    return kCapturedCompounds[0];
}

std::string unhex(std::string_view hex) {
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return bytes;
}

std::string hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    for (unsigned char byte : bytes) {
        text.push_back(kDigits[byte >> 4]);
        text.push_back(kDigits[byte & 15]);
    }
    return text;
}

// The captured reply, to decode; kept alive by the caller (CompoundReply does not own it).
std::string reply_bytes(std::string_view name) {
    return unhex(captured(name).reply_hex);
}

FileHandle handle(std::string_view hex_bytes) {
    return {unhex(hex_bytes)};
}

// The file handles and values of the capture, as tshark shows them.
constexpr std::string_view kExportFh = "4300000112445ed02d3ca643c64801aa21a700f92b6fcc";
constexpr std::string_view kDirFh = "4300000112445ed02d3ca643c64801b921a700a079b055";      // d
constexpr std::string_view kFileFh = "4300000112445ed02d3ca643c64801ba21a7005b172e86";     // d/f
constexpr std::string_view kReadFh = "4300000112445ed02d3ca643c64801bb21a700272db6c6";     // d/r
constexpr std::string_view kSymlinkFh = "4300000112445ed02d3ca643c648013220a700c0f81ead";  // d/s
constexpr std::string_view kFifoFh = "4300000112445ed02d3ca643c64801bc21a7006a6ee750";     // d/p
constexpr uint64_t kClientid = 0x6b0f907a00000001;
constexpr uint32_t kFsidMajor = 1009635422;
constexpr uint32_t kFsidMinor = 1220952998;

// The session, as CREATE_SESSION's reply gave it.
SessionId session() {
    const std::string bytes = reply_bytes("create_session");
    CompoundReply reply(bytes);
    return reply.create_session().sessionid;
}

// SEQUENCE as the client sent it; the server's answer in every OK reply of the capture.
CompoundBuilder sequenced(const char* tag, uint32_t sequenceid, bool cachethis, uint32_t slot = 0) {
    CompoundBuilder builder(tag);
    builder.sequence(session(), sequenceid, slot, slot, cachethis);
    return builder;
}

void expect_sequence(CompoundReply& reply, uint32_t sequenceid, uint32_t slot = 0) {
    const SequenceReply sequence = reply.sequence();
    EXPECT_EQ(sequence.sessionid, session());
    EXPECT_EQ(sequence.sequenceid, sequenceid);
    EXPECT_EQ(sequence.slotid, slot);
    EXPECT_EQ(sequence.highest_slotid, 15u);
    EXPECT_EQ(sequence.target_highest_slotid, 15u);
    EXPECT_EQ(sequence.status_flags, 1u);  // SEQ4_STATUS_CB_PATH_DOWN: we offer no callbacks
}

void expect_call(CompoundBuilder& builder, std::string_view name) {
    EXPECT_EQ(hex(builder.finish()), captured(name).call_hex) << name;
}

Nfs4Status status_thrown(const std::function<void()>& read) {
    try {
        read();
    } catch (const Nfs4Error& error) {
        return error.status();
    }
    return Nfs4Status::ok;
}

AttributesToSet new_object(uint32_t mode) {
    AttributesToSet set;
    set.mode = mode;
    set.owner = "0";
    set.owner_group = "0";
    return set;
}

const OpenOwner kOpenOwner{kClientid, "nfsfuse-open"};
const AttrMask kSetByCreate{Attr::mode, Attr::owner, Attr::owner_group};

TEST(Nfs4CapturedCompoundsTest, CoverEveryOperationNfsfuseSends) {
    EXPECT_EQ(std::size(kCapturedCompounds), 27u);
    for (const CapturedCompound& compound : kCapturedCompounds) {
        EXPECT_FALSE(compound.call_hex.empty()) << compound.name;
        EXPECT_FALSE(compound.reply_hex.empty()) << compound.name;
    }
}

TEST(Nfs4CapturedCompoundsTest, ExchangeId) {
    const std::string bytes = reply_bytes("exchange_id");
    CompoundReply reply(bytes);
    EXPECT_EQ(reply.status(), Nfs4Status::ok);
    EXPECT_EQ(reply.tag(), "nfsfuse");
    const ExchangeIdReply exchanged = reply.exchange_id();
    EXPECT_EQ(exchanged.clientid, kClientid);
    EXPECT_EQ(exchanged.sequenceid, 1u);
    EXPECT_EQ(exchanged.flags, 0x00010001u);  // USE_NON_PNFS, SUPP_MOVED_REFER
    EXPECT_EQ(exchanged.server_owner_minor, 0u);
    EXPECT_EQ(exchanged.server_owner_major, "vm");
    // ganesha sends its scope with the C string's terminating NUL (tshark: length 15).
    EXPECT_EQ(exchanged.server_scope, std::string("vm_NFS-Ganesha\0", 15));

    CompoundBuilder builder("nfsfuse");
    // co_verifier and co_ownerid (host name and mount point) are the capture's.
    builder.exchange_id(0x18ed52254f5e9369, "nfsfuse:vm:/tmp/nfs4-capture-aicqpb8x/mnt",
                        exchgid4_flag::use_non_pnfs);
    expect_call(builder, "exchange_id");
}

ChannelAttrs fore_channel() {
    return {0, 1081344, 1081344, 1081344, 16, 16};
}
constexpr ChannelAttrs kBackChannel{0, 4096, 4096, 0, 2, 1};

TEST(Nfs4CapturedCompoundsTest, CreateSession) {
    const std::string bytes = reply_bytes("create_session");
    CompoundReply reply(bytes);
    const CreateSessionReply created = reply.create_session();
    EXPECT_EQ(hex(bytes_of(created.sessionid)), "010000007a900f6b0100000000000000");
    EXPECT_EQ(created.sequence, 1u);
    EXPECT_EQ(created.flags, 0u);
    EXPECT_EQ(created.fore, fore_channel());
    EXPECT_EQ(created.back, kBackChannel);

    CompoundBuilder builder("nfsfuse");
    builder.create_session(kClientid, 1, 0, fore_channel(), kBackChannel, 0x40000000, std::nullopt);
    expect_call(builder, "create_session");
}

TEST(Nfs4CapturedCompoundsTest, CreateSessionWithAClientidTheRestartedServerForgot) {
    const std::string bytes = reply_bytes("create_session__stale_clientid");
    CompoundReply reply(bytes);
    EXPECT_EQ(reply.status(), Nfs4Status::stale_clientid);
    EXPECT_EQ(status_thrown([&] { reply.create_session(); }), Nfs4Status::stale_clientid);

    CompoundBuilder builder("nfsfuse");
    builder.create_session(kClientid, 2, 0, fore_channel(), kBackChannel, 0x40000000, std::nullopt);
    expect_call(builder, "create_session__stale_clientid");
}

TEST(Nfs4CapturedCompoundsTest, ReclaimComplete) {
    const std::string bytes = reply_bytes("reclaim_complete");
    CompoundReply reply(bytes);
    EXPECT_EQ(reply.tag(), "RECLAIM_COMPLETE");
    expect_sequence(reply, 1);
    reply.reclaim_complete();
    EXPECT_EQ(reply.results_read(), reply.result_count());

    CompoundBuilder builder = sequenced("RECLAIM_COMPLETE", 1, false);
    builder.reclaim_complete();
    expect_call(builder, "reclaim_complete");
}

TEST(Nfs4CapturedCompoundsTest, LookupOfTheExportFromTheRoot) {
    const std::string bytes = reply_bytes("putrootfh_lookup_getfh_getattr");
    CompoundReply reply(bytes);
    expect_sequence(reply, 2);
    reply.putrootfh();
    reply.lookup();
    EXPECT_EQ(reply.getfh(), handle(kExportFh));
    const Fattr4 fs = reply.getattr();
    EXPECT_EQ(fs.present, fs_attribute_request());
    EXPECT_EQ(fs.fs_stats.available_files, 16361387u);
    EXPECT_EQ(fs.fs_stats.free_files, 16361387u);
    EXPECT_EQ(fs.fs_stats.total_files, 16777216u);
    EXPECT_EQ(fs.maxname, 1024u);
    EXPECT_EQ(fs.maxread, 67108864u);
    EXPECT_EQ(fs.maxwrite, 67108864u);
    EXPECT_EQ(fs.fs_stats.available_bytes, 83616129024u);
    EXPECT_EQ(fs.fs_stats.free_bytes, 251424022528u);
    EXPECT_EQ(fs.fs_stats.total_bytes, 270553174016u);

    CompoundBuilder builder = sequenced("LOOKUP", 2, false);
    builder.putrootfh().lookup("export").getfh().getattr(fs_attribute_request());
    expect_call(builder, "putrootfh_lookup_getfh_getattr");
}

TEST(Nfs4CapturedCompoundsTest, GetattrOfTheFilesystem) {
    const std::string bytes = reply_bytes("putfh_getattr");
    CompoundReply reply(bytes);
    expect_sequence(reply, 3);
    reply.putfh();
    const Fattr4 fs = reply.getattr();
    EXPECT_EQ(fs.fs_stats.available_bytes, 83616100352u);
    EXPECT_EQ(fs.fs_stats.free_bytes, 251423993856u);
    EXPECT_EQ(fs.fs_stats.total_bytes, 270553174016u);

    CompoundBuilder builder = sequenced("GETATTR", 3, false);
    builder.putfh(handle(kExportFh)).getattr(fs_attribute_request());
    expect_call(builder, "putfh_getattr");
}

TEST(Nfs4CapturedCompoundsTest, LookupOfAMissingName) {
    const std::string bytes = reply_bytes("putfh_lookup_getfh_getattr__noent");
    CompoundReply reply(bytes);
    EXPECT_EQ(reply.status(), Nfs4Status::noent);
    EXPECT_EQ(reply.result_count(), 3u);  // SEQUENCE, PUTFH, the failed LOOKUP
    expect_sequence(reply, 4);
    reply.putfh();
    EXPECT_EQ(status_thrown([&] { reply.lookup(); }), Nfs4Status::noent);

    CompoundBuilder builder = sequenced("LOOKUP", 4, false);
    builder.putfh(handle(kExportFh)).lookup("d").getfh().getattr(file_attribute_request());
    expect_call(builder, "putfh_lookup_getfh_getattr__noent");
}

TEST(Nfs4CapturedCompoundsTest, CreateOfADirectory) {
    const std::string bytes = reply_bytes("putfh_create_dir_getfh_getattr");
    CompoundReply reply(bytes);
    expect_sequence(reply, 5);
    reply.putfh();
    const CreateReply created = reply.create();
    EXPECT_EQ(created.cinfo, (ChangeInfo{false, 1796182137935111956, 1796182146631111956}));
    EXPECT_EQ(created.attrset, kSetByCreate);
    EXPECT_EQ(reply.getfh(), handle(kDirFh));
    const Fattr4 dir = reply.getattr();
    EXPECT_EQ(dir.present, file_attribute_request());
    EXPECT_EQ(dir.attributes.type, FileType::directory);
    EXPECT_EQ(dir.change, 1796182146631111956u);
    EXPECT_EQ(dir.attributes.size, 4096u);
    EXPECT_EQ(dir.attributes.fileid, 10953145u);
    EXPECT_EQ(dir.attributes.mode, 0755u);
    EXPECT_EQ(dir.owner, "0");
    EXPECT_EQ(dir.owner_group, "0");

    CompoundBuilder builder = sequenced("CREATE", 5, true);
    builder.putfh(handle(kExportFh))
        .create_directory("d", new_object(0755))
        .getfh()
        .getattr(file_attribute_request());
    expect_call(builder, "putfh_create_dir_getfh_getattr");
}

TEST(Nfs4CapturedCompoundsTest, OpenThatCreates) {
    const std::string bytes = reply_bytes("putfh_open_getfh_getattr");
    CompoundReply reply(bytes);
    expect_sequence(reply, 6);
    reply.putfh();
    const OpenReply opened = reply.open();
    EXPECT_EQ(opened.stateid.seqid, 1u);
    EXPECT_EQ(hex({opened.stateid.other.data(), opened.stateid.other.size()}),
              "010000007a900f6b01000000");
    EXPECT_EQ(opened.cinfo, (ChangeInfo{false, 1796182146631111956, 1796182146639111956}));
    EXPECT_EQ(opened.rflags, 4u);  // OPEN4_RESULT_LOCKTYPE_POSIX
    EXPECT_EQ(opened.attrset, kSetByCreate);
    EXPECT_EQ(opened.delegation, DelegationType::none_ext);  // WND4_NOT_WANTED
    EXPECT_EQ(reply.getfh(), handle(kFileFh));
    const Fattr4 file = reply.getattr();
    EXPECT_EQ(file.attributes.type, FileType::regular);
    EXPECT_EQ(file.attributes.mode, 0640u);

    CompoundBuilder builder = sequenced("OPEN", 6, true);
    builder.putfh(handle(kDirFh))
        .open(kOpenOwner, open4_share_access::both | open4_share_access::want_no_deleg,
              open4_share_deny::none, "f", OpenCreate{CreateMode::guarded, new_object(0640), 0})
        .getfh()
        .getattr(file_attribute_request());
    expect_call(builder, "putfh_open_getfh_getattr");
}

TEST(Nfs4CapturedCompoundsTest, Close) {
    const std::string open_bytes = reply_bytes("putfh_open_getfh_getattr");
    CompoundReply open_reply(open_bytes);
    open_reply.sequence();
    open_reply.putfh();
    const Stateid opened = open_reply.open().stateid;

    const std::string bytes = reply_bytes("putfh_close");
    CompoundReply reply(bytes);
    expect_sequence(reply, 7);
    reply.putfh();
    const Stateid closed = reply.close();
    EXPECT_EQ(closed.seqid, 0xffffffffu);  // RFC 8881 18.2.4: an invalid special stateid
    EXPECT_EQ(closed.other, Stateid::anonymous().other);

    CompoundBuilder builder = sequenced("CLOSE", 7, false);
    builder.putfh(handle(kFileFh)).close(opened);
    expect_call(builder, "putfh_close");
}

TEST(Nfs4CapturedCompoundsTest, WriteBetweenGetattrs) {
    const std::string bytes = reply_bytes("putfh_getattr_write_getattr");
    CompoundReply reply(bytes);
    expect_sequence(reply, 1, /*slot=*/1);
    reply.putfh();
    const Fattr4 before = reply.getattr();
    EXPECT_EQ(before.attributes.type, FileType::regular);
    EXPECT_EQ(before.attributes.size, 0u);
    EXPECT_EQ(before.change, 1796182146642584452u);
    EXPECT_EQ(before.attributes.fileid, 10953146u);
    EXPECT_EQ(before.attributes.nlink, 1u);
    const WriteReply written = reply.write();
    EXPECT_EQ(written.count, 16u);
    EXPECT_EQ(written.committed, StableHow::unstable);
    EXPECT_EQ(written.verifier, 0x7a900f6b00000000u);
    EXPECT_EQ(reply.getattr().attributes.size, 4112u);

    CompoundBuilder builder = sequenced("WRITE", 1, false, /*slot=*/1);
    builder.putfh(handle(kFileFh))
        .getattr(file_attribute_request())
        .write(Stateid::anonymous(), 4096, StableHow::unstable, "a second extent\n")
        .getattr(file_attribute_request());
    expect_call(builder, "putfh_getattr_write_getattr");
}

TEST(Nfs4CapturedCompoundsTest, Commit) {
    const std::string bytes = reply_bytes("putfh_commit");
    CompoundReply reply(bytes);
    expect_sequence(reply, 9);
    reply.putfh();
    EXPECT_EQ(reply.commit(), 0x7a900f6b00000000u);  // the WRITE's verifier

    CompoundBuilder builder = sequenced("COMMIT", 9, false);
    builder.putfh(handle(kFileFh)).commit(0, 0);
    expect_call(builder, "putfh_commit");
}

TEST(Nfs4CapturedCompoundsTest, SetattrOfTheMode) {
    const std::string bytes = reply_bytes("putfh_setattr_getattr");
    CompoundReply reply(bytes);
    expect_sequence(reply, 10);
    reply.putfh();
    EXPECT_EQ(reply.setattr(), (AttrMask{Attr::mode}));
    const Fattr4 file = reply.getattr();
    EXPECT_EQ(file.attributes.mode, 0600u);
    EXPECT_EQ(file.attributes.size, 4112u);
    EXPECT_EQ(file.change, 1796182146707111956u);

    AttributesToSet set;
    set.mode = 0600;
    CompoundBuilder builder = sequenced("SETATTR", 10, true);
    builder.putfh(handle(kFileFh))
        .setattr(Stateid::anonymous(), set)
        .getattr(file_attribute_request());
    expect_call(builder, "putfh_setattr_getattr");
}

TEST(Nfs4CapturedCompoundsTest, Access) {
    const std::string bytes = reply_bytes("putfh_access");
    CompoundReply reply(bytes);
    expect_sequence(reply, 11);
    reply.putfh();
    const AccessReply access = reply.access();
    EXPECT_EQ(access.supported, 0x0du);  // READ, MODIFY, EXTEND
    EXPECT_EQ(access.access, 0x0du);

    CompoundBuilder builder = sequenced("ACCESS", 11, false);
    builder.putfh(handle(kFileFh)).access(access_read | access_modify | access_extend);
    expect_call(builder, "putfh_access");
}

TEST(Nfs4CapturedCompoundsTest, Lookup) {
    const std::string bytes = reply_bytes("putfh_lookup_getfh_getattr");
    CompoundReply reply(bytes);
    expect_sequence(reply, 12);
    reply.putfh();
    reply.lookup();
    EXPECT_EQ(reply.getfh(), handle(kReadFh));
    const Fattr4 file = reply.getattr();
    EXPECT_EQ(file.attributes.type, FileType::regular);
    EXPECT_EQ(file.change, 1796182146712015632u);
    EXPECT_EQ(file.attributes.size, 512u);
    EXPECT_EQ(file.attributes.fileid, 10953147u);
    EXPECT_EQ(file.attributes.mode, 0644u);
    EXPECT_EQ(file.attributes.nlink, 1u);
    EXPECT_EQ(file.attributes.used, 4096u);
    EXPECT_EQ(file.attributes.rdev_major, 0u);
    EXPECT_EQ(file.attributes.ctime.tv_sec, 1796182146);
    EXPECT_EQ(file.attributes.ctime.tv_nsec, 712015632);
    EXPECT_EQ(file.attributes.fsid,
              uint64_t{kFsidMajor} ^ (uint64_t{kFsidMinor} << 32 | uint64_t{kFsidMinor} >> 32));

    CompoundBuilder builder = sequenced("LOOKUP", 12, false);
    builder.putfh(handle(kDirFh)).lookup("r").getfh().getattr(file_attribute_request());
    expect_call(builder, "putfh_lookup_getfh_getattr");
}

TEST(Nfs4CapturedCompoundsTest, Read) {
    const std::string bytes = reply_bytes("putfh_read_getattr");
    CompoundReply reply(bytes);
    expect_sequence(reply, 14);
    reply.putfh();
    const ReadReply read = reply.read();
    EXPECT_TRUE(read.eof);
    ASSERT_EQ(read.data.size(), 512u);  // bytes 0..255, twice, as the capture wrote them
    for (size_t i = 0; i < read.data.size(); ++i)
        ASSERT_EQ(static_cast<unsigned char>(read.data[i]), i % 256) << i;
    EXPECT_EQ(reply.getattr().attributes.size, 512u);

    CompoundBuilder builder = sequenced("READ", 14, false);
    builder.putfh(handle(kReadFh))
        .read(Stateid::anonymous(), 0, 4096)
        .getattr(file_attribute_request());
    expect_call(builder, "putfh_read_getattr");
}

TEST(Nfs4CapturedCompoundsTest, CreateOfASymlinkAndReadlink) {
    const std::string bytes = reply_bytes("putfh_create_symlink_getfh_getattr");
    CompoundReply reply(bytes);
    expect_sequence(reply, 16);
    reply.putfh();
    EXPECT_EQ(reply.create().cinfo, (ChangeInfo{false, 1796182146707111956, 1796182146751111956}));
    EXPECT_EQ(reply.getfh(), handle(kSymlinkFh));
    EXPECT_EQ(reply.getattr().attributes.type, FileType::symlink);

    CompoundBuilder builder = sequenced("CREATE", 16, true);
    builder.putfh(handle(kDirFh))
        .create_symlink("s", "f", new_object(0777))
        .getfh()
        .getattr(file_attribute_request());
    expect_call(builder, "putfh_create_symlink_getfh_getattr");

    const std::string readlink_bytes = reply_bytes("putfh_readlink");
    CompoundReply readlink(readlink_bytes);
    expect_sequence(readlink, 17);
    readlink.putfh();
    EXPECT_EQ(readlink.readlink(), "f");

    CompoundBuilder readlink_builder = sequenced("READLINK", 17, false);
    readlink_builder.putfh(handle(kSymlinkFh)).readlink();
    expect_call(readlink_builder, "putfh_readlink");
}

TEST(Nfs4CapturedCompoundsTest, CreateOfAFifo) {
    const std::string bytes = reply_bytes("putfh_create_fifo_getfh_getattr");
    CompoundReply reply(bytes);
    expect_sequence(reply, 19);
    reply.putfh();
    EXPECT_EQ(reply.create().cinfo, (ChangeInfo{false, 1796182146751111956, 1796182146755111956}));
    EXPECT_EQ(reply.getfh(), handle(kFifoFh));
    const Fattr4 fifo = reply.getattr();
    EXPECT_EQ(fifo.attributes.type, FileType::fifo);
    EXPECT_EQ(fifo.attributes.fileid, 10953148u);
    EXPECT_EQ(fifo.attributes.mode, 0600u);

    CompoundBuilder builder = sequenced("CREATE", 19, true);
    builder.putfh(handle(kDirFh))
        .create_special(Ftype4::fifo, "p", new_object(0600))
        .getfh()
        .getattr(file_attribute_request());
    expect_call(builder, "putfh_create_fifo_getfh_getattr");
}

TEST(Nfs4CapturedCompoundsTest, Link) {
    const std::string bytes = reply_bytes("putfh_savefh_putfh_link_restorefh_getattr");
    CompoundReply reply(bytes);
    expect_sequence(reply, 21);
    reply.putfh();
    reply.savefh();
    reply.putfh();
    EXPECT_EQ(reply.link(), (ChangeInfo{false, 1796182146755111956, 1796182146760284123}));
    reply.restorefh();
    const Fattr4 file = reply.getattr();
    EXPECT_EQ(file.attributes.fileid, 10953146u);
    EXPECT_EQ(file.attributes.nlink, 2u);
    EXPECT_EQ(file.attributes.used, 8192u);

    CompoundBuilder builder = sequenced("LINK", 21, true);
    builder.putfh(handle(kFileFh))
        .savefh()
        .putfh(handle(kDirFh))
        .link("h")
        .restorefh()
        .getattr(file_attribute_request());
    expect_call(builder, "putfh_savefh_putfh_link_restorefh_getattr");
}

TEST(Nfs4CapturedCompoundsTest, Rename) {
    const std::string bytes = reply_bytes("putfh_savefh_putfh_rename");
    CompoundReply reply(bytes);
    expect_sequence(reply, 23);
    reply.putfh();
    reply.savefh();
    reply.putfh();
    const RenameReply renamed = reply.rename();
    const ChangeInfo expected{false, 1796182146760284123, 1796182146763111956};
    EXPECT_EQ(renamed.source, expected);
    EXPECT_EQ(renamed.target, expected);

    CompoundBuilder builder = sequenced("RENAME", 23, true);
    builder.putfh(handle(kDirFh)).savefh().putfh(handle(kDirFh)).rename("h", "g");
    expect_call(builder, "putfh_savefh_putfh_rename");
}

TEST(Nfs4CapturedCompoundsTest, Readdir) {
    const std::string bytes = reply_bytes("putfh_readdir");
    CompoundReply reply(bytes);
    expect_sequence(reply, 26);
    reply.putfh();
    const ReaddirReply listing = reply.readdir();
    EXPECT_EQ(listing.cookieverf, 0u);
    EXPECT_TRUE(listing.eof);
    ASSERT_EQ(listing.entries.size(), 5u);
    const std::pair<std::string, uint64_t> expected[] = {{"f", 5118393736337361434u},
                                                         {"p", 5502581869141833253u},
                                                         {"g", 6357504699377170974u},
                                                         {"s", 7987259353839667303u},
                                                         {"r", 9223372036854775807u}};
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(listing.entries[i].name, expected[i].first);
        EXPECT_EQ(listing.entries[i].cookie, expected[i].second);
        EXPECT_EQ(listing.entries[i].attributes.present, file_attribute_request());
    }
    EXPECT_EQ(listing.entries[0].attributes.attributes.fileid, 10953146u);
    EXPECT_EQ(listing.entries[0].attributes.attributes.nlink, 2u);
    EXPECT_EQ(listing.entries[1].attributes.attributes.type, FileType::fifo);
    EXPECT_EQ(listing.entries[3].attributes.attributes.type, FileType::symlink);

    CompoundBuilder builder = sequenced("READDIR", 26, false);
    builder.putfh(handle(kDirFh)).readdir(0, 0, 65536, 524288, file_attribute_request());
    expect_call(builder, "putfh_readdir");
}

TEST(Nfs4CapturedCompoundsTest, Remove) {
    const std::string bytes = reply_bytes("putfh_remove");
    CompoundReply reply(bytes);
    expect_sequence(reply, 27);
    reply.putfh();
    EXPECT_EQ(reply.remove(), (ChangeInfo{false, 1796182146763111956, 1796182146819111956}));

    CompoundBuilder builder = sequenced("REMOVE", 27, true);
    builder.putfh(handle(kDirFh)).remove("g");
    expect_call(builder, "putfh_remove");
}

TEST(Nfs4CapturedCompoundsTest, RemoveOfADirectoryThatIsNotEmpty) {
    const std::string bytes = reply_bytes("putfh_remove__notempty");
    CompoundReply reply(bytes);
    EXPECT_EQ(reply.status(), Nfs4Status::notempty);
    expect_sequence(reply, 30);
    reply.putfh();
    EXPECT_EQ(status_thrown([&] { reply.remove(); }), Nfs4Status::notempty);

    CompoundBuilder builder = sequenced("REMOVE", 30, true);
    builder.putfh(handle(kExportFh)).remove("d");
    expect_call(builder, "putfh_remove__notempty");
}

TEST(Nfs4CapturedCompoundsTest, SequenceOnASessionTheRestartedServerForgot) {
    const std::string bytes = reply_bytes("putfh_getattr__badsession");
    CompoundReply reply(bytes);
    EXPECT_EQ(reply.status(), Nfs4Status::badsession);
    EXPECT_EQ(reply.result_count(), 1u);
    EXPECT_EQ(status_thrown([&] { reply.sequence(); }), Nfs4Status::badsession);

    CompoundBuilder builder = sequenced("GETATTR", 31, false);
    builder.putfh(handle(kFileFh)).getattr(file_attribute_request());
    expect_call(builder, "putfh_getattr__badsession");
}

TEST(Nfs4CapturedCompoundsTest, DestroySessionAndClientid) {
    const std::string session_bytes = reply_bytes("destroy_session");
    CompoundReply session_reply(session_bytes);
    EXPECT_EQ(session_reply.status(), Nfs4Status::ok);
    session_reply.destroy_session();

    // The session and client id made after the server's restart.
    SessionId after_restart;
    const std::string id = unhex("0100000084900f6b0100000000000000");
    std::copy(id.begin(), id.end(), after_restart.begin());
    CompoundBuilder session_builder("nfsfuse");
    session_builder.destroy_session(after_restart);
    expect_call(session_builder, "destroy_session");

    const std::string clientid_bytes = reply_bytes("destroy_clientid");
    CompoundReply clientid_reply(clientid_bytes);
    clientid_reply.destroy_clientid();
    EXPECT_EQ(clientid_reply.results_read(), 1u);

    CompoundBuilder clientid_builder("nfsfuse");
    clientid_builder.destroy_clientid(0x6b0f908400000001);
    expect_call(clientid_builder, "destroy_clientid");
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
