#include "nfs/v4/compound_builder.h"

#include <utility>

#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

void put_enum(XdrEncoder& out, auto enumerator) {
    out.u32(static_cast<uint32_t>(enumerator));
}

// channel_attrs4
void encode_channel(XdrEncoder& out, const ChannelAttrs& channel) {
    out.u32(channel.headerpadsize);
    out.u32(channel.maxrequestsize);
    out.u32(channel.maxresponsesize);
    out.u32(channel.maxresponsesize_cached);
    out.u32(channel.maxoperations);
    out.u32(channel.maxrequests);
    out.u32(0);  // ca_rdma_ird<1>: empty
}

}  // namespace

CompoundBuilder::CompoundBuilder(std::string tag) {
    out_.string(tag);
    out_.u32(kMinorVersion);
    count_position_ = out_.reserve_u32();
}

void CompoundBuilder::begin(Op op) {
    put_enum(out_, op);
    ++count_;
}

void CompoundBuilder::put_stateid(const Stateid& stateid) {
    out_.u32(stateid.seqid);
    out_.fixed_opaque({stateid.other.data(), stateid.other.size()});
}

CompoundBuilder& CompoundBuilder::sequence(const SessionId& session, uint32_t sequenceid,
                                           uint32_t slotid, uint32_t highest_slotid,
                                           bool cachethis) {
    begin(Op::sequence);
    out_.fixed_opaque(bytes_of(session));
    out_.u32(sequenceid);
    out_.u32(slotid);
    out_.u32(highest_slotid);
    out_.boolean(cachethis);
    return *this;
}

CompoundBuilder& CompoundBuilder::putfh(const FileHandle& handle) {
    begin(Op::putfh);
    out_.opaque(handle.bytes);
    return *this;
}

CompoundBuilder& CompoundBuilder::putrootfh() {
    begin(Op::putrootfh);
    return *this;
}

CompoundBuilder& CompoundBuilder::getfh() {
    begin(Op::getfh);
    return *this;
}

CompoundBuilder& CompoundBuilder::savefh() {
    begin(Op::savefh);
    return *this;
}

CompoundBuilder& CompoundBuilder::restorefh() {
    begin(Op::restorefh);
    return *this;
}

CompoundBuilder& CompoundBuilder::lookup(std::string_view name) {
    begin(Op::lookup);
    out_.string(name);
    return *this;
}

CompoundBuilder& CompoundBuilder::lookupp() {
    begin(Op::lookupp);
    return *this;
}

CompoundBuilder& CompoundBuilder::getattr(const AttrMask& request) {
    begin(Op::getattr);
    out_.bitmap(request.words());
    return *this;
}

CompoundBuilder& CompoundBuilder::verify_type(Ftype4 type) {
    begin(Op::verify);
    out_.bitmap(AttrMask{Attr::type}.words());
    XdrEncoder value;
    value.u32(static_cast<uint32_t>(type));
    out_.opaque(value.bytes());
    return *this;
}

CompoundBuilder& CompoundBuilder::setattr(const Stateid& id, const AttributesToSet& attributes) {
    begin(Op::setattr);
    put_stateid(id);
    encode_fattr4(out_, attributes);
    return *this;
}

CompoundBuilder& CompoundBuilder::access(uint32_t bits) {
    begin(Op::access);
    out_.u32(bits);
    return *this;
}

CompoundBuilder& CompoundBuilder::read(const Stateid& id, uint64_t offset, uint32_t count) {
    begin(Op::read);
    put_stateid(id);
    out_.u64(offset);
    out_.u32(count);
    return *this;
}

CompoundBuilder& CompoundBuilder::write(const Stateid& id, uint64_t offset, StableHow stable,
                                        std::string_view data) {
    begin(Op::write);
    put_stateid(id);
    out_.u64(offset);
    put_enum(out_, stable);
    if (payload_at_) {
        out_.opaque(data);
        return *this;
    }
    out_.u32(static_cast<uint32_t>(data.size()));
    payload_at_ = out_.size();
    payload_ = data;
    out_.padding_for(data.size());
    return *this;
}

CompoundBuilder& CompoundBuilder::commit(uint64_t offset, uint32_t count) {
    begin(Op::commit);
    out_.u64(offset);
    out_.u32(count);
    return *this;
}

void CompoundBuilder::put_state_owner(const OpenOwner& owner) {
    out_.u64(owner.clientid);
    out_.opaque(owner.owner);
}

void CompoundBuilder::open_head(const OpenOwner& owner, uint32_t share_access,
                                uint32_t share_deny) {
    begin(Op::open);
    out_.u32(0);  // seqid: ignored by NFSv4.1 servers
    out_.u32(share_access);
    out_.u32(share_deny);
    put_state_owner(owner);
}

CompoundBuilder& CompoundBuilder::open(const OpenOwner& owner, uint32_t share_access,
                                       uint32_t share_deny, std::string_view name,
                                       const std::optional<OpenCreate>& create) {
    open_head(owner, share_access, share_deny);
    if (!create) {
        put_enum(out_, OpenType::nocreate);
    } else {
        put_enum(out_, OpenType::create);
        put_enum(out_, create->mode);  // createhow4
        switch (create->mode) {
            case CreateMode::unchecked:
            case CreateMode::guarded:
                encode_fattr4(out_, create->attributes);
                break;
            case CreateMode::exclusive4:
                out_.u64(create->verifier);
                break;
            case CreateMode::exclusive4_1:
                out_.u64(create->verifier);  // creatverfattr: cva_verf, cva_attrs
                encode_fattr4(out_, create->attributes);
                break;
        }
    }
    put_enum(out_, OpenClaim::null);
    out_.string(name);
    return *this;
}

CompoundBuilder& CompoundBuilder::open_current(const OpenOwner& owner, uint32_t share_access,
                                               uint32_t share_deny) {
    open_head(owner, share_access, share_deny);
    put_enum(out_, OpenType::nocreate);
    put_enum(out_, OpenClaim::fh);
    return *this;
}

CompoundBuilder& CompoundBuilder::open_previous(const OpenOwner& owner, uint32_t share_access,
                                                uint32_t share_deny) {
    open_head(owner, share_access, share_deny);
    put_enum(out_, OpenType::nocreate);
    put_enum(out_, OpenClaim::previous);
    put_enum(out_, DelegationType::none);  // delegate_type: we never hold delegations
    return *this;
}

CompoundBuilder& CompoundBuilder::close(const Stateid& id) {
    begin(Op::close);
    out_.u32(0);  // seqid: ignored by NFSv4.1 servers
    put_stateid(id);
    return *this;
}

void CompoundBuilder::lock_head(LockType4 type, bool reclaim, uint64_t offset, uint64_t length) {
    begin(Op::lock);
    put_enum(out_, type);
    out_.boolean(reclaim);
    out_.u64(offset);
    out_.u64(length);
}

CompoundBuilder& CompoundBuilder::lock_new_owner(LockType4 type, bool reclaim, uint64_t offset,
                                                 uint64_t length, const Stateid& open_stateid,
                                                 const LockOwner4& owner) {
    lock_head(type, reclaim, offset, length);
    out_.boolean(true);  // locker4: new_lock_owner, open_to_lock_owner4
    out_.u32(0);         // open_seqid: ignored by NFSv4.1 servers
    put_stateid(open_stateid);
    out_.u32(0);  // lock_seqid: likewise
    put_state_owner(owner);
    return *this;
}

CompoundBuilder& CompoundBuilder::lock_existing_owner(LockType4 type, bool reclaim, uint64_t offset,
                                                      uint64_t length,
                                                      const Stateid& lock_stateid) {
    lock_head(type, reclaim, offset, length);
    out_.boolean(false);  // locker4: exist_lock_owner4
    put_stateid(lock_stateid);
    out_.u32(0);  // lock_seqid: ignored by NFSv4.1 servers
    return *this;
}

CompoundBuilder& CompoundBuilder::locku(LockType4 type, const Stateid& lock_stateid,
                                        uint64_t offset, uint64_t length) {
    begin(Op::locku);
    put_enum(out_, type);
    out_.u32(0);  // seqid: ignored by NFSv4.1 servers
    put_stateid(lock_stateid);
    out_.u64(offset);
    out_.u64(length);
    return *this;
}

CompoundBuilder& CompoundBuilder::lockt(LockType4 type, uint64_t offset, uint64_t length,
                                        const LockOwner4& owner) {
    begin(Op::lockt);
    put_enum(out_, type);
    out_.u64(offset);
    out_.u64(length);
    put_state_owner(owner);
    return *this;
}

CompoundBuilder& CompoundBuilder::free_stateid(const Stateid& stateid) {
    begin(Op::free_stateid);
    put_stateid(stateid);
    return *this;
}

CompoundBuilder& CompoundBuilder::create_directory(std::string_view name,
                                                   const AttributesToSet& attributes) {
    begin(Op::create);
    put_enum(out_, Ftype4::dir);
    out_.string(name);
    encode_fattr4(out_, attributes);
    return *this;
}

CompoundBuilder& CompoundBuilder::create_symlink(std::string_view name, std::string_view target,
                                                 const AttributesToSet& attributes) {
    begin(Op::create);
    put_enum(out_, Ftype4::lnk);
    out_.string(target);  // linkdata
    out_.string(name);
    encode_fattr4(out_, attributes);
    return *this;
}

CompoundBuilder& CompoundBuilder::create_special(Ftype4 type, std::string_view name,
                                                 const AttributesToSet& attributes, uint32_t major,
                                                 uint32_t minor) {
    const bool device = type == Ftype4::blk || type == Ftype4::chr;
    if (!device && type != Ftype4::fifo && type != Ftype4::sock)
        throw invalid_argument("CREATE of a special file: type " +
                               std::to_string(static_cast<uint32_t>(type)) + " is not one");
    begin(Op::create);
    put_enum(out_, type);
    if (device) {  // specdata4
        out_.u32(major);
        out_.u32(minor);
    }
    out_.string(name);
    encode_fattr4(out_, attributes);
    return *this;
}

CompoundBuilder& CompoundBuilder::rename(std::string_view old_name, std::string_view new_name) {
    begin(Op::rename);
    out_.string(old_name);
    out_.string(new_name);
    return *this;
}

CompoundBuilder& CompoundBuilder::link(std::string_view new_name) {
    begin(Op::link);
    out_.string(new_name);
    return *this;
}

CompoundBuilder& CompoundBuilder::remove(std::string_view name) {
    begin(Op::remove);
    out_.string(name);
    return *this;
}

CompoundBuilder& CompoundBuilder::readlink() {
    begin(Op::readlink);
    return *this;
}

CompoundBuilder& CompoundBuilder::readdir(uint64_t cookie, uint64_t cookieverf, uint32_t dircount,
                                          uint32_t maxcount, const AttrMask& request) {
    begin(Op::readdir);
    out_.u64(cookie);
    out_.u64(cookieverf);
    out_.u32(dircount);
    out_.u32(maxcount);
    out_.bitmap(request.words());
    return *this;
}

CompoundBuilder& CompoundBuilder::exchange_id(uint64_t verifier, std::string_view owner_id,
                                              uint32_t flags) {
    begin(Op::exchange_id);
    out_.u64(verifier);  // client_owner4: co_verifier, co_ownerid
    out_.opaque(owner_id);
    out_.u32(flags);
    put_enum(out_, StateProtect::none);
    out_.u32(0);  // eia_client_impl_id<1>: empty
    return *this;
}

CompoundBuilder& CompoundBuilder::create_session(
    uint64_t clientid, uint32_t sequence, uint32_t flags, const ChannelAttrs& fore,
    const ChannelAttrs& back, uint32_t cb_program,
    const std::optional<AuthSys>& callback_credentials) {
    begin(Op::create_session);
    out_.u64(clientid);
    out_.u32(sequence);
    out_.u32(flags);
    encode_channel(out_, fore);
    encode_channel(out_, back);
    out_.u32(cb_program);
    out_.u32(1);  // csa_sec_parms<>: one callback_sec_parms4
    if (callback_credentials) {
        put_enum(out_, AuthFlavor::sys);
        // authsys_parms inline in callback_sec_parms4, not wrapped in an opaque_auth.
        encode_authsys_parms(out_, *callback_credentials, callback_credentials->credentials);
    } else {
        put_enum(out_, AuthFlavor::none);
    }
    return *this;
}

CompoundBuilder& CompoundBuilder::destroy_session(const SessionId& session) {
    begin(Op::destroy_session);
    out_.fixed_opaque(bytes_of(session));
    return *this;
}

CompoundBuilder& CompoundBuilder::bind_conn_to_session(const SessionId& session,
                                                       uint32_t direction) {
    begin(Op::bind_conn_to_session);
    out_.fixed_opaque(bytes_of(session));
    out_.u32(direction);
    out_.boolean(false);  // bctsa_use_conn_in_rdma_mode
    return *this;
}

CompoundBuilder& CompoundBuilder::reclaim_complete() {
    begin(Op::reclaim_complete);
    out_.boolean(false);  // rca_one_fs
    return *this;
}

CompoundBuilder& CompoundBuilder::destroy_clientid(uint64_t clientid) {
    begin(Op::destroy_clientid);
    out_.u64(clientid);
    return *this;
}

std::string CompoundBuilder::finish() {
    CompoundRequest request = finish_request();
    if (request.payload.empty()) return std::move(request.bytes);
    return request.arguments().joined();
}

CompoundRequest CompoundBuilder::finish_request() {
    out_.patch_u32(count_position_, count_);
    CompoundRequest request;
    request.payload_at = payload_at_.value_or(out_.size());
    request.payload = payload_;
    request.bytes = out_.take();
    return request;
}

SplicedArguments CompoundRequest::arguments() const {
    const std::string_view all(bytes);
    return {all.substr(0, payload_at), payload, all.substr(payload_at)};
}

}  // namespace nfsfuse::nfs::v4
