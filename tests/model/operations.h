// The steps of the write path's model-based test: what a program or the world does to a mount
// (open, write, read, truncate, fsync, close, rename, unlink from several descriptors; a server
// restart, an interrupt, another client's write), generated at random from a seed, printable,
// and replayable. A step names descriptor slots and file names, not live objects, so any
// subsequence of a sequence is a sequence too (what shrinking needs): a step that does not fit
// the state it meets (a write to a closed slot) is skipped.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nfsfuse::testing::model {

enum class Kind {
    open,                // slot, name; flag: O_TRUNC
    create,              // slot, name (O_CREAT, opens an existing file too)
    write,               // slot, offset, length, seed
    read,                // slot, offset, length: compared with the model
    ftruncate,           // slot, offset (the new size)
    truncate,            // name, offset (the new size), by path
    fsync,               // slot: durable afterwards
    interrupted_fsync,   // slot; length: the server call at which the caller is interrupted
    close,               // slot: durable afterwards
    rename,              // name -> other name
    unlink,              // name
    stat,                // slot: the size is compared with the model
    restart,             // the server loses what is not durable
    restart_in_commit,   // the next COMMIT meets a restarted server
    other_client_write,  // name, offset, length, seed: only to a file no slot has open
};

struct Step {
    Kind kind = Kind::stat;
    unsigned slot = 0;
    unsigned name = 0;
    unsigned other_name = 0;
    uint64_t offset = 0;
    uint32_t length = 0;
    uint32_t seed = 0;
    bool flag = false;
};

inline constexpr unsigned kSlots = 4;
inline constexpr unsigned kNames = 3;

std::vector<Step> generate(uint64_t seed, size_t steps);
std::string file_name(unsigned name);
// The bytes a write or another client's write of `step` puts there. A runner on a real mount
// multiplies offsets and lengths by `scale`, so steps cross its 1 MiB WRITEs as they cross the
// fake server's 64 bytes.
std::string data_of(const Step& step, uint64_t scale = 1);
std::string describe(const Step& step);
// What a model file holds after a write of `data` at `offset` (a gap reads as zeros).
void apply_write(std::string& file, uint64_t offset, const std::string& data);
// The seeds a runner runs: NFSFUSE_MODEL_SEED alone when set (a replay), else 1 to the number
// in `count_variable`, or `default_count`.
std::vector<uint64_t> seeds_from_environment(const char* count_variable, uint64_t default_count);
std::string describe(const std::vector<Step>& steps);

}  // namespace nfsfuse::testing::model
