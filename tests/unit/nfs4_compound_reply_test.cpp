// COMPOUND4res decoding against replies written by hand from the XDR of RFC 8881 (RFC 5662):
// every operation's result, an operation failing in the middle of a COMPOUND (its result is the
// last), results out of order, and truncated or malformed replies (EIO, never a read past the end).
#include "nfs/v4/compound_reply.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "nfs/v4/nfs4_status.h"
#include "nfs4_xdr_bytes.h"
#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

using testing::Xdr;

// COMPOUND4res up to its first result: status, tag "t", result count.
Xdr res(uint32_t status, uint32_t count) {
    Xdr xdr;
    xdr.u32(status).str("t").u32(count);
    return xdr;
}

const std::string kSession = "0123456789abcdef";
const std::string kOther = "ABCDEFGHIJKL";

// change_info4
Xdr cinfo(bool atomic, uint64_t before, uint64_t after) {
    Xdr xdr;
    xdr.u32(atomic ? 1 : 0).u64(before).u64(after);
    return xdr;
}

// A fattr4 with only SIZE.
Xdr size_fattr4(uint64_t size) {
    Xdr xdr;
    xdr.u32(1).u32(1u << 4).u32(8).u64(size);
    return xdr;
}

// The nfsfuse::Error thrown by `read` (errno and message), or {0, ""}.
std::pair<int, std::string> error_of(const std::function<void()>& read) {
    try {
        read();
    } catch (const Error& error) {
        return {error.errnum(), error.what()};
    }
    return {0, ""};
}

TEST(Nfs4CompoundReplyTest, ReadsTheHeader) {
    const std::string bytes = Xdr().u32(0).str("my tag").u32(0);
    CompoundReply reply(bytes);
    EXPECT_EQ(reply.status(), Nfs4Status::ok);
    EXPECT_EQ(reply.tag(), "my tag");
    EXPECT_EQ(reply.result_count(), 0u);
    EXPECT_EQ(reply.results_read(), 0u);
}

TEST(Nfs4CompoundReplyTest, SequencePutfhGetfhGetattr) {
    const std::string bytes = res(0, 4)
                                  .result(53)  // OP_SEQUENCE
                                  .fixed(kSession)
                                  .u32(17)     // sr_sequenceid
                                  .u32(3)      // sr_slotid
                                  .u32(31)     // sr_highest_slotid
                                  .u32(15)     // sr_target_highest_slotid
                                  .u32(0x40)   // sr_status_flags: RECALLABLE_STATE_REVOKED
                                  .result(22)  // OP_PUTFH
                                  .result(10)  // OP_GETFH
                                  .str("\xfa\xce")
                                  .result(9)  // OP_GETATTR
                                  .append(size_fattr4(42));
    CompoundReply reply(bytes);
    const SequenceReply sequence = reply.sequence();
    EXPECT_EQ(std::string(sequence.sessionid.data(), 16), kSession);
    EXPECT_EQ(sequence.sequenceid, 17u);
    EXPECT_EQ(sequence.slotid, 3u);
    EXPECT_EQ(sequence.highest_slotid, 31u);
    EXPECT_EQ(sequence.target_highest_slotid, 15u);
    EXPECT_EQ(sequence.status_flags, seq4_status::recallable_state_revoked);
    reply.putfh();
    EXPECT_EQ(reply.getfh(), FileHandle{"\xfa\xce"});
    const Fattr4 attributes = reply.getattr();
    EXPECT_EQ(attributes.attributes.size, 42u);
    EXPECT_EQ(reply.results_read(), 4u);
}

TEST(Nfs4CompoundReplyTest, PlainStatusOperations) {
    const std::string bytes = res(0, 10)
                                  .result(24)  // OP_PUTROOTFH
                                  .result(32)  // OP_SAVEFH
                                  .result(15)  // OP_LOOKUP
                                  .result(16)  // OP_LOOKUPP
                                  .result(31)  // OP_RESTOREFH
                                  .result(58)  // OP_RECLAIM_COMPLETE
                                  .result(44)  // OP_DESTROY_SESSION
                                  .result(57)  // OP_DESTROY_CLIENTID
                                  .result(3)   // OP_ACCESS
                                  .u32(0x1f)   //   supported
                                  .u32(0x03)   //   access
                                  .result(34)  // OP_SETATTR
                                  .u32(1)
                                  .u32(0x10);  // attrsset: SIZE
    CompoundReply reply(bytes);
    reply.putrootfh();
    reply.savefh();
    reply.lookup();
    reply.lookupp();
    reply.restorefh();
    reply.reclaim_complete();
    reply.destroy_session();
    reply.destroy_clientid();
    const AccessReply access = reply.access();
    EXPECT_EQ(access.supported, 0x1fu);
    EXPECT_EQ(access.access, 0x03u);
    EXPECT_EQ(reply.setattr(), AttrMask{Attr::size});
}

TEST(Nfs4CompoundReplyTest, ReadWriteCommit) {
    const std::string bytes = res(0, 3)
                                  .result(25)  // OP_READ
                                  .u32(1)      // eof
                                  .str("hello")
                                  .result(38)  // OP_WRITE
                                  .u32(4096)   // count
                                  .u32(1)      // committed: DATA_SYNC4
                                  .u64(0xAB)   // writeverf
                                  .result(5)   // OP_COMMIT
                                  .u64(0xCD);  // writeverf
    CompoundReply reply(bytes);
    const ReadReply read = reply.read();
    EXPECT_TRUE(read.eof);
    EXPECT_EQ(read.data, "hello");
    EXPECT_EQ(read.data.data(), bytes.data() + 32) << "a view into the reply, not a copy";
    const WriteReply write = reply.write();
    EXPECT_EQ(write.count, 4096u);
    EXPECT_EQ(write.committed, StableHow::data_sync);
    EXPECT_EQ(write.verifier, 0xABu);
    EXPECT_EQ(reply.commit(), 0xCDu);
}

TEST(Nfs4CompoundReplyTest, OpenAndClose) {
    const std::string bytes = res(0, 2)
                                  .result(18)  // OP_OPEN
                                  .u32(1)      // stateid.seqid
                                  .fixed(kOther)
                                  .append(cinfo(true, 10, 11))
                                  .u32(0x4)  // rflags: LOCKTYPE_POSIX
                                  .u32(2)    // attrset: two words,
                                  .u32(0)
                                  .u32(0x2)   //   MODE (33)
                                  .u32(0)     // OPEN_DELEGATE_NONE
                                  .result(4)  // OP_CLOSE
                                  .u32(2)
                                  .fixed(kOther);
    CompoundReply reply(bytes);
    const OpenReply open = reply.open();
    EXPECT_EQ(open.stateid.seqid, 1u);
    EXPECT_EQ(std::string(open.stateid.other.data(), 12), kOther);
    EXPECT_EQ(open.cinfo, (ChangeInfo{true, 10, 11}));
    EXPECT_EQ(open.rflags, open4_result::locktype_posix);
    EXPECT_EQ(open.attrset, AttrMask{Attr::mode});
    EXPECT_EQ(open.delegation, DelegationType::none);
    const Stateid closed = reply.close();
    EXPECT_EQ(closed.seqid, 2u);
    EXPECT_EQ(closed.other, open.stateid.other);
}

// LOCK4denied: a READ_LT lock of `owner` from 10 to the end.
Xdr lock_denied(const std::string& owner) {
    Xdr xdr;
    xdr.u64(10).u64(0xFFFFFFFFFFFFFFFF).u32(1).u64(0x99).str(owner);
    return xdr;
}

TEST(Nfs4CompoundReplyTest, LockGrantedAndUnlocked) {
    const std::string bytes = res(0, 3)
                                  .result(12)  // OP_LOCK
                                  .u32(1)      // lock_stateid
                                  .fixed(kOther)
                                  .result(14)  // OP_LOCKU
                                  .u32(2)
                                  .fixed(kOther)
                                  .result(45);  // OP_FREE_STATEID
    CompoundReply reply(bytes);
    const LockReply locked = reply.lock();
    EXPECT_FALSE(locked.denied);
    EXPECT_EQ(locked.stateid.seqid, 1u);
    EXPECT_EQ(std::string(locked.stateid.other.data(), 12), kOther);
    const Stateid unlocked = reply.locku();
    EXPECT_EQ(unlocked.seqid, 2u);
    EXPECT_EQ(unlocked.other, locked.stateid.other);
    reply.free_stateid();
    EXPECT_EQ(reply.results_read(), 3u);
}

// NFS4ERR_DENIED is the answer, not a failure: the lock in the way, whose it is.
TEST(Nfs4CompoundReplyTest, LockAndLocktDeniedNameTheLockInTheWay) {
    const LockDenied expected{10, 0xFFFFFFFFFFFFFFFF, LockType4::read, 0x99, "other-owner"};
    const std::string lock_bytes =
        res(10010, 1).result(12, 10010).append(lock_denied("other-owner"));
    CompoundReply lock_reply(lock_bytes);
    const LockReply lock = lock_reply.lock();
    ASSERT_TRUE(lock.denied);
    EXPECT_EQ(*lock.denied, expected);

    const std::string lockt_bytes =
        res(10010, 1).result(13, 10010).append(lock_denied("other-owner"));
    CompoundReply lockt_reply(lockt_bytes);
    EXPECT_EQ(lockt_reply.lockt(), expected);

    const std::string free_bytes = res(0, 1).result(13);
    EXPECT_EQ(CompoundReply(free_bytes).lockt(), std::nullopt);
}

TEST(Nfs4CompoundReplyTest, LockFailuresAreErrorsWithTheirStatus) {
    const std::string deadlock = res(10045, 1).result(12, 10045);
    const auto [errnum, message] = error_of([&] { CompoundReply(deadlock).lock(); });
    EXPECT_EQ(errnum, EDEADLK);
    EXPECT_EQ(message, "LOCK: server said NFS4ERR_DEADLOCK");
    const std::string no_grace = res(10033, 1).result(12, 10033);
    try {
        CompoundReply(no_grace).lock();
        ADD_FAILURE() << "NFS4ERR_NO_GRACE did not throw";
    } catch (const Nfs4Error& error) {
        EXPECT_EQ(error.status(), Nfs4Status::no_grace);
    }
    const std::string openmode = res(10038, 1).result(14, 10038);
    EXPECT_EQ(error_of([&] { CompoundReply(openmode).locku(); }).first, EBADF);
    const std::string locks_held = res(10037, 1).result(45, 10037);
    EXPECT_EQ(error_of([&] { CompoundReply(locks_held).free_stateid(); }).first, EIO);
    // A denial with a lock type no server sends is a malformed reply.
    const std::string bad_type = res(10010, 1)
                                     .result(12, 10010)
                                     .u64(0)
                                     .u64(1)
                                     .u32(9)  // not an nfs_lock_type4
                                     .u64(0)
                                     .str("x");
    EXPECT_EQ(error_of([&] { CompoundReply(bad_type).lock(); }).first, EIO);
    // Cut in the middle of the owner.
    const std::string truncated =
        res(10010, 1).result(12, 10010).append(lock_denied("other-owner")).bytes().substr(0, 50);
    EXPECT_EQ(error_of([&] { CompoundReply(truncated).lock(); }).first, EIO);
}

// An OPEN result with `delegation` as its open_delegation4.
std::string open_with(const Xdr& delegation) {
    return res(0, 1)
        .result(18)  // OP_OPEN
        .u32(1)      // stateid
        .fixed(kOther)
        .append(cinfo(false, 0, 0))
        .u32(0)  // rflags
        .u32(0)  // attrset: empty
        .append(delegation);
}

TEST(Nfs4CompoundReplyTest, OpenAcceptsNoDelegationAndRefusesDelegations) {
    {
        const std::string bytes = open_with(Xdr()
                                                .u32(3)    // OPEN_DELEGATE_NONE_EXT
                                                .u32(1)    // WND4_CONTENTION
                                                .u32(1));  // ond_server_will_push_deleg
        CompoundReply reply(bytes);
        EXPECT_EQ(reply.open().delegation, DelegationType::none_ext);
    }
    {
        const std::string bytes = open_with(Xdr().u32(3).u32(0));  // WND4_NOT_WANTED
        CompoundReply reply(bytes);
        EXPECT_EQ(reply.open().delegation, DelegationType::none_ext);
    }
    const std::string read_delegation = open_with(Xdr()
                                                      .u32(1)  // OPEN_DELEGATE_READ
                                                      .u32(1)  // stateid
                                                      .fixed(kOther)
                                                      .u32(0)              // recall
                                                      .u32(0)              // permissions: type
                                                      .u32(0)              //   flag
                                                      .u32(0)              //   access_mask
                                                      .str("EVERYONE@"));  //   who
    const auto [errnum, message] = error_of([&] { CompoundReply(read_delegation).open(); });
    EXPECT_EQ(errnum, EIO);
    EXPECT_NE(message.find("read delegation"), std::string::npos) << message;
    EXPECT_EQ(error_of([&] { CompoundReply(open_with(Xdr().u32(9))).open(); }).first, EIO);
}

TEST(Nfs4CompoundReplyTest, DirectoryChanges) {
    const std::string bytes = res(0, 4)
                                  .result(6)  // OP_CREATE
                                  .append(cinfo(true, 1, 2))
                                  .u32(2)  // attrset: two words,
                                  .u32(0)
                                  .u32(1u << 1 | 1u << 4)  //   MODE (33), OWNER (36)
                                  .result(28)              // OP_REMOVE
                                  .append(cinfo(false, 3, 4))
                                  .result(29)                 // OP_RENAME
                                  .append(cinfo(true, 5, 6))  // source_cinfo
                                  .append(cinfo(true, 7, 8))  // target_cinfo
                                  .result(11)                 // OP_LINK
                                  .append(cinfo(true, 9, 10));
    CompoundReply reply(bytes);
    const CreateReply create = reply.create();
    EXPECT_EQ(create.cinfo, (ChangeInfo{true, 1, 2}));
    EXPECT_EQ(create.attrset, (AttrMask{Attr::mode, Attr::owner}));
    EXPECT_EQ(reply.remove(), (ChangeInfo{false, 3, 4}));
    const RenameReply rename = reply.rename();
    EXPECT_EQ(rename.source, (ChangeInfo{true, 5, 6}));
    EXPECT_EQ(rename.target, (ChangeInfo{true, 7, 8}));
    EXPECT_EQ(reply.link(), (ChangeInfo{true, 9, 10}));
}

// A VERIFY that did not match stops the COMPOUND with NFS4ERR_NOT_SAME (10027): the REMOVE after
// it never ran.
TEST(Nfs4CompoundReplyTest, VerifyThatDidNotMatch) {
    // CompoundReply reads the bytes in place: they must outlive it.
    const std::string matched_bytes = res(0, 1).result(37).bytes();  // OP_VERIFY: OK
    CompoundReply matched(matched_bytes);
    EXPECT_NO_THROW(matched.verify());
    const std::string bytes = res(10027, 3).result(22).result(15).result(37, 10027).bytes();
    CompoundReply reply(bytes);
    reply.putfh();
    reply.lookup();
    try {
        reply.verify();
        FAIL() << "VERIFY failed";
    } catch (const Nfs4Error& error) {
        EXPECT_EQ(error.status(), Nfs4Status::not_same);
    }
    EXPECT_THROW(reply.remove(), Nfs4Error);
}

TEST(Nfs4CompoundReplyTest, ReadlinkAndReaddir) {
    const std::string bytes = res(0, 2)
                                  .result(27)  // OP_READLINK
                                  .str("../target")
                                  .result(26)   // OP_READDIR
                                  .u64(0x5555)  // cookieverf
                                  .u32(1)       // an entry follows
                                  .u64(3)       //   cookie
                                  .str("a")     //   name
                                  .append(size_fattr4(1))
                                  .u32(1)  // an entry follows
                                  .u64(4)
                                  .str("bcdef")
                                  .append(size_fattr4(2))
                                  .u32(0)   // no more entries
                                  .u32(1);  // eof
    CompoundReply reply(bytes);
    EXPECT_EQ(reply.readlink(), "../target");
    const ReaddirReply readdir = reply.readdir();
    EXPECT_EQ(readdir.cookieverf, 0x5555u);
    ASSERT_EQ(readdir.entries.size(), 2u);
    EXPECT_EQ(readdir.entries[0].cookie, 3u);
    EXPECT_EQ(readdir.entries[0].name, "a");
    EXPECT_EQ(readdir.entries[0].attributes.attributes.size, 1u);
    EXPECT_EQ(readdir.entries[1].cookie, 4u);
    EXPECT_EQ(readdir.entries[1].name, "bcdef");
    EXPECT_EQ(readdir.entries[1].attributes.attributes.size, 2u);
    EXPECT_TRUE(readdir.eof);

    const std::string empty = res(0, 1).u32(26).u32(0).u64(1).u32(0).u32(0);
    CompoundReply empty_reply(empty);
    const ReaddirReply nothing = empty_reply.readdir();
    EXPECT_TRUE(nothing.entries.empty());
    EXPECT_FALSE(nothing.eof);
}

std::string exchange_id_reply() {
    return res(0, 1)
        .result(42)        // OP_EXCHANGE_ID
        .u64(0xC11E)       // eir_clientid
        .u32(1)            // eir_sequenceid
        .u32(0x80010000)   // eir_flags: CONFIRMED_R | USE_NON_PNFS
        .u32(0)            // SP4_NONE
        .u64(7)            // so_minor_id
        .str("ganesha-1")  // so_major_id
        .str("scope")      // eir_server_scope
        .u32(1)            // eir_server_impl_id: one
        .str("nfs-ganesha.org")
        .str("NFS-Ganesha 5.7")
        .u64(1700000000)  // nii_date
        .u32(0);
}

TEST(Nfs4CompoundReplyTest, ExchangeIdSkipsTheImplementationId) {
    const std::string bytes = exchange_id_reply();
    CompoundReply reply(bytes);
    const ExchangeIdReply result = reply.exchange_id();
    EXPECT_EQ(result.clientid, 0xC11Eu);
    EXPECT_EQ(result.sequenceid, 1u);
    EXPECT_EQ(result.flags, exchgid4_flag::confirmed_r | exchgid4_flag::use_non_pnfs);
    EXPECT_EQ(result.server_owner_minor, 7u);
    EXPECT_EQ(result.server_owner_major, "ganesha-1");
    EXPECT_EQ(result.server_scope, "scope");

    const std::string protected_state = res(0, 1)
                                            .result(42)  // OP_EXCHANGE_ID
                                            .u64(1)      // eir_clientid
                                            .u32(1)      // eir_sequenceid
                                            .u32(0)      // eir_flags
                                            .u32(1)      // SP4_MACH_CRED
                                            .u32(0)      //   spo_must_enforce: empty
                                            .u32(0);     //   spo_must_allow: empty
    EXPECT_EQ(error_of([&] { CompoundReply(protected_state).exchange_id(); }).first, EIO);
}

TEST(Nfs4CompoundReplyTest, CreateSession) {
    const std::string bytes = res(0, 1)
                                  .result(43)  // OP_CREATE_SESSION
                                  .fixed(kSession)
                                  .u32(1)  // csr_sequence
                                  .u32(2)  // csr_flags: CONN_BACK_CHAN
                                  .u32(0)  // fore: headerpadsize
                                  .u32(1049620)
                                  .u32(1049480)
                                  .u32(7584)
                                  .u32(16)
                                  .u32(64)
                                  .u32(0)  //   rdma_ird: none
                                  .u32(0)  // back
                                  .u32(4096)
                                  .u32(4096)
                                  .u32(0)
                                  .u32(2)
                                  .u32(1)
                                  .u32(1)    //   rdma_ird: one value
                                  .u32(99);  //     (ignored)
    CompoundReply reply(bytes);
    const CreateSessionReply session = reply.create_session();
    EXPECT_EQ(std::string(session.sessionid.data(), 16), kSession);
    EXPECT_EQ(session.sequence, 1u);
    EXPECT_EQ(session.flags, create_session4_flag::conn_back_chan);
    EXPECT_EQ(session.fore, (ChannelAttrs{0, 1049620, 1049480, 7584, 16, 64}));
    EXPECT_EQ(session.back, (ChannelAttrs{0, 4096, 4096, 0, 2, 1}));
}

TEST(Nfs4CompoundReplyTest, AFailedOperationIsTheLastResultAndKeepsItsStatus) {
    const std::string bytes = res(2 /*NFS4ERR_NOENT*/, 3)
                                  .result(53)  // OP_SEQUENCE: OK
                                  .fixed(kSession)
                                  .u32(1)          // sr_sequenceid
                                  .u32(0)          // sr_slotid
                                  .u32(0)          // sr_highest_slotid
                                  .u32(0)          // sr_target_highest_slotid
                                  .u32(0)          // sr_status_flags
                                  .result(22)      // OP_PUTFH: OK
                                  .result(15, 2);  // OP_LOOKUP: NFS4ERR_NOENT
    CompoundReply reply(bytes);
    EXPECT_EQ(reply.status(), Nfs4Status::noent);
    reply.sequence();
    reply.putfh();
    try {
        reply.lookup();
        FAIL() << "LOOKUP failed";
    } catch (const Nfs4Error& error) {
        EXPECT_EQ(error.errnum(), ENOENT);
        EXPECT_EQ(error.status(), Nfs4Status::noent);
        EXPECT_STREQ(error.what(), "LOOKUP: server said NFS4ERR_NOENT");
    }
    // The operations after it never ran: asking for them repeats the COMPOUND's status.
    try {
        reply.getfh();
        FAIL() << "GETFH never ran";
    } catch (const Nfs4Error& error) {
        EXPECT_EQ(error.status(), Nfs4Status::noent);
    }
}

TEST(Nfs4CompoundReplyTest, SessionErrorsStayDistinguishable) {
    const std::string bytes = res(10052, 1).result(53, 10052);  // SEQUENCE: NFS4ERR_BADSESSION
    CompoundReply reply(bytes);
    try {
        reply.sequence();
        FAIL() << "SEQUENCE failed";
    } catch (const Nfs4Error& error) {
        EXPECT_EQ(error.errnum(), EIO);
        EXPECT_EQ(error.status(), Nfs4Status::badsession);
        EXPECT_STREQ(error.what(), "SEQUENCE: server said NFS4ERR_BADSESSION");
    }

    // A server that does not speak 4.1 answers with no results at all.
    const std::string mismatch = res(10021, 0);
    try {
        CompoundReply(mismatch).sequence();
        FAIL() << "minor version refused";
    } catch (const Nfs4Error& error) {
        EXPECT_EQ(error.status(), Nfs4Status::minor_vers_mismatch);
        EXPECT_EQ(error.errnum(), EPROTONOSUPPORT);
    }
}

TEST(Nfs4CompoundReplyTest, ResultsOfTheWrongOperationAreErrors) {
    // OP_ILLEGAL: the server did not know the operation we sent.
    const std::string illegal = res(10044, 1).result(10044, 10044);
    try {
        CompoundReply(illegal).lookup();
        FAIL() << "ILLEGAL";
    } catch (const Nfs4Error& error) {
        EXPECT_EQ(error.status(), Nfs4Status::op_illegal);
    }
    // A result of another operation than the one sent there: a broken reply.
    const auto [errnum, message] =
        error_of([] { CompoundReply(res(0, 1).result(22).bytes()).getfh(); });
    EXPECT_EQ(errnum, EIO);
    EXPECT_NE(message.find("GETFH"), std::string::npos) << message;
    // Fewer results than operations although the COMPOUND succeeded.
    EXPECT_EQ(error_of([] { CompoundReply(res(0, 0).bytes()).putfh(); }).first, EIO);
}

TEST(Nfs4CompoundReplyTest, MalformedRepliesAreIoErrors) {
    const std::string long_handle = res(0, 1).result(10).str(std::string(129, 'h'));
    EXPECT_EQ(error_of([&] { CompoundReply(long_handle).getfh(); }).first, EIO);
    const std::string bad_eof = res(0, 1).result(25).u32(2 /*eof*/).str("");
    EXPECT_EQ(error_of([&] { CompoundReply(bad_eof).read(); }).first, EIO);
    const std::string bad_stable = res(0, 1).result(38).u32(1).u32(3 /*committed*/).u64(0);
    EXPECT_EQ(error_of([&] { CompoundReply(bad_stable).write(); }).first, EIO);
    EXPECT_EQ(error_of([] {
                  const std::string three(3, '\0');
                  CompoundReply reply(three);
              }).first,
              EIO);
}

// Every operation we decode, in one reply; the truncation test cuts it everywhere.
std::string everything() {
    return res(0, 12)
        .result(53)  // OP_SEQUENCE
        .fixed(kSession)
        .u32(1)
        .u32(0)
        .u32(0)
        .u32(0)
        .u32(0)
        .result(22)  // OP_PUTFH
        .result(10)  // OP_GETFH
        .str("fh")
        .result(9)  // OP_GETATTR
        .append(size_fattr4(5))
        .result(25)  // OP_READ
        .u32(0)      // eof
        .str("data")
        .result(18)  // OP_OPEN
        .u32(1)      // stateid
        .fixed(kOther)
        .append(cinfo(true, 1, 2))
        .u32(0)      // rflags
        .u32(0)      // attrset: empty
        .u32(3)      // OPEN_DELEGATE_NONE_EXT
        .u32(2)      // WND4_RESOURCE
        .u32(0)      // ond_server_will_signal_avail
        .result(26)  // OP_READDIR
        .u64(9)      // cookieverf
        .u32(1)      // an entry follows
        .u64(1)
        .str("x")
        .append(size_fattr4(3))
        .u32(0)      // no more entries
        .u32(1)      // eof
        .result(29)  // OP_RENAME
        .append(cinfo(true, 1, 2))
        .append(cinfo(true, 3, 4))
        .result(27)  // OP_READLINK
        .str("link")
        .result(38)  // OP_WRITE
        .u32(4)      // count
        .u32(2)      // FILE_SYNC4
        .u64(1)      // writeverf
        .result(34)  // OP_SETATTR
        .u32(0)      // attrsset: empty
        .result(4)   // OP_CLOSE
        .u32(2)
        .fixed(kOther);
}

void read_everything(std::string_view bytes) {
    CompoundReply reply(bytes);
    reply.sequence();
    reply.putfh();
    reply.getfh();
    reply.getattr();
    reply.read();
    reply.open();
    reply.readdir();
    reply.rename();
    reply.readlink();
    reply.write();
    reply.setattr();
    reply.close();
}

TEST(Nfs4CompoundReplyTest, TruncatedRepliesAreIoErrorsWhereverTheyEnd) {
    const std::string bytes = everything();
    read_everything(bytes);
    for (size_t length = 0; length < bytes.size(); ++length) {
        const auto [errnum, message] =
            error_of([&] { read_everything(std::string_view(bytes).substr(0, length)); });
        EXPECT_EQ(errnum, EIO) << "cut at " << length << " of " << bytes.size();
    }
}

}  // namespace
}  // namespace nfsfuse::nfs::v4
