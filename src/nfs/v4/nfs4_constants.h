// NFSv4.1 protocol numbers (RFC 8881; its XDR is RFC 5662's): operations, status codes, attribute
// bits and the enumerations and flag words of the operations nfsfuse sends. Only what we use.
// Names are the RFC's, lower-cased and without their prefix (OP_EXCHANGE_ID is Op::exchange_id,
// EXCHGID4_FLAG_CONFIRMED_R is exchgid4_flag::confirmed_r): libnfs's generated NFSv4 header
// #defines the RFC spellings, so a file including both would not compile with them.
// Thread-safety: constants.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nfsfuse::nfs::v4 {

constexpr uint32_t kNfsProc4Compound = 1;
constexpr uint32_t kMinorVersion = 1;

constexpr size_t kMaxFileHandle = 128;  // NFS4_FHSIZE
constexpr size_t kSessionIdSize = 16;   // NFS4_SESSIONID_SIZE
constexpr size_t kOpaqueLimit = 1024;   // NFS4_OPAQUE_LIMIT
constexpr size_t kStateidOtherSize = 12;

// nfs_opnum4
enum class Op : uint32_t {
    access = 3,
    close = 4,
    commit = 5,
    create = 6,
    getattr = 9,
    getfh = 10,
    link = 11,
    lock = 12,
    lockt = 13,
    locku = 14,
    lookup = 15,
    lookupp = 16,
    open = 18,
    putfh = 22,
    putrootfh = 24,
    read = 25,
    readdir = 26,
    readlink = 27,
    remove = 28,
    rename = 29,
    restorefh = 31,
    savefh = 32,
    setattr = 34,
    verify = 37,
    write = 38,
    bind_conn_to_session = 41,
    exchange_id = 42,
    create_session = 43,
    destroy_session = 44,
    free_stateid = 45,
    sequence = 53,
    destroy_clientid = 57,
    reclaim_complete = 58,
    illegal = 10044,  // what a server answers to an operation number it does not know
};

// The protocol name of an operation, e.g. "EXCHANGE_ID", for messages.
const char* op_name(Op op);

// nfsstat4: every code RFC 8881 defines, so that each has a name in messages.
enum class Nfs4Status : uint32_t {
    ok = 0,
    perm = 1,
    noent = 2,
    io = 5,
    nxio = 6,
    access = 13,
    exist = 17,
    xdev = 18,
    notdir = 20,
    isdir = 21,
    inval = 22,
    fbig = 27,
    nospc = 28,
    rofs = 30,
    mlink = 31,
    nametoolong = 63,
    notempty = 66,
    dquot = 69,
    stale = 70,
    badhandle = 10001,
    bad_cookie = 10003,
    notsupp = 10004,
    toosmall = 10005,
    serverfault = 10006,
    badtype = 10007,
    delay = 10008,
    same = 10009,
    denied = 10010,
    expired = 10011,
    locked = 10012,
    grace = 10013,
    fhexpired = 10014,
    share_denied = 10015,
    wrongsec = 10016,
    clid_inuse = 10017,
    resource = 10018,
    moved = 10019,
    nofilehandle = 10020,
    minor_vers_mismatch = 10021,
    stale_clientid = 10022,
    stale_stateid = 10023,
    old_stateid = 10024,
    bad_stateid = 10025,
    bad_seqid = 10026,
    not_same = 10027,
    lock_range = 10028,
    symlink = 10029,
    restorefh = 10030,
    lease_moved = 10031,
    attrnotsupp = 10032,
    no_grace = 10033,
    reclaim_bad = 10034,
    reclaim_conflict = 10035,
    badxdr = 10036,
    locks_held = 10037,
    openmode = 10038,
    badowner = 10039,
    badchar = 10040,
    badname = 10041,
    bad_range = 10042,
    lock_notsupp = 10043,
    op_illegal = 10044,
    deadlock = 10045,
    file_open = 10046,
    admin_revoked = 10047,
    cb_path_down = 10048,
    badiomode = 10049,
    badlayout = 10050,
    bad_session_digest = 10051,
    badsession = 10052,
    badslot = 10053,
    complete_already = 10054,
    conn_not_bound_to_session = 10055,
    deleg_already_wanted = 10056,
    back_chan_busy = 10057,
    layouttrylater = 10058,
    layoutunavailable = 10059,
    nomatching_layout = 10060,
    recallconflict = 10061,
    unknown_layouttype = 10062,
    seq_misordered = 10063,
    sequence_pos = 10064,
    req_too_big = 10065,
    rep_too_big = 10066,
    rep_too_big_to_cache = 10067,
    retry_uncached_rep = 10068,
    unsafe_compound = 10069,
    too_many_ops = 10070,
    op_not_in_session = 10071,
    hash_alg_unsupp = 10072,
    clientid_busy = 10074,
    pnfs_io_hole = 10075,
    seq_false_retry = 10076,
    bad_high_slot = 10077,
    deadsession = 10078,
    encr_alg_unsupp = 10079,
    pnfs_no_layout = 10080,
    not_only_op = 10081,
    wrong_cred = 10082,
    wrong_type = 10083,
    dirdeleg_unavail = 10084,
    reject_deleg = 10085,
    returnconflict = 10086,
    deleg_revoked = 10087,
};

// Attribute numbers (FATTR4_*): bit positions in a bitmap4.
enum class Attr : uint32_t {
    supported_attrs = 0,
    type = 1,
    change = 3,
    size = 4,
    fsid = 8,
    lease_time = 10,
    filehandle = 19,
    fileid = 20,
    files_avail = 21,
    files_free = 22,
    files_total = 23,
    maxname = 29,
    maxread = 30,
    maxwrite = 31,
    mode = 33,
    numlinks = 35,
    owner = 36,
    owner_group = 37,
    rawdev = 41,
    space_avail = 42,
    space_free = 43,
    space_total = 44,
    space_used = 45,
    time_access = 47,
    time_access_set = 48,  // write-only
    time_metadata = 52,
    time_modify = 53,
    time_modify_set = 54,  // write-only
};

// nfs_ftype4
enum class Ftype4 : uint32_t {
    reg = 1,
    dir = 2,
    blk = 3,
    chr = 4,
    lnk = 5,
    sock = 6,
    fifo = 7,
    attrdir = 8,
    namedattr = 9,
};

// stable_how4
enum class StableHow : uint32_t { unstable = 0, data_sync = 1, file_sync = 2 };

// createmode4. exclusive4 is NFSv4.0's (verifier only, deprecated); 4.1 uses exclusive4_1.
enum class CreateMode : uint32_t { unchecked = 0, guarded = 1, exclusive4 = 2, exclusive4_1 = 3 };

// opentype4
enum class OpenType : uint32_t { nocreate = 0, create = 1 };

// open_claim_type4 (we send null and fh)
enum class OpenClaim : uint32_t {
    null = 0,
    previous = 1,
    delegate_cur = 2,
    delegate_prev = 3,
    fh = 4,
    deleg_cur_fh = 5,
    deleg_prev_fh = 6,
};

// open_delegation_type4
enum class DelegationType : uint32_t { none = 0, read = 1, write = 2, none_ext = 3 };

// why_no_delegation4: the two reasons followed by a boolean in open_none_delegation4.
enum class WhyNoDelegation : uint32_t { not_wanted = 0, contention = 1, resource = 2 };

// nfs_lock_type4. The W kinds ("waiting") are a caller that will ask again: the server may keep
// it a place in line (RFC 8881 section 9.6).
enum class LockType4 : uint32_t { read = 1, write = 2, readw = 3, writew = 4 };

// time_how4
enum class TimeHow : uint32_t { server_time = 0, client_time = 1 };

// state_protect_how4 (we only ever ask for none)
enum class StateProtect : uint32_t { none = 0, mach_cred = 1, ssv = 2 };

// RPC authentication flavors, for CREATE_SESSION's callback_sec_parms4.
enum class AuthFlavor : uint32_t { none = 0, sys = 1 };

namespace open4_share_access {
constexpr uint32_t read = 0x1;
constexpr uint32_t write = 0x2;
constexpr uint32_t both = 0x3;
constexpr uint32_t want_no_deleg = 0x0400;  // OPEN4_SHARE_ACCESS_WANT_NO_DELEG
}  // namespace open4_share_access

namespace open4_share_deny {
constexpr uint32_t none = 0x0;
constexpr uint32_t read = 0x1;
constexpr uint32_t write = 0x2;
constexpr uint32_t both = 0x3;
}  // namespace open4_share_deny

// OPEN4resok.rflags
namespace open4_result {
constexpr uint32_t confirm = 0x2;
constexpr uint32_t locktype_posix = 0x4;
constexpr uint32_t preserve_unlinked = 0x8;
constexpr uint32_t may_notify_lock = 0x20;
}  // namespace open4_result

namespace exchgid4_flag {
constexpr uint32_t supp_moved_refer = 0x00000001;
constexpr uint32_t supp_moved_migr = 0x00000002;
constexpr uint32_t bind_princ_stateid = 0x00000100;
constexpr uint32_t use_non_pnfs = 0x00010000;
constexpr uint32_t use_pnfs_mds = 0x00020000;
constexpr uint32_t use_pnfs_ds = 0x00040000;
constexpr uint32_t mask_pnfs = 0x00070000;
constexpr uint32_t upd_confirmed_rec_a = 0x40000000;
constexpr uint32_t confirmed_r = 0x80000000;
}  // namespace exchgid4_flag

// channel_dir_from_client4 (BIND_CONN_TO_SESSION's bctsa_dir) and channel_dir_from_server4
// (its bctsr_dir): which channels of the session a connection carries.
namespace channel_dir_from_client4 {
constexpr uint32_t fore = 0x1;
}  // namespace channel_dir_from_client4
namespace channel_dir_from_server4 {
constexpr uint32_t fore = 0x1;
}  // namespace channel_dir_from_server4

namespace create_session4_flag {
constexpr uint32_t persist = 0x1;
constexpr uint32_t conn_back_chan = 0x2;
constexpr uint32_t conn_rdma = 0x4;
}  // namespace create_session4_flag

// SEQUENCE4resok.sr_status_flags
namespace seq4_status {
constexpr uint32_t cb_path_down = 0x00000001;
constexpr uint32_t cb_gss_contexts_expiring = 0x00000002;
constexpr uint32_t cb_gss_contexts_expired = 0x00000004;
constexpr uint32_t expired_all_state_revoked = 0x00000008;
constexpr uint32_t expired_some_state_revoked = 0x00000010;
constexpr uint32_t admin_state_revoked = 0x00000020;
constexpr uint32_t recallable_state_revoked = 0x00000040;
constexpr uint32_t lease_moved = 0x00000080;
constexpr uint32_t restart_reclaim_needed = 0x00000100;
constexpr uint32_t cb_path_down_session = 0x00000200;
constexpr uint32_t backchannel_fault = 0x00000400;
constexpr uint32_t devid_changed = 0x00000800;
constexpr uint32_t devid_deleted = 0x00001000;
}  // namespace seq4_status

}  // namespace nfsfuse::nfs::v4
