#include "vfs/pending_writes.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

namespace nfsfuse::vfs {

PendingWrites::Chunks::iterator PendingWrites::insert(Chunks::const_iterator hint, uint64_t offset,
                                                      Chunk chunk) {
    bytes_[static_cast<size_t>(chunk.state)] += chunk.length;
    if (chunk.state == State::dirty) dirty_.insert(offset);
    return chunks_.emplace_hint(hint, offset, std::move(chunk));
}

PendingWrites::Chunks::iterator PendingWrites::erase(Chunks::iterator it) {
    bytes_[static_cast<size_t>(it->second.state)] -= it->second.length;
    if (it->second.state == State::dirty) dirty_.erase(it->first);
    return chunks_.erase(it);
}

void PendingWrites::erase(Chunks::iterator first, Chunks::iterator last) {
    while (first != last) first = erase(first);
}

void PendingWrites::set_state(Chunks::iterator it, State state) {
    Chunk& chunk = it->second;
    bytes_[static_cast<size_t>(chunk.state)] -= chunk.length;
    if (chunk.state == State::dirty) dirty_.erase(it->first);
    chunk.state = state;
    bytes_[static_cast<size_t>(state)] += chunk.length;
    if (state == State::dirty) dirty_.insert(it->first);
}

void PendingWrites::split_at(uint64_t offset) {
    auto after = chunks_.upper_bound(offset);
    if (after == chunks_.begin()) return;
    auto containing = std::prev(after);
    const uint64_t begin = containing->first;
    Chunk& chunk = containing->second;
    if (begin == offset || begin + chunk.length <= offset) return;
    const size_t head = offset - begin;
    Chunk tail = chunk;  // shares the bytes, the state, the tag and the verifier
    tail.start += head;
    tail.length -= head;
    chunk.length = head;
    bytes_[static_cast<size_t>(tail.state)] -= tail.length;  // insert() counts them again
    insert(after, offset, std::move(tail));
}

void PendingWrites::cut(uint64_t begin, uint64_t end) {
    if (begin >= end) return;
    split_at(begin);
    split_at(end);
    erase(chunks_.lower_bound(begin), chunks_.lower_bound(end));
}

bool PendingWrites::append_to_previous(uint64_t offset, std::string_view data) {
    auto after = chunks_.lower_bound(offset);
    if (after == chunks_.begin()) return false;
    auto previous = std::prev(after);
    Chunk& chunk = previous->second;
    // Only a buffer no WRITE on the wire reads from may grow: growing may move its bytes.
    if (chunk.state != State::dirty || previous->first + chunk.length != offset ||
        chunk.bytes.use_count() != 1 || chunk.start + chunk.length != chunk.bytes->size())
        return false;
    chunk.bytes->append(data);
    chunk.length += data.size();
    bytes_[static_cast<size_t>(State::dirty)] += data.size();
    return true;
}

void PendingWrites::write(uint64_t offset, std::string_view data) {
    if (data.empty()) return;
    cut(offset, offset + data.size());
    if (append_to_previous(offset, data)) return;
    Chunk chunk;
    chunk.bytes = std::make_shared<std::string>(data);
    chunk.length = data.size();
    insert(chunks_.lower_bound(offset), offset, std::move(chunk));
}

std::vector<PendingWrites::Run> PendingWrites::dirty_runs(uint64_t limit) const {
    std::vector<Run> runs;
    for (const uint64_t offset : dirty_) {
        const uint64_t end = offset + chunks_.at(offset).length;
        if (!runs.empty() && runs.back().end == offset) {
            runs.back().end = end;
        } else {
            runs.push_back({offset, end});
        }
    }
    std::vector<Run> limited;
    for (const Run& run : runs) {
        for (uint64_t begin = run.begin; begin < run.end; begin += limit)
            limited.push_back({begin, std::min(run.end, begin + limit)});
    }
    return limited;
}

bool PendingWrites::overlaps_the_wire(uint64_t begin, uint64_t end) const {
    return std::any_of(on_the_wire_.begin(), on_the_wire_.end(), [&](const auto& request) {
        return request.second.begin < end && begin < request.second.end;
    });
}

PendingWrites::Request PendingWrites::start_sending(const Run& run) {
    split_at(run.begin);
    split_at(run.end);
    const auto first = chunks_.lower_bound(run.begin);
    const auto last = chunks_.lower_bound(run.end);
    const uint64_t tag = next_tag_++;
    Request request{tag, run.begin, nullptr, {}};
    if (std::next(first) == last) {
        // One chunk (the common case: one application write, or appends gathered in place).
        Chunk& chunk = first->second;
        set_state(first, State::sending);
        chunk.tag = tag;
        request.bytes = chunk.bytes;
        request.data = chunk.view();
    } else {
        // Several chunks: their bytes go into one buffer, which the run then owns as one chunk.
        auto joined = std::make_shared<std::string>();
        joined->reserve(run.size());
        for (auto it = first; it != last; ++it) joined->append(it->second.view());
        erase(first, last);
        insert(chunks_.lower_bound(run.begin), run.begin,
               Chunk{joined, 0, joined->size(), State::sending, tag, 0});
        request.bytes = joined;
        request.data = *joined;
    }
    on_the_wire_.emplace(tag, run);
    return request;
}

template <class Settle>
void PendingWrites::finish(uint64_t tag, Settle settle) {
    const auto request = on_the_wire_.find(tag);
    if (request == on_the_wire_.end()) return;
    const Run run = request->second;
    on_the_wire_.erase(request);
    for (auto it = chunks_.lower_bound(run.begin); it != chunks_.end() && it->first < run.end;) {
        Chunk& chunk = it->second;
        // Bytes of the WRITE overwritten since are not its to settle.
        if (chunk.state != State::sending || chunk.tag != tag) {
            ++it;
        } else if (const std::optional<State> next = settle(chunk)) {
            set_state(it++, *next);
        } else {
            it = erase(it);
        }
    }
}

void PendingWrites::sent(uint64_t tag, bool stable, uint64_t verifier) {
    finish(tag, [&](Chunk& chunk) -> std::optional<State> {
        if (stable) return std::nullopt;
        chunk.verifier = verifier;
        return State::unstable;
    });
}

void PendingWrites::send_failed(uint64_t tag, bool keep) {
    finish(tag, [&](Chunk&) -> std::optional<State> {
        if (!keep) return std::nullopt;
        return State::dirty;
    });
}

PendingWrites::CommitSnapshot PendingWrites::commit_snapshot() const {
    CommitSnapshot snapshot;
    for (const auto& [offset, chunk] : chunks_)
        if (chunk.state == State::unstable) snapshot.insert(chunk.tag);
    return snapshot;
}

uint64_t PendingWrites::committed(const CommitSnapshot& snapshot, uint64_t verifier) {
    uint64_t made_dirty = 0;
    for (auto it = chunks_.begin(); it != chunks_.end();) {
        Chunk& chunk = it->second;
        if (chunk.state != State::unstable || !snapshot.contains(chunk.tag)) {
            ++it;
        } else if (chunk.verifier == verifier) {
            it = erase(it);
        } else {
            made_dirty += chunk.length;
            set_state(it++, State::dirty);
        }
    }
    return made_dirty;
}

void PendingWrites::truncate(uint64_t size) {
    cut(size, std::numeric_limits<uint64_t>::max());
}

void PendingWrites::drop_all_but_sending() {
    for (auto it = chunks_.begin(); it != chunks_.end();)
        it = it->second.state == State::sending ? std::next(it) : erase(it);
}

void PendingWrites::overlay(uint64_t offset, std::string& out) const {
    const uint64_t end = offset + out.size();
    auto it = chunks_.upper_bound(offset);
    if (it != chunks_.begin()) --it;
    for (; it != chunks_.end() && it->first < end; ++it) {
        const uint64_t begin = std::max(it->first, offset);
        const uint64_t stop = std::min(it->first + it->second.length, end);
        if (begin >= stop) continue;
        const std::string_view bytes = it->second.view().substr(begin - it->first, stop - begin);
        out.replace(begin - offset, bytes.size(), bytes);
    }
}

uint64_t PendingWrites::owed_end() const {
    if (chunks_.empty()) return 0;
    const auto& [offset, chunk] = *chunks_.rbegin();
    return offset + chunk.length;
}

uint64_t PendingWrites::owed_bytes() const {
    return bytes_[0] + bytes_[1] + bytes_[2];
}

}  // namespace nfsfuse::vfs
