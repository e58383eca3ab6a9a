#include "fake_nfs4_server.h"

#include <algorithm>
#include <cstring>

#include "nfs/rpc/xdr.h"
#include "nfs4_xdr_bytes.h"
#include "util/error.h"

namespace nfsfuse::nfs::v4::testing {
namespace {

constexpr uint64_t kClientId = 0xC11E;

uint32_t op(Op value) {
    return static_cast<uint32_t>(value);
}

uint32_t code(Nfs4Status status) {
    return static_cast<uint32_t>(status);
}

// COMPOUND4res up to its results: status, tag, result count.
Xdr compound(Nfs4Status status, uint32_t results) {
    Xdr xdr;
    xdr.u32(code(status)).str("fake").u32(results);
    return xdr;
}

std::string exchange_id_reply() {
    return compound(Nfs4Status::ok, 1)
        .result(op(Op::exchange_id))
        .u64(kClientId)
        .u32(1)           // eir_sequenceid
        .u32(0x80010000)  // eir_flags: CONFIRMED_R | USE_NON_PNFS
        .u32(0)           // SP4_NONE
        .u64(1)           // so_minor_id
        .str("fake")      // so_major_id
        .str("fake")      // eir_server_scope
        .u32(0);          // no eir_server_impl_id
}

std::string create_session_reply(const SessionId& session, uint32_t slots) {
    Xdr xdr = compound(Nfs4Status::ok, 1);
    xdr.result(op(Op::create_session)).fixed(bytes_of(session)).u32(1).u32(0);
    xdr.u32(0).u32(1 << 20).u32(1 << 20).u32(8192).u32(16).u32(slots).u32(0);  // fore
    xdr.u32(0).u32(4096).u32(4096).u32(0).u32(2).u32(1).u32(0);                // back
    return xdr;
}

SessionId session_named(uint32_t number) {
    SessionId id{};
    const std::string name = "fake-session-" + std::to_string(1000 + number).substr(1);
    std::copy_n(name.begin(), std::min(name.size(), id.size()), id.begin());
    return id;
}

FakeNfs4Server::Request decode(std::string_view arguments) {
    XdrDecoder xdr(arguments);
    xdr.opaque(1024, "tag");
    xdr.u32("minorversion");
    const uint32_t operations = xdr.u32("operations");
    FakeNfs4Server::Request request;
    request.operation = operations ? xdr.u32("operation") : 0;
    if (request.operation == op(Op::bind_conn_to_session)) {
        const std::string id = xdr.fixed_opaque(kSessionIdSize, "sessionid");
        std::copy(id.begin(), id.end(), request.session.begin());
        request.direction = xdr.u32("direction");
    } else if (request.operation == op(Op::destroy_session)) {
        const std::string id = xdr.fixed_opaque(kSessionIdSize, "sessionid");
        std::copy(id.begin(), id.end(), request.session.begin());
    } else if (request.operation == op(Op::sequence)) {
        const std::string id = xdr.fixed_opaque(kSessionIdSize, "sessionid");
        std::copy(id.begin(), id.end(), request.session.begin());
        request.sequence = xdr.u32("sequenceid");
        request.slot = xdr.u32("slotid");
        xdr.u32("highest_slotid");
        request.cachethis = xdr.boolean("cachethis");
        if (operations > 1) request.next_operation = xdr.u32("next operation");
    }
    return request;
}

}  // namespace

std::string failed_sequence_reply(Nfs4Status status) {
    return failed_reply(Op::sequence, status);
}

std::string failed_reply(Op operation, Nfs4Status status) {
    return compound(status, 1).result(op(operation), code(status));
}

RpcReply FakeNfs4Server::call(const CallContext&, uint32_t, std::string_view arguments,
                              std::chrono::milliseconds) {
    return call_on(0, 1, arguments);
}

RpcReply FakeNfs4Server::call_on(uint32_t connection, uint64_t incarnation,
                                 std::string_view arguments) {
    Request request = decode(arguments);
    request.connection = connection;
    request.incarnation = incarnation;
    std::optional<std::string> answer;
    if (before) answer = before(request);
    if (!answer) {
        answer = handle(request);
        if (after) {
            if (std::optional<std::string> instead = after(request)) answer = std::move(instead);
        }
    }
    RpcReply reply;
    reply.record.grow(answer->size());
    std::memcpy(reply.record.data(), answer->data(), answer->size());
    return reply;
}

std::string FakeNfs4Server::handle(const Request& request) {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    switch (static_cast<Op>(request.operation)) {
        case Op::exchange_id:
            return exchange_id_reply();
        case Op::create_session: {
            const SessionId id = session_named(++sessions_created_);
            sessions_[id].assign(slots_, Slot{});
            bound_.emplace(id, request.connection, request.incarnation);
            return create_session_reply(id, slots_);
        }
        case Op::destroy_session: {
            destroyed_.push_back(request.session);
            const Nfs4Status status =
                sessions_.erase(request.session) ? Nfs4Status::ok : Nfs4Status::badsession;
            return compound(status, 1).result(op(Op::destroy_session), code(status));
        }
        case Op::destroy_clientid:
            return compound(Nfs4Status::ok, 1).result(op(Op::destroy_clientid));
        case Op::sequence:
            return sequence(request);
        case Op::bind_conn_to_session:
            return bind_conn_to_session(request);
        default:
            return compound(Nfs4Status::op_illegal, 1)
                .result(request.operation, code(Nfs4Status::op_illegal));
    }
}

// With mutex_ held.
std::string FakeNfs4Server::sequence(const Request& request) {
    const auto session = sessions_.find(request.session);
    if (session == sessions_.end()) return failed_sequence_reply(Nfs4Status::badsession);
    if (binding_required_ &&
        !bound_.count({request.session, request.connection, request.incarnation}))
        return failed_sequence_reply(Nfs4Status::conn_not_bound_to_session);
    if (request.slot >= session->second.size()) return failed_sequence_reply(Nfs4Status::badslot);
    Slot& slot = session->second[request.slot];
    if (request.sequence == slot.sequence) {  // a replay
        if (slot.cached) return *slot.cached;
        if (uncached_ == Uncached::sequence_fails)
            return failed_sequence_reply(Nfs4Status::retry_uncached_rep);
    } else if (request.sequence != slot.sequence + 1) {
        ++misordered_;
        return failed_sequence_reply(Nfs4Status::seq_misordered);
    }
    const bool replay = request.sequence == slot.sequence;
    const uint32_t results = request.next_operation ? 2 : 1;
    Xdr reply = compound(replay ? Nfs4Status::retry_uncached_rep : Nfs4Status::ok, results);
    reply.result(op(Op::sequence))
        .fixed(bytes_of(request.session))
        .u32(request.sequence)
        .u32(request.slot)
        .u32(slots_ - 1)  // sr_highest_slotid
        .u32(slots_ - 1)  // sr_target_highest_slotid
        .u32(0);          // sr_status_flags
    if (request.next_operation) {
        const Nfs4Status status = replay ? Nfs4Status::retry_uncached_rep : Nfs4Status::ok;
        reply.result(request.next_operation, code(status));
        if (status == Nfs4Status::ok && request.next_operation == op(Op::read))
            reply.u32(1).str(kReadData);  // eof, data
    }
    if (!replay) {
        if (request.next_operation) ++executed_[request.next_operation];
        slot.sequence = request.sequence;
        // What a server without sa_cachethis keeps: nothing (or the contrived reply above).
        slot.cached = request.cachethis ? std::optional<std::string>(reply) : std::nullopt;
    }
    return reply;
}

// With mutex_ held.
std::string FakeNfs4Server::bind_conn_to_session(const Request& request) {
    if (!sessions_.count(request.session))
        return failed_reply(Op::bind_conn_to_session, Nfs4Status::badsession);
    bound_.emplace(request.session, request.connection, request.incarnation);
    return compound(Nfs4Status::ok, 1)
        .result(op(Op::bind_conn_to_session))
        .fixed(bytes_of(request.session))
        .u32(request.direction & 0x3)  // CDFC4_FORE -> CDFS4_FORE
        .u32(0);                       // not in RDMA mode
}

RpcReply FakeConnection::call(const CallContext&, uint32_t, std::string_view arguments,
                              std::chrono::milliseconds) {
    uint64_t incarnation = 0;
    {
        std::lock_guard lock(mutex_);
        if (broken_) {
            broken_ = false;
            ++made_;
        }
        incarnation = made_;
    }
    try {
        return server_.call_on(index_, incarnation, arguments);
    } catch (const Error& error) {
        if (is_connection_failure(error.errnum())) {
            std::lock_guard lock(mutex_);
            if (made_ == incarnation) broken_ = true;
        }
        throw;
    }
}

uint64_t FakeConnection::connections_made() const {
    std::lock_guard lock(mutex_);
    return made_;
}

void FakeNfs4Server::forget_sessions() {
    std::lock_guard lock(mutex_);
    sessions_.clear();
}

std::vector<FakeNfs4Server::Request> FakeNfs4Server::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

uint32_t FakeNfs4Server::sessions_created() const {
    std::lock_guard lock(mutex_);
    return sessions_created_;
}

uint32_t FakeNfs4Server::misordered() const {
    std::lock_guard lock(mutex_);
    return misordered_;
}

std::vector<SessionId> FakeNfs4Server::destroyed_sessions() const {
    std::lock_guard lock(mutex_);
    return destroyed_;
}

uint32_t FakeNfs4Server::executed(uint32_t operation) const {
    std::lock_guard lock(mutex_);
    const auto found = executed_.find(operation);
    return found == executed_.end() ? 0 : found->second;
}

}  // namespace nfsfuse::nfs::v4::testing
