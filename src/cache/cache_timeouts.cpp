#include "cache/cache_timeouts.h"

#include <algorithm>

namespace nfsfuse::cache {
namespace {

double seconds_between(const timespec& earlier, const timespec& later) {
    return static_cast<double>(later.tv_sec - earlier.tv_sec) +
           static_cast<double>(later.tv_nsec - earlier.tv_nsec) / 1e9;
}

}  // namespace

CacheTimeouts cache_timeouts(const options::AttributeCacheTimes& times, options::CacheMode mode,
                             const nfs::Attributes& attributes, timespec now) {
    if (mode == options::CacheMode::none) return {};
    const bool directory = attributes.type == nfs::FileType::directory;
    const double min_s = directory ? times.directory_min_s : times.regular_min_s;
    const double max_s = directory ? times.directory_max_s : times.regular_max_s;
    // A clock behind the server's gives a negative age: treat it as "just changed".
    const double age_s = std::max(0.0, seconds_between(attributes.mtime, now));
    const double attributes_s = std::clamp(age_s / 10.0, min_s, max_s);
    // Names live in directories: a name may change whenever its directory does.
    return {attributes_s, static_cast<double>(times.directory_min_s)};
}

double negative_entry_timeout_s(const options::AttributeCacheTimes& times,
                                options::CacheMode mode) {
    if (mode == options::CacheMode::none) return 0;
    return times.directory_min_s;
}

}  // namespace nfsfuse::cache
