// COMPOUND4args byte for byte: every operation's arguments against vectors written by hand from
// the XDR of RFC 8881 (RFC 5662), field by field.
#include "nfs/v4/compound_builder.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>

#include "nfs4_xdr_bytes.h"
#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

using testing::Xdr;

// COMPOUND4args up to its first operation: tag "t", minorversion 1, the operation count.
Xdr args(uint32_t count) {
    Xdr xdr;
    xdr.str("t").u32(1).u32(count);
    return xdr;
}

std::string only(const std::function<void(CompoundBuilder&)>& add) {
    CompoundBuilder builder("t");
    add(builder);
    return builder.finish();
}

const Stateid kStateid{7, {'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L'}};
const std::string kStateidOther = "ABCDEFGHIJKL";
const SessionId kSession{'0', '1', '2', '3', '4', '5', '6', '7',
                         '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

TEST(Nfs4CompoundBuilderTest, HeaderCarriesTagMinorVersionOneAndTheOperationCount) {
    CompoundBuilder empty("lookup x");
    EXPECT_EQ(empty.finish(), std::string(Xdr().str("lookup x").u32(1).u32(0)));

    CompoundBuilder builder("t");
    builder.sequence(kSession, 1, 0, 0, false).putrootfh().getfh();
    EXPECT_EQ(builder.operation_count(), 3u);
    EXPECT_EQ(builder.finish(), std::string(args(3)
                                                .u32(53)  // OP_SEQUENCE
                                                .fixed("0123456789abcdef")
                                                .u32(1)      // sequenceid
                                                .u32(0)      // slotid
                                                .u32(0)      // highest_slotid
                                                .u32(0)      // cachethis
                                                .u32(24)     // OP_PUTROOTFH
                                                .u32(10)));  // OP_GETFH
}

TEST(Nfs4CompoundBuilderTest, Sequence) {
    EXPECT_EQ(only([](auto& b) { b.sequence(kSession, 0x01020304, 5, 63, true); }),
              std::string(args(1)
                              .u32(53)                    // OP_SEQUENCE
                              .fixed("0123456789abcdef")  // sa_sessionid
                              .u32(0x01020304)            // sa_sequenceid
                              .u32(5)                     // sa_slotid
                              .u32(63)                    // sa_highest_slotid
                              .u32(1)));                  // sa_cachethis
}

// rmdir in one COMPOUND: VERIFY that the looked-up object is a directory before REMOVE.
TEST(Nfs4CompoundBuilderTest, VerifyType) {
    EXPECT_EQ(only([](CompoundBuilder& b) { b.verify_type(Ftype4::dir); }),
              std::string(args(1)
                              .u32(37)       // OP_VERIFY
                              .u32(1)        // obj_attributes.attrmask: one word,
                              .u32(1u << 1)  //   TYPE (1)
                              .u32(4)        // attr_vals: 4 bytes,
                              .u32(2)));     //   NF4DIR
}

TEST(Nfs4CompoundBuilderTest, FilehandleAndNameOperations) {
    CompoundBuilder builder("t");
    builder.putfh(FileHandle{"\x01\x02\x03\x04\x05"})
        .savefh()
        .restorefh()
        .lookup("abc")
        .lookupp()
        .readlink()
        .remove("gone")
        .rename("old", "newer")
        .link("hard");
    EXPECT_EQ(builder.finish(), std::string(args(9)
                                                .u32(22)  // OP_PUTFH
                                                .str("\x01\x02\x03\x04\x05")
                                                .u32(32)  // OP_SAVEFH
                                                .u32(31)  // OP_RESTOREFH
                                                .u32(15)  // OP_LOOKUP
                                                .str("abc")
                                                .u32(16)  // OP_LOOKUPP
                                                .u32(27)  // OP_READLINK
                                                .u32(28)  // OP_REMOVE
                                                .str("gone")
                                                .u32(29)       // OP_RENAME
                                                .str("old")    // oldname
                                                .str("newer")  // newname
                                                .u32(11)       // OP_LINK
                                                .str("hard")));
}

TEST(Nfs4CompoundBuilderTest, GetattrSendsTheBitmapOfTheRequestedAttributes) {
    EXPECT_EQ(only([](auto& b) { b.getattr(file_attribute_request()); }),
              std::string(args(1)
                              .u32(9)  // OP_GETATTR
                              .u32(2)  // attr_request: two words
                              // TYPE 1, CHANGE 3, SIZE 4, FSID 8, FILEID 20
                              .u32(1u << 1 | 1u << 3 | 1u << 4 | 1u << 8 | 1u << 20)
                              // MODE 33, NUMLINKS 35, OWNER 36, OWNER_GROUP 37, RAWDEV 41,
                              // SPACE_USED 45, TIME_ACCESS 47, TIME_METADATA 52, TIME_MODIFY 53
                              .u32(1u << 1 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 9 | 1u << 13 |
                                   1u << 15 | 1u << 20 | 1u << 21)));
    EXPECT_EQ(only([](auto& b) { b.getattr({Attr::size}); }),
              std::string(args(1).u32(9).u32(1).u32(0x10)));
}

TEST(Nfs4CompoundBuilderTest, SetattrSendsTheStateidAndAFattr4) {
    AttributesToSet attributes;
    attributes.size = 4096;
    EXPECT_EQ(only([&](auto& b) { b.setattr(kStateid, attributes); }),
              std::string(args(1)
                              .u32(34)  // OP_SETATTR
                              .u32(7)   // stateid.seqid
                              .fixed(kStateidOther)
                              .u32(1)        // attrmask: one word
                              .u32(1u << 4)  // SIZE
                              .u32(8)        // attr_vals: 8 bytes
                              .u64(4096)));
}

TEST(Nfs4CompoundBuilderTest, AccessReadWriteCommit) {
    CompoundBuilder builder("t");
    builder.access(access_read | access_lookup)
        .read(kStateid, 1ULL << 33, 65536)
        .write(kStateid, 10, StableHow::unstable, "hello")
        .write(Stateid::current(), 0, StableHow::file_sync, "")
        .commit(0, 0);
    EXPECT_EQ(builder.finish(), std::string(args(5)
                                                .u32(3)  // OP_ACCESS
                                                .u32(0x3)
                                                .u32(25)  // OP_READ
                                                .u32(7)
                                                .fixed(kStateidOther)
                                                .u64(1ULL << 33)  // offset
                                                .u32(65536)       // count
                                                .u32(38)          // OP_WRITE
                                                .u32(7)
                                                .fixed(kStateidOther)
                                                .u64(10)  // offset
                                                .u32(0)   // UNSTABLE4
                                                .str("hello")
                                                .u32(38)  // OP_WRITE
                                                .u32(1)   // the current stateid: seqid 1,
                                                .fixed(std::string(12, '\0'))  // other 0
                                                .u64(0)
                                                .u32(2)  // FILE_SYNC4
                                                .str("")
                                                .u32(5)     // OP_COMMIT
                                                .u64(0)     // offset
                                                .u32(0)));  // count
}

// A WRITE's data stays where it is: finish_request() leaves it out of the bytes and says where
// it goes, so the connection sends 1 MiB from the caller's buffer instead of a copy. Put back,
// the bytes are finish()'s, padding and the operations after it included.
TEST(Nfs4CompoundBuilderTest, AWritesDataIsLeftWhereItIs) {
    const std::string data = "seven b";  // 7 bytes: one byte of padding
    const auto build = [&] {
        CompoundBuilder builder("t");
        builder.putfh(FileHandle{"fh"})
            .write(kStateid, 10, StableHow::unstable, data)
            .getattr(AttrMask{Attr::size});
        return builder;
    };
    const std::string whole = build().finish();
    CompoundBuilder builder = build();
    const CompoundRequest request = builder.finish_request();
    EXPECT_EQ(request.payload.data(), data.data()) << "the caller's bytes, not a copy";
    EXPECT_EQ(request.payload.size(), data.size());
    EXPECT_EQ(request.bytes.size() + data.size(), whole.size());
    EXPECT_EQ(request.bytes.find(data), std::string::npos);
    const SplicedArguments pieces = request.arguments();
    EXPECT_EQ(pieces.joined(), whole);
    EXPECT_EQ(pieces.tail.substr(0, 1), std::string(1, '\0')) << "the opaque's padding";
}

// OPEN4args up to openflag4: seqid 0, share_access, share_deny, open_owner4.
Xdr open_head(uint32_t share_access) {
    Xdr xdr = args(1);
    xdr.u32(18)  // OP_OPEN
        .u32(0)  // seqid
        .u32(share_access)
        .u32(0)                   // OPEN4_SHARE_DENY_NONE
        .u64(0x1122334455667788)  // owner.clientid
        .str("owner-1");          // owner.owner
    return xdr;
}

const OpenOwner kOwner{0x1122334455667788, "owner-1"};

TEST(Nfs4CompoundBuilderTest, OpenWithoutCreate) {
    EXPECT_EQ(only([](auto& b) {
                  b.open(kOwner, open4_share_access::read, open4_share_deny::none, "file",
                         std::nullopt);
              }),
              std::string(open_head(1)
                              .u32(0)  // OPEN4_NOCREATE
                              .u32(0)  // CLAIM_NULL
                              .str("file")));
    EXPECT_EQ(only([](auto& b) {
                  b.open_current(kOwner,
                                 open4_share_access::both | open4_share_access::want_no_deleg,
                                 open4_share_deny::none);
              }),
              std::string(open_head(0x403)
                              .u32(0)     // OPEN4_NOCREATE
                              .u32(4)));  // CLAIM_FH
}

TEST(Nfs4CompoundBuilderTest, OpenWithCreate) {
    AttributesToSet mode;
    mode.mode = 0644;
    const Xdr mode_fattr4 = Xdr().u32(2).u32(0).u32(1u << 1).u32(4).u32(0644);  // MODE 33

    EXPECT_EQ(only([&](auto& b) {
                  b.open(kOwner, open4_share_access::write, open4_share_deny::none, "new",
                         OpenCreate{CreateMode::unchecked, mode, 0});
              }),
              std::string(open_head(2)
                              .u32(1)  // OPEN4_CREATE
                              .u32(0)  // UNCHECKED4
                              .append(mode_fattr4)
                              .u32(0)  // CLAIM_NULL
                              .str("new")));
    EXPECT_EQ(
        only([&](auto& b) {
            b.open(kOwner, open4_share_access::write, open4_share_deny::none, "new",
                   OpenCreate{CreateMode::guarded, mode, 0});
        }),
        std::string(open_head(2).u32(1).u32(1 /*GUARDED4*/).append(mode_fattr4).u32(0).str("new")));
    EXPECT_EQ(only([&](auto& b) {
                  b.open(kOwner, open4_share_access::write, open4_share_deny::none, "new",
                         OpenCreate{CreateMode::exclusive4_1, mode, 0xAABBCCDD00112233});
              }),
              std::string(open_head(2)
                              .u32(1)                   // OPEN4_CREATE
                              .u32(3)                   // EXCLUSIVE4_1
                              .u64(0xAABBCCDD00112233)  // cva_verf
                              .append(mode_fattr4)      // cva_attrs
                              .u32(0)
                              .str("new")));
}

TEST(Nfs4CompoundBuilderTest, OpenReclaimingAPreviousOpen) {
    EXPECT_EQ(only([](auto& b) {
                  b.open_previous(kOwner,
                                  open4_share_access::read | open4_share_access::want_no_deleg,
                                  open4_share_deny::none);
              }),
              std::string(open_head(0x401)
                              .u32(0)     // OPEN4_NOCREATE
                              .u32(1)     // CLAIM_PREVIOUS
                              .u32(0)));  // delegate_type: OPEN_DELEGATE_NONE
}

const LockOwner4 kLockOwner{0x0102030405060708, "lock-owner"};

TEST(Nfs4CompoundBuilderTest, LockForANewLockOwnerGrowsFromItsOpen) {
    EXPECT_EQ(only([](auto& b) {
                  b.lock_new_owner(LockType4::write, false, 100, 0xFFFFFFFFFFFFFFFF, kStateid,
                                   kLockOwner);
              }),
              std::string(args(1)
                              .u32(12)                  // OP_LOCK
                              .u32(2)                   // locktype: WRITE_LT
                              .u32(0)                   // reclaim: false
                              .u64(100)                 // offset
                              .u64(0xFFFFFFFFFFFFFFFF)  // length: to the end
                              .u32(1)                   // locker4: new_lock_owner TRUE
                              .u32(0)                   // open_seqid
                              .u32(7)                   // open_stateid
                              .fixed(kStateidOther)
                              .u32(0)                   // lock_seqid
                              .u64(0x0102030405060708)  // lock_owner4.clientid
                              .str("lock-owner")));     // lock_owner4.owner
}

TEST(Nfs4CompoundBuilderTest, LockForAnExistingLockOwnerAndReclaims) {
    EXPECT_EQ(only([](auto& b) { b.lock_existing_owner(LockType4::readw, true, 0, 10, kStateid); }),
              std::string(args(1)
                              .u32(12)  // OP_LOCK
                              .u32(3)   // locktype: READW_LT
                              .u32(1)   // reclaim: true
                              .u64(0)
                              .u64(10)
                              .u32(0)  // locker4: new_lock_owner FALSE
                              .u32(7)  // lock_stateid
                              .fixed(kStateidOther)
                              .u32(0)));  // lock_seqid
}

TEST(Nfs4CompoundBuilderTest, LockuLocktAndFreeStateid) {
    CompoundBuilder builder("t");
    builder.locku(LockType4::write, kStateid, 5, 6)
        .lockt(LockType4::read, 7, 8, kLockOwner)
        .free_stateid(kStateid);
    EXPECT_EQ(builder.finish(), std::string(args(3)
                                                .u32(14)  // OP_LOCKU
                                                .u32(2)   // locktype: WRITE_LT
                                                .u32(0)   // seqid
                                                .u32(7)   // lock_stateid
                                                .fixed(kStateidOther)
                                                .u64(5)   // offset
                                                .u64(6)   // length
                                                .u32(13)  // OP_LOCKT
                                                .u32(1)   // locktype: READ_LT
                                                .u64(7)
                                                .u64(8)
                                                .u64(0x0102030405060708)  // owner
                                                .str("lock-owner")
                                                .u32(45)  // OP_FREE_STATEID
                                                .u32(7)
                                                .fixed(kStateidOther)));
}

TEST(Nfs4CompoundBuilderTest, Close) {
    EXPECT_EQ(only([](auto& b) { b.close(kStateid); }),
              std::string(args(1)
                              .u32(4)  // OP_CLOSE
                              .u32(0)  // seqid
                              .u32(7)
                              .fixed(kStateidOther)));
}

TEST(Nfs4CompoundBuilderTest, CreateDirectorySymlinkAndSpecialFiles) {
    AttributesToSet mode;
    mode.mode = 0755;
    const Xdr mode_fattr4 = Xdr().u32(2).u32(0).u32(1u << 1).u32(4).u32(0755);

    CompoundBuilder builder("t");
    builder.create_directory("dir", mode)
        .create_symlink("link", "../target", mode)
        .create_special(Ftype4::fifo, "pipe", mode)
        .create_special(Ftype4::chr, "tty", mode, 4, 64);
    EXPECT_EQ(builder.finish(), std::string(args(4)
                                                .u32(6)  // OP_CREATE
                                                .u32(2)  // NF4DIR
                                                .str("dir")
                                                .append(mode_fattr4)
                                                .u32(6)            // OP_CREATE
                                                .u32(5)            // NF4LNK
                                                .str("../target")  // linkdata
                                                .str("link")
                                                .append(mode_fattr4)
                                                .u32(6)  // OP_CREATE
                                                .u32(7)  // NF4FIFO
                                                .str("pipe")
                                                .append(mode_fattr4)
                                                .u32(6)   // OP_CREATE
                                                .u32(4)   // NF4CHR
                                                .u32(4)   // specdata1
                                                .u32(64)  // specdata2
                                                .str("tty")
                                                .append(mode_fattr4)));

    CompoundBuilder regular("t");
    EXPECT_THROW(regular.create_special(Ftype4::reg, "file", mode), Error);
}

TEST(Nfs4CompoundBuilderTest, Readdir) {
    EXPECT_EQ(only([](auto& b) {
                  b.readdir(12, 0x0102030405060708, 4096, 32768, {Attr::type, Attr::fileid});
              }),
              std::string(args(1)
                              .u32(26)                  // OP_READDIR
                              .u64(12)                  // cookie
                              .u64(0x0102030405060708)  // cookieverf
                              .u32(4096)                // dircount
                              .u32(32768)               // maxcount
                              .u32(1)                   // attr_request: one word
                              .u32(1u << 1 | 1u << 20)));
}

TEST(Nfs4CompoundBuilderTest, ExchangeId) {
    EXPECT_EQ(only([](auto& b) {
                  b.exchange_id(0x0000000100000002, "nfsfuse/host", exchgid4_flag::use_non_pnfs);
              }),
              std::string(args(1)
                              .u32(42)                  // OP_EXCHANGE_ID
                              .u64(0x0000000100000002)  // co_verifier
                              .str("nfsfuse/host")      // co_ownerid
                              .u32(0x00010000)          // EXCHGID4_FLAG_USE_NON_PNFS
                              .u32(0)                   // SP4_NONE
                              .u32(0)));                // eia_client_impl_id: none
}

TEST(Nfs4CompoundBuilderTest, CreateSession) {
    const ChannelAttrs fore{0, 1049620, 1049480, 7584, 16, 64};
    const ChannelAttrs back{0, 4096, 4096, 0, 2, 1};
    const Xdr expected_channels = Xdr()
                                      .u32(0)        // ca_headerpadsize
                                      .u32(1049620)  // ca_maxrequestsize
                                      .u32(1049480)  // ca_maxresponsesize
                                      .u32(7584)     // ca_maxresponsesize_cached
                                      .u32(16)       // ca_maxoperations
                                      .u32(64)       // ca_maxrequests
                                      .u32(0)        // ca_rdma_ird: none
                                      .u32(0)
                                      .u32(4096)
                                      .u32(4096)
                                      .u32(0)
                                      .u32(2)
                                      .u32(1)
                                      .u32(0);
    EXPECT_EQ(only([&](auto& b) {
                  b.create_session(0xC1, 1, create_session4_flag::persist, fore, back, 0x40000000,
                                   std::nullopt);
              }),
              std::string(args(1)
                              .u32(43)    // OP_CREATE_SESSION
                              .u64(0xC1)  // csa_clientid
                              .u32(1)     // csa_sequence
                              .u32(1)     // CREATE_SESSION4_FLAG_PERSIST
                              .append(expected_channels)
                              .u32(0x40000000)  // csa_cb_program
                              .u32(1)           // csa_sec_parms: one
                              .u32(0)));        // AUTH_NONE
    EXPECT_EQ(only([&](auto& b) {
                  b.create_session(0xC1, 1, 0, fore, back, 0x40000000,
                                   AuthSys{9, "host", {1000, 100, {4, 27}}});
              }),
              std::string(args(1)
                              .u32(43)
                              .u64(0xC1)
                              .u32(1)
                              .u32(0)
                              .append(expected_channels)
                              .u32(0x40000000)
                              .u32(1)  // csa_sec_parms: one
                              .u32(1)  // AUTH_SYS, authsys_parms inline:
                              .u32(9)  // stamp
                              .str("host")
                              .u32(1000)  // uid
                              .u32(100)   // gid
                              .u32(2)     // gids
                              .u32(4)
                              .u32(27)));
}

TEST(Nfs4CompoundBuilderTest, SessionAndClientTeardown) {
    CompoundBuilder builder("t");
    builder.reclaim_complete().destroy_session(kSession).destroy_clientid(0xC1);
    EXPECT_EQ(builder.finish(), std::string(args(3)
                                                .u32(58)  // OP_RECLAIM_COMPLETE
                                                .u32(0)   // rca_one_fs
                                                .u32(44)  // OP_DESTROY_SESSION
                                                .fixed("0123456789abcdef")
                                                .u32(57)  // OP_DESTROY_CLIENTID
                                                .u64(0xC1)));
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
