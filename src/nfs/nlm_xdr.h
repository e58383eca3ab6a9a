// The NLM v4 lock protocol's messages (program 100021 version 4, as in the Open Group's XNFS
// and Linux's lockd) that NlmLocks sends and reads: the arguments of NLM4_TEST, NLM4_LOCK and
// NLM4_UNLOCK, and the nlm4_res and nlm4_testres replies. Decoding uses our bounded XDR: a reply
// that is short or whose netobj is longer than NLM's 1024 bytes throws nfsfuse::Error(EIO).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nfsfuse::nfs {

inline constexpr uint32_t kNlmProgram = 100021;
inline constexpr uint32_t kNlmVersion = 4;
inline constexpr uint32_t kNlm4Test = 1;
inline constexpr uint32_t kNlm4Lock = 2;
inline constexpr uint32_t kNlm4Unlock = 4;
// MAXNETOBJ_SZ and LM_MAXSTRLEN: the largest netobj (cookie, fh, oh) and caller_name.
inline constexpr size_t kNlmNetobjMax = 1024;
inline constexpr size_t kNlmCallerNameMax = 1024;

// nlm4_lock: which bytes of which file, for which owner. The views must outlive the encoding.
struct Nlm4Lock {
    std::string_view caller_name;  // this host
    std::string_view fh;           // the NFSv3 file handle
    std::string_view oh;           // the owner handle
    uint32_t svid = 0;
    uint64_t offset = 0;
    uint64_t length = 0;  // 0: to the end of the file
};

// Every call goes with an empty cookie: calls are synchronous, nothing needs matching by it.
std::string encode_nlm4_lock_args(bool block, bool exclusive, const Nlm4Lock& lock, bool reclaim,
                                  uint32_t state);
std::string encode_nlm4_test_args(bool exclusive, const Nlm4Lock& lock);
std::string encode_nlm4_unlock_args(const Nlm4Lock& lock);

// nlm4_holder: who holds what is in the way of a TEST.
struct Nlm4Holder {
    bool exclusive = false;
    uint32_t svid = 0;
    std::string oh;
    uint64_t offset = 0;
    uint64_t length = 0;
};

// The nlm4_stats of an nlm4_res (the reply of LOCK and UNLOCK).
uint32_t decode_nlm4_res(std::string_view results);

struct Nlm4TestResult {
    uint32_t status = 0;
    std::optional<Nlm4Holder> holder;  // with NLM4_DENIED
};
Nlm4TestResult decode_nlm4_testres(std::string_view results);

}  // namespace nfsfuse::nfs
