#include "nfs/v4/compound_reply.h"

#include <algorithm>
#include <string>
#include <utility>

#include "nfs/v4/nfs4_status.h"
#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

// Longest entry name and symlink text we accept: Linux's PATH_MAX. Names that long cannot reach
// applications anyway, but one must not make a whole READDIR fail.
constexpr size_t kMaxText = 4096;

Stateid decode_stateid(XdrDecoder& in, const char* what) {
    Stateid stateid;
    stateid.seqid = in.u32(what);
    const std::string other = in.fixed_opaque(kStateidOtherSize, what);
    std::copy(other.begin(), other.end(), stateid.other.begin());
    return stateid;
}

SessionId decode_sessionid(XdrDecoder& in, const char* what) {
    SessionId id{};
    const std::string bytes = in.fixed_opaque(kSessionIdSize, what);
    std::copy(bytes.begin(), bytes.end(), id.begin());
    return id;
}

ChangeInfo decode_change_info(XdrDecoder& in, const char* what) {
    ChangeInfo cinfo;
    cinfo.atomic = in.boolean(what);
    cinfo.before = in.u64(what);
    cinfo.after = in.u64(what);
    return cinfo;
}

ChannelAttrs decode_channel(XdrDecoder& in, const char* what) {
    ChannelAttrs channel;
    channel.headerpadsize = in.u32(what);
    channel.maxrequestsize = in.u32(what);
    channel.maxresponsesize = in.u32(what);
    channel.maxresponsesize_cached = in.u32(what);
    channel.maxoperations = in.u32(what);
    channel.maxrequests = in.u32(what);
    const uint32_t rdma_ird_count = in.u32(what);  // ca_rdma_ird<1>
    if (rdma_ird_count > 1)
        throw Error(EIO, std::string("malformed XDR: ") + what + " has " +
                             std::to_string(rdma_ird_count) + " RDMA ird values, at most 1");
    if (rdma_ird_count == 1) in.u32(what);
    return channel;
}

// nfs_impl_id4 eir_server_impl_id<1>: names and a date we have no use for.
void skip_impl_id(XdrDecoder& in) {
    const uint32_t count = in.u32("EXCHANGE_ID server impl id");
    if (count > 1)
        throw Error(EIO, "malformed XDR: EXCHANGE_ID has " + std::to_string(count) +
                             " server impl ids, at most 1");
    if (count == 0) return;
    in.opaque_view(kOpaqueLimit, "EXCHANGE_ID impl id domain");
    in.opaque_view(kOpaqueLimit, "EXCHANGE_ID impl id name");
    in.u64("EXCHANGE_ID impl id date");
    in.u32("EXCHANGE_ID impl id date");
}

// open_delegation4. Returns none or none_ext; any real delegation is refused (see OpenReply).
DelegationType decode_delegation(XdrDecoder& in) {
    const uint32_t type = in.u32("OPEN delegation type");
    switch (static_cast<DelegationType>(type)) {
        case DelegationType::none:
            return DelegationType::none;
        case DelegationType::none_ext: {  // open_none_delegation4
            const auto why = static_cast<WhyNoDelegation>(in.u32("OPEN ond_why"));
            if (why == WhyNoDelegation::contention || why == WhyNoDelegation::resource)
                in.boolean("OPEN ond_server_will_push_deleg / ond_server_will_signal_avail");
            return DelegationType::none_ext;
        }
        case DelegationType::read:
            throw Error(EIO, "OPEN: the server granted a read delegation, which we never ask for");
        case DelegationType::write:
            throw Error(EIO, "OPEN: the server granted a write delegation, which we never ask for");
    }
    throw Error(EIO, "malformed XDR: OPEN delegation type " + std::to_string(type));
}

}  // namespace

CompoundReply::CompoundReply(std::string_view reply, std::shared_ptr<const void> owner)
    : in_(reply),
      owner_(std::move(owner)),
      status_(static_cast<Nfs4Status>(in_.u32("COMPOUND status"))),
      tag_(in_.string(kOpaqueLimit, "COMPOUND tag")),
      count_(in_.u32("COMPOUND result count")) {}

void CompoundReply::expect(Op op) {
    const Nfs4Status status = expect_any_status(op);
    if (status != Nfs4Status::ok) throw Nfs4Error(status, op_name(op));
}

Nfs4Status CompoundReply::expect_any_status(Op op) {
    if (read_ == count_) {
        if (status_ != Nfs4Status::ok) throw Nfs4Error(status_, "COMPOUND");
        throw Error(EIO, "COMPOUND: the reply has " + std::to_string(count_) + " results and no " +
                             op_name(op) + " result");
    }
    const uint32_t resop = in_.u32("result operation");
    ++read_;
    const auto status = static_cast<Nfs4Status>(in_.u32("result status"));
    if (resop == static_cast<uint32_t>(Op::illegal))
        throw Nfs4Error(status, std::string(op_name(op)) + " (unknown to the server)");
    if (resop != static_cast<uint32_t>(op))
        throw Error(EIO, std::string("COMPOUND: expected the result of ") + op_name(op) +
                             ", got one of operation " + std::to_string(resop));
    return status;
}

SequenceReply CompoundReply::sequence() {
    expect(Op::sequence);
    SequenceReply result;
    result.sessionid = decode_sessionid(in_, "SEQUENCE sessionid");
    result.sequenceid = in_.u32("SEQUENCE sequenceid");
    result.slotid = in_.u32("SEQUENCE slotid");
    result.highest_slotid = in_.u32("SEQUENCE highest_slotid");
    result.target_highest_slotid = in_.u32("SEQUENCE target_highest_slotid");
    result.status_flags = in_.u32("SEQUENCE status_flags");
    return result;
}

void CompoundReply::putfh() {
    expect(Op::putfh);
}

void CompoundReply::putrootfh() {
    expect(Op::putrootfh);
}

void CompoundReply::savefh() {
    expect(Op::savefh);
}

void CompoundReply::restorefh() {
    expect(Op::restorefh);
}

void CompoundReply::verify() {
    expect(Op::verify);
}

void CompoundReply::lookup() {
    expect(Op::lookup);
}

void CompoundReply::lookupp() {
    expect(Op::lookupp);
}

FileHandle CompoundReply::getfh() {
    expect(Op::getfh);
    return {in_.opaque(kMaxFileHandle, "GETFH object")};
}

Fattr4 CompoundReply::getattr() {
    expect(Op::getattr);
    return decode_fattr4(in_);
}

AttrMask CompoundReply::setattr() {
    expect(Op::setattr);
    return AttrMask::from_words(in_.bitmap("SETATTR attrsset"));
}

AccessReply CompoundReply::access() {
    expect(Op::access);
    AccessReply result;
    result.supported = in_.u32("ACCESS supported");
    result.access = in_.u32("ACCESS access");
    return result;
}

ReadReply CompoundReply::read() {
    expect(Op::read);
    ReadReply result;
    result.eof = in_.boolean("READ eof");
    result.data = in_.opaque_view(in_.remaining(), "READ data");
    result.owner = owner_;
    return result;
}

WriteReply CompoundReply::write() {
    expect(Op::write);
    WriteReply result;
    result.count = in_.u32("WRITE count");
    const uint32_t committed = in_.u32("WRITE committed");
    if (committed > static_cast<uint32_t>(StableHow::file_sync))
        throw Error(EIO, "malformed XDR: WRITE committed " + std::to_string(committed));
    result.committed = static_cast<StableHow>(committed);
    result.verifier = in_.u64("WRITE writeverf");
    return result;
}

uint64_t CompoundReply::commit() {
    expect(Op::commit);
    return in_.u64("COMMIT writeverf");
}

OpenReply CompoundReply::open() {
    expect(Op::open);
    OpenReply result;
    result.stateid = decode_stateid(in_, "OPEN stateid");
    result.cinfo = decode_change_info(in_, "OPEN cinfo");
    result.rflags = in_.u32("OPEN rflags");
    result.attrset = AttrMask::from_words(in_.bitmap("OPEN attrset"));
    result.delegation = decode_delegation(in_);
    return result;
}

Stateid CompoundReply::close() {
    expect(Op::close);
    return decode_stateid(in_, "CLOSE open_stateid");
}

LockDenied CompoundReply::decode_lock_denied(const char* what) {
    LockDenied denied;
    denied.offset = in_.u64(what);
    denied.length = in_.u64(what);
    const uint32_t type = in_.u32(what);
    if (type < static_cast<uint32_t>(LockType4::read) ||
        type > static_cast<uint32_t>(LockType4::writew))
        throw Error(EIO,
                    std::string("malformed XDR: ") + what + " lock type " + std::to_string(type));
    denied.type = static_cast<LockType4>(type);
    denied.owner_clientid = in_.u64(what);
    denied.owner = in_.opaque(kOpaqueLimit, what);
    return denied;
}

LockReply CompoundReply::lock() {
    const Nfs4Status status = expect_any_status(Op::lock);
    LockReply result;
    if (status == Nfs4Status::denied)
        result.denied = decode_lock_denied("LOCK denied");
    else if (status != Nfs4Status::ok)
        throw Nfs4Error(status, op_name(Op::lock));
    else
        result.stateid = decode_stateid(in_, "LOCK lock_stateid");
    return result;
}

std::optional<LockDenied> CompoundReply::lockt() {
    const Nfs4Status status = expect_any_status(Op::lockt);
    if (status == Nfs4Status::denied) return decode_lock_denied("LOCKT denied");
    if (status != Nfs4Status::ok) throw Nfs4Error(status, op_name(Op::lockt));
    return std::nullopt;
}

Stateid CompoundReply::locku() {
    expect(Op::locku);
    return decode_stateid(in_, "LOCKU lock_stateid");
}

void CompoundReply::free_stateid() {
    expect(Op::free_stateid);
}

CreateReply CompoundReply::create() {
    expect(Op::create);
    CreateReply result;
    result.cinfo = decode_change_info(in_, "CREATE cinfo");
    result.attrset = AttrMask::from_words(in_.bitmap("CREATE attrset"));
    return result;
}

ChangeInfo CompoundReply::remove() {
    expect(Op::remove);
    return decode_change_info(in_, "REMOVE cinfo");
}

RenameReply CompoundReply::rename() {
    expect(Op::rename);
    RenameReply result;
    result.source = decode_change_info(in_, "RENAME source_cinfo");
    result.target = decode_change_info(in_, "RENAME target_cinfo");
    return result;
}

ChangeInfo CompoundReply::link() {
    expect(Op::link);
    return decode_change_info(in_, "LINK cinfo");
}

std::string CompoundReply::readlink() {
    expect(Op::readlink);
    return in_.string(kMaxText, "READLINK link");
}

ReaddirReply CompoundReply::readdir() {
    expect(Op::readdir);
    ReaddirReply result;
    result.cookieverf = in_.u64("READDIR cookieverf");
    // dirlist4.entries is an optional-data list: a TRUE before each entry4, FALSE after the last.
    while (in_.boolean("READDIR entry follows")) {
        DirectoryEntry4 entry;
        entry.cookie = in_.u64("READDIR entry cookie");
        entry.name = in_.string(kMaxText, "READDIR entry name");
        entry.attributes = decode_fattr4(in_);
        result.entries.push_back(std::move(entry));
    }
    result.eof = in_.boolean("READDIR eof");
    return result;
}

ExchangeIdReply CompoundReply::exchange_id() {
    expect(Op::exchange_id);
    ExchangeIdReply result;
    result.clientid = in_.u64("EXCHANGE_ID clientid");
    result.sequenceid = in_.u32("EXCHANGE_ID sequenceid");
    result.flags = in_.u32("EXCHANGE_ID flags");
    const uint32_t protection = in_.u32("EXCHANGE_ID state_protect");
    if (protection != static_cast<uint32_t>(StateProtect::none))
        throw Error(EIO, "EXCHANGE_ID: the server chose state protection " +
                             std::to_string(protection) + " where we asked for none");
    result.server_owner_minor = in_.u64("EXCHANGE_ID server owner minor id");
    result.server_owner_major = in_.opaque(kOpaqueLimit, "EXCHANGE_ID server owner major id");
    result.server_scope = in_.opaque(kOpaqueLimit, "EXCHANGE_ID server scope");
    skip_impl_id(in_);
    return result;
}

CreateSessionReply CompoundReply::create_session() {
    expect(Op::create_session);
    CreateSessionReply result;
    result.sessionid = decode_sessionid(in_, "CREATE_SESSION sessionid");
    result.sequence = in_.u32("CREATE_SESSION sequence");
    result.flags = in_.u32("CREATE_SESSION flags");
    result.fore = decode_channel(in_, "CREATE_SESSION fore channel attributes");
    result.back = decode_channel(in_, "CREATE_SESSION back channel attributes");
    return result;
}

void CompoundReply::destroy_session() {
    expect(Op::destroy_session);
}

BindConnReply CompoundReply::bind_conn_to_session() {
    expect(Op::bind_conn_to_session);
    BindConnReply result;
    result.sessionid = decode_sessionid(in_, "BIND_CONN_TO_SESSION sessionid");
    result.direction = in_.u32("BIND_CONN_TO_SESSION direction");
    in_.boolean("BIND_CONN_TO_SESSION rdma mode");
    return result;
}

void CompoundReply::reclaim_complete() {
    expect(Op::reclaim_complete);
}

void CompoundReply::destroy_clientid() {
    expect(Op::destroy_clientid);
}

}  // namespace nfsfuse::nfs::v4
