#include "nfs/nlm_xdr.h"

#include "nfs/nlm_status.h"
#include "nfs/rpc/xdr.h"
#include "util/error.h"

namespace nfsfuse::nfs {
namespace {

void encode_lock(XdrEncoder& out, const Nlm4Lock& lock) {
    out.string(lock.caller_name);
    out.opaque(lock.fh);
    out.opaque(lock.oh);
    out.u32(lock.svid);
    out.u64(lock.offset);
    out.u64(lock.length);
}

// Every argument starts with the cookie.
XdrEncoder with_empty_cookie() {
    XdrEncoder out;
    out.opaque({});
    return out;
}

void skip_cookie(XdrDecoder& in, const char* what) {
    in.opaque_view(kNlmNetobjMax, what);
}

}  // namespace

std::string encode_nlm4_lock_args(bool block, bool exclusive, const Nlm4Lock& lock, bool reclaim,
                                  uint32_t state) {
    XdrEncoder out = with_empty_cookie();
    out.boolean(block);
    out.boolean(exclusive);
    encode_lock(out, lock);
    out.boolean(reclaim);
    out.u32(state);
    return out.take();
}

std::string encode_nlm4_test_args(bool exclusive, const Nlm4Lock& lock) {
    XdrEncoder out = with_empty_cookie();
    out.boolean(exclusive);
    encode_lock(out, lock);
    return out.take();
}

std::string encode_nlm4_unlock_args(const Nlm4Lock& lock) {
    XdrEncoder out = with_empty_cookie();
    encode_lock(out, lock);
    return out.take();
}

uint32_t decode_nlm4_res(std::string_view results) {
    XdrDecoder in(results);
    skip_cookie(in, "nlm4_res cookie");
    return in.u32("nlm4_res stat");
}

Nlm4TestResult decode_nlm4_testres(std::string_view results) {
    XdrDecoder in(results);
    skip_cookie(in, "nlm4_testres cookie");
    Nlm4TestResult result;
    result.status = in.u32("nlm4_testres stat");
    if (result.status != kNlm4Denied) return result;
    Nlm4Holder holder;
    holder.exclusive = in.boolean("nlm4_holder exclusive");
    holder.svid = in.u32("nlm4_holder svid");
    holder.oh = in.opaque(kNlmNetobjMax, "nlm4_holder oh");
    holder.offset = in.u64("nlm4_holder l_offset");
    holder.length = in.u64("nlm4_holder l_len");
    result.holder = std::move(holder);
    return result;
}

}  // namespace nfsfuse::nfs
