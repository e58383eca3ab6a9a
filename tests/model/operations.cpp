#include "model/operations.h"

#include <cstdlib>
#include <random>

namespace nfsfuse::testing::model {
namespace {

// Offsets and lengths around a few WRITE sizes (the fake server's transfer size is 64 bytes),
// so steps gather, cut and overlap requests.
constexpr uint64_t kMaxOffset = 300;
constexpr uint32_t kMaxLength = 200;

const char* name_of(Kind kind) {
    switch (kind) {
        case Kind::open:
            return "open";
        case Kind::create:
            return "create";
        case Kind::write:
            return "write";
        case Kind::read:
            return "read";
        case Kind::ftruncate:
            return "ftruncate";
        case Kind::truncate:
            return "truncate";
        case Kind::fsync:
            return "fsync";
        case Kind::interrupted_fsync:
            return "interrupted_fsync";
        case Kind::close:
            return "close";
        case Kind::rename:
            return "rename";
        case Kind::unlink:
            return "unlink";
        case Kind::stat:
            return "stat";
        case Kind::restart:
            return "restart";
        case Kind::restart_in_commit:
            return "restart_in_commit";
        case Kind::other_client_write:
            return "other_client_write";
    }
    return "?";
}

}  // namespace

std::vector<Step> generate(uint64_t seed, size_t steps) {
    std::mt19937_64 random(seed);
    // Weights: writes and reads most, faults now and then.
    const std::vector<std::pair<Kind, unsigned>> weights = {
        {Kind::open, 8},
        {Kind::create, 6},
        {Kind::write, 30},
        {Kind::read, 10},
        {Kind::ftruncate, 4},
        {Kind::truncate, 2},
        {Kind::fsync, 6},
        {Kind::interrupted_fsync, 3},
        {Kind::close, 8},
        {Kind::rename, 2},
        {Kind::unlink, 2},
        {Kind::stat, 4},
        {Kind::restart, 3},
        {Kind::restart_in_commit, 3},
        {Kind::other_client_write, 2},
    };
    unsigned total = 0;
    for (const auto& [kind, weight] : weights) total += weight;
    const auto pick = [&](uint64_t bound) { return random() % bound; };
    std::vector<Step> sequence;
    for (size_t i = 0; i < steps; ++i) {
        uint64_t ticket = pick(total);
        Step step;
        for (const auto& [kind, weight] : weights) {
            if (ticket < weight) {
                step.kind = kind;
                break;
            }
            ticket -= weight;
        }
        step.slot = static_cast<unsigned>(pick(kSlots));
        step.name = static_cast<unsigned>(pick(kNames));
        step.other_name = static_cast<unsigned>(pick(kNames));
        step.offset = pick(kMaxOffset);
        step.length = static_cast<uint32_t>(1 + pick(kMaxLength));
        step.seed = static_cast<uint32_t>(random());
        step.flag = pick(4) == 0;
        if (step.kind == Kind::interrupted_fsync) step.length = static_cast<uint32_t>(1 + pick(4));
        sequence.push_back(step);
    }
    return sequence;
}

std::string file_name(unsigned name) {
    return std::string(1, static_cast<char>('a' + name));
}

std::string data_of(const Step& step, uint64_t scale) {
    std::mt19937 random(step.seed);
    std::string data(step.length * scale, '\0');
    for (char& byte : data) byte = static_cast<char>('A' + random() % 26);
    return data;
}

std::string describe(const Step& step) {
    std::string text = name_of(step.kind);
    text += " slot=" + std::to_string(step.slot) + " name=" + file_name(step.name);
    text += " to=" + file_name(step.other_name) + " offset=" + std::to_string(step.offset);
    text += " length=" + std::to_string(step.length) + " seed=" + std::to_string(step.seed);
    if (step.flag) text += " flag";
    return text;
}

void apply_write(std::string& file, uint64_t offset, const std::string& data) {
    if (file.size() < offset + data.size()) file.resize(offset + data.size(), '\0');
    file.replace(offset, data.size(), data);
}

std::vector<uint64_t> seeds_from_environment(const char* count_variable, uint64_t default_count) {
    if (const char* replay = std::getenv("NFSFUSE_MODEL_SEED"))
        return {std::strtoull(replay, nullptr, 10)};
    const char* count = std::getenv(count_variable);
    const uint64_t last = count ? std::strtoull(count, nullptr, 10) : default_count;
    std::vector<uint64_t> seeds;
    for (uint64_t seed = 1; seed <= last; ++seed) seeds.push_back(seed);
    return seeds;
}

std::string describe(const std::vector<Step>& steps) {
    std::string text;
    for (size_t i = 0; i < steps.size(); ++i)
        text += "  " + std::to_string(i) + ": " + describe(steps[i]) + "\n";
    return text;
}

}  // namespace nfsfuse::testing::model
