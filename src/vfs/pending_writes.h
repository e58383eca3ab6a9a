// The data of one file that the server does not hold durably yet, byte range by byte range, in
// the states the kernel NFS client keeps its pages in: dirty (written here, not sent yet),
// sending (in a WRITE on the wire), unstable (written UNSTABLE under a write verifier, waiting
// for a COMMIT). The newest data of a byte wins: a write replaces that range in every state, so
// a resend after a server restart never sends bytes older than what a later write put there.
// A COMMIT settles exactly the WRITEs of the snapshot taken before it was sent (the kernel's
// nfs_scan_commit): what was written while it was on the wire stays owed.
// Thread-safety: none; the owning vfs::File guards it with its mutex.
// Ownership: by value in vfs::File. Chunks share their bytes with the WRITEs that carry them.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/types.h"

namespace nfsfuse::vfs {

class PendingWrites {
  public:
    // One WRITE to send: [offset, offset + data.size()). `bytes` keeps `data` alive.
    struct Request {
        uint64_t tag = 0;
        uint64_t offset = 0;
        std::shared_ptr<const std::string> bytes;
        std::string_view data;
    };
    // [begin, end) of contiguous dirty bytes.
    struct Run {
        uint64_t begin = 0;
        uint64_t end = 0;
        uint64_t size() const { return end - begin; }
    };
    // The WRITEs a COMMIT settles: their tags, taken before the COMMIT is sent.
    using CommitSnapshot = std::set<uint64_t>;

    // The newest bytes of [offset, offset + data.size()): dirty, replacing whatever was there.
    void write(uint64_t offset, std::string_view data);

    // Contiguous dirty bytes, in order of offset, each at most `limit` long (longer ones are cut).
    std::vector<Run> dirty_runs(uint64_t limit) const;
    // Whether a WRITE on the wire overlaps [begin, end): two overlapping WRITEs on the wire
    // together could be applied in either order.
    bool overlaps_the_wire(uint64_t begin, uint64_t end) const;
    size_t requests_on_the_wire() const { return on_the_wire_.size(); }
    // Marks the dirty run `run` as sending in one new WRITE and returns it.
    Request start_sending(const Run& run);
    // The WRITE `tag` came back. Its bytes not overwritten since are settled when the server
    // wrote them through (stable), and otherwise unstable under `verifier`.
    void sent(uint64_t tag, bool stable, uint64_t verifier);
    // The WRITE `tag` failed. keep: its bytes are dirty again (an interrupted call); otherwise
    // they are dropped (the failure is reported in their place).
    void send_failed(uint64_t tag, bool keep);

    // The unstable WRITEs a COMMIT sent now would settle.
    CommitSnapshot commit_snapshot() const;
    // A COMMIT of `snapshot` returned `verifier`: bytes of those WRITEs that were written under it
    // are durable and dropped; bytes written under another verifier may have been lost by a
    // server restart and are dirty again. Returns the bytes made dirty again.
    uint64_t committed(const CommitSnapshot& snapshot, uint64_t verifier);

    // The file was cut to `size`: nothing beyond it is owed any more.
    void truncate(uint64_t size);
    // Drops every byte not on the wire (after a failure was reported in their place).
    void drop_all_but_sending();

    // Copies every owed byte of [offset, offset + out.size()) over `out` (out[0] is `offset`): a
    // server that restarted may have lost them, and the program reads what it wrote.
    void overlay(uint64_t offset, std::string& out) const;
    // The end of the owed byte furthest into the file (0: none).
    uint64_t owed_end() const;

    bool empty() const { return chunks_.empty() && on_the_wire_.empty(); }
    bool has_dirty() const { return !dirty_.empty(); }
    uint64_t unstable_bytes() const { return bytes_[static_cast<size_t>(State::unstable)]; }
    uint64_t owed_bytes() const;

  private:
    enum class State { dirty, sending, unstable };
    struct Chunk {
        std::shared_ptr<std::string> bytes;
        size_t start = 0;  // of this chunk's data in `bytes`
        size_t length = 0;
        State state = State::dirty;
        uint64_t tag = 0;       // sending, unstable: the WRITE it went in
        uint64_t verifier = 0;  // unstable: the verifier that WRITE was answered with
        std::string_view view() const { return std::string_view(*bytes).substr(start, length); }
    };
    using Chunks = std::map<uint64_t, Chunk>;  // by file offset; chunks never overlap

    // Every change of chunks_ goes through these, which keep bytes_ and dirty_ in step: a write
    // must not walk thousands of unstable chunks (4 KiB random writes up to the commit
    // threshold) to find the few dirty ones.
    Chunks::iterator insert(Chunks::const_iterator hint, uint64_t offset, Chunk chunk);
    Chunks::iterator erase(Chunks::iterator it);
    void erase(Chunks::iterator first, Chunks::iterator last);
    void set_state(Chunks::iterator it, State state);

    // Splits the chunk containing `offset` (if any starts before and ends after it) in two.
    void split_at(uint64_t offset);
    // Removes every byte of [begin, end) from the chunks.
    void cut(uint64_t begin, uint64_t end);
    // Ends the WRITE `tag`: `settle` updates each chunk it still covers and returns whether the
    // chunk stays owed.
    template <class Settle>
    void finish(uint64_t tag, Settle settle);
    // Appends to the dirty chunk ending at `offset` when its buffer is its own; false otherwise.
    bool append_to_previous(uint64_t offset, std::string_view data);

    Chunks chunks_;
    std::array<uint64_t, 3> bytes_{};      // by State
    std::set<uint64_t> dirty_;             // offsets of the dirty chunks
    std::map<uint64_t, Run> on_the_wire_;  // by tag: the range each WRITE on the wire covers
    uint64_t next_tag_ = 1;
};

}  // namespace nfsfuse::vfs
