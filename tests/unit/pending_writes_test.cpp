// PendingWrites against a byte-by-byte reference: random writes, sends, answers, failures,
// COMMITs and truncates, and after each one the dirty runs, the byte counts, the end and the
// bytes laid over a read are what the reference says. The chunk map keeps counters and an index
// of its dirty chunks in step by hand: this is what checks them.
#include "vfs/pending_writes.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace nfsfuse::vfs {
namespace {

constexpr uint64_t kSize = 256;  // offsets stay below this
constexpr uint64_t kLimit = 48;  // the largest WRITE

// One byte of a file as PendingWrites should see it.
struct Byte {
    enum class State { none, dirty, sending, unstable } state = State::none;
    char value = 0;
    uint64_t tag = 0;
    uint64_t verifier = 0;
};

class Reference {
  public:
    void write(uint64_t offset, const std::string& data) {
        for (size_t i = 0; i < data.size(); ++i)
            bytes_[offset + i] = {Byte::State::dirty, data[i], 0, 0};
    }
    void sending(const PendingWrites::Request& request) {
        for (uint64_t at = request.offset; at < request.offset + request.data.size(); ++at)
            bytes_[at].state = Byte::State::sending, bytes_[at].tag = request.tag;
    }
    void sent(uint64_t tag, bool stable, uint64_t verifier) {
        for (auto& [at, byte] : bytes_) {
            if (byte.state != Byte::State::sending || byte.tag != tag) continue;
            byte.state = stable ? Byte::State::none : Byte::State::unstable;
            byte.verifier = verifier;
        }
        drop_settled();
    }
    void failed(uint64_t tag, bool keep) {
        for (auto& [at, byte] : bytes_)
            if (byte.state == Byte::State::sending && byte.tag == tag)
                byte.state = keep ? Byte::State::dirty : Byte::State::none;
        drop_settled();
    }
    void committed(const PendingWrites::CommitSnapshot& snapshot, uint64_t verifier) {
        for (auto& [at, byte] : bytes_) {
            if (byte.state != Byte::State::unstable || !snapshot.contains(byte.tag)) continue;
            byte.state = byte.verifier == verifier ? Byte::State::none : Byte::State::dirty;
        }
        drop_settled();
    }
    void truncate(uint64_t size) { bytes_.erase(bytes_.lower_bound(size), bytes_.end()); }

    uint64_t count(Byte::State state) const {
        uint64_t n = 0;
        for (const auto& [at, byte] : bytes_) n += byte.state == state;
        return n;
    }
    std::vector<PendingWrites::Run> dirty_runs() const {
        std::vector<PendingWrites::Run> runs;
        for (const auto& [at, byte] : bytes_) {
            if (byte.state != Byte::State::dirty) continue;
            if (!runs.empty() && runs.back().end == at && runs.back().size() < kLimit) {
                ++runs.back().end;
            } else {
                runs.push_back({at, at + 1});
            }
        }
        return runs;
    }
    uint64_t end() const { return bytes_.empty() ? 0 : bytes_.rbegin()->first + 1; }
    std::string overlaid(const std::string& under) const {
        std::string out = under;
        for (const auto& [at, byte] : bytes_)
            if (at < out.size()) out[at] = byte.value;
        return out;
    }

  private:
    void drop_settled() {
        std::erase_if(bytes_,
                      [](const auto& item) { return item.second.state == Byte::State::none; });
    }
    std::map<uint64_t, Byte> bytes_;
};

bool same_runs(const std::vector<PendingWrites::Run>& a, const std::vector<PendingWrites::Run>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].begin != b[i].begin || a[i].end != b[i].end) return false;
    return true;
}

TEST(PendingWritesTest, RandomOperationsMatchAByteByByteReference) {
    for (uint64_t seed = 1; seed <= 300; ++seed) {
        std::mt19937_64 random(seed);
        PendingWrites writes;
        Reference reference;
        std::vector<PendingWrites::Request> on_the_wire;
        uint64_t verifier = 1;
        for (int step = 0; step < 200; ++step) {
            const uint64_t offset = random() % kSize;
            switch (random() % 7) {
                case 0:
                case 1: {
                    std::string data(1 + random() % 40, static_cast<char>('a' + random() % 26));
                    data.resize(std::min<uint64_t>(data.size(), kSize - offset));
                    writes.write(offset, data);
                    reference.write(offset, data);
                    break;
                }
                case 2: {
                    const auto runs = writes.dirty_runs(kLimit);
                    if (runs.empty()) break;
                    const auto& run = runs[random() % runs.size()];
                    if (writes.overlaps_the_wire(run.begin, run.end)) break;
                    on_the_wire.push_back(writes.start_sending(run));
                    reference.sending(on_the_wire.back());
                    break;
                }
                case 3: {
                    if (on_the_wire.empty()) break;
                    const size_t which = random() % on_the_wire.size();
                    const uint64_t tag = on_the_wire[which].tag;
                    on_the_wire.erase(on_the_wire.begin() + static_cast<ptrdiff_t>(which));
                    if (random() % 5 == 0) {
                        const bool keep = random() % 2 == 0;
                        writes.send_failed(tag, keep);
                        reference.failed(tag, keep);
                    } else {
                        const bool stable = random() % 4 == 0;
                        writes.sent(tag, stable, verifier);
                        reference.sent(tag, stable, verifier);
                    }
                    break;
                }
                case 4: {
                    const auto snapshot = writes.commit_snapshot();
                    if (random() % 3 == 0) ++verifier;  // the server restarted
                    writes.committed(snapshot, verifier);
                    reference.committed(snapshot, verifier);
                    break;
                }
                case 5:
                    writes.truncate(offset);
                    reference.truncate(offset);
                    break;
                default:
                    break;
            }
            const std::string where =
                "seed " + std::to_string(seed) + " step " + std::to_string(step);
            ASSERT_EQ(writes.unstable_bytes(), reference.count(Byte::State::unstable)) << where;
            ASSERT_EQ(writes.owed_bytes(), reference.count(Byte::State::dirty) +
                                               reference.count(Byte::State::sending) +
                                               reference.count(Byte::State::unstable))
                << where;
            ASSERT_EQ(writes.has_dirty(), reference.count(Byte::State::dirty) > 0) << where;
            ASSERT_TRUE(same_runs(writes.dirty_runs(kLimit), reference.dirty_runs())) << where;
            ASSERT_EQ(writes.owed_end(), reference.end()) << where;
            std::string read(kSize, '.');
            writes.overlay(0, read);
            ASSERT_EQ(read, reference.overlaid(std::string(kSize, '.'))) << where;
        }
    }
}

}  // namespace
}  // namespace nfsfuse::vfs
