// Model-based test of the write path (the method of mountpoint-s3's reference tests): random
// sequences of steps (model/operations.h) run against the filesystem layer over an in-memory
// server that loses unstable data when it restarts, and against a reference model that is just
// the bytes each file should hold. After every step what the program sees (reads, sizes) equals
// the model; after every successful fsync and close the server holds exactly the model's bytes,
// durably; at the end, with everything closed, the server's tree is the model's.
//
// NFSFUSE_MODEL_SEEDS sets how many sequences run (default below); NFSFUSE_MODEL_SEED replays
// one. A failing sequence is shrunk (steps removed while it still fails) and printed with its
// seed. The write-behind threads make the interleaving of background WRITEs vary between runs,
// so a replay may take another path to the same check.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "fake_nfs_server.h"
#include "model/operations.h"
#include "util/error.h"
#include "vfs/filesystem.h"

namespace nfsfuse::testing::model {
namespace {

constexpr uint64_t kDefaultSeeds = 20000;
constexpr size_t kStepsPerSequence = 60;
constexpr uint64_t kRootIno = 1;

// The check that failed, or nothing.
using Outcome = std::optional<std::string>;

struct Descriptor {
    uint64_t handle = 0;
    uint64_t ino = 0;
    uint64_t fileid = 0;
    nfs::FileHandle fh;
};

// One sequence against a fresh server, filesystem and model.
class Run {
  public:
    Run() : filesystem_(server_, settings()) { server_.set_max_transfer(64); }
    ~Run() { server_.set_before_call(nullptr); }

    Outcome execute(const std::vector<Step>& steps) {
        try {
            for (size_t i = 0; i < steps.size(); ++i) {
                if (Outcome failed = step(steps[i]))
                    return "step " + std::to_string(i) + " (" + describe(steps[i]) +
                           "): " + *failed;
            }
            return finish();
        } catch (const Error& e) {
            return std::string("unexpected error: ") + e.what();
        }
    }

  private:
    static vfs::FilesystemSettings settings() {
        vfs::FilesystemSettings settings;
        settings.cache_block_bytes = 64;
        settings.block_cache_bytes = 64 * 64;
        // A few WRITEs: background COMMITs race the steps, restarts among them.
        settings.commit_threshold_bytes = 64;
        return settings;
    }

    Outcome step(const Step& s) {
        std::optional<Descriptor>& slot = slots_[s.slot];
        const std::string name = file_name(s.name);
        switch (s.kind) {
            case Kind::open:
                if (slot || !names_.contains(name)) return {};
                return open(slot, name, s.flag ? O_RDWR | O_TRUNC : O_RDWR);
            case Kind::create:
                if (slot) return {};
                return create(slot, name);
            case Kind::write:
                if (!slot) return {};
                filesystem_.write(cancel_, slot->handle, s.offset, data_of(s));
                apply_write(contents_[slot->fileid], s.offset, data_of(s));
                return {};
            case Kind::read:
                if (!slot) return {};
                return compare_read(*slot, s.offset, s.length);
            case Kind::ftruncate:
                if (!slot) return {};
                return truncate(slot->ino, slot->handle, slot->fileid, s.offset);
            case Kind::truncate: {
                if (!names_.contains(name)) return {};
                const vfs::EntryReply entry = filesystem_.lookup(cancel_, kRootIno, name);
                return truncate(entry.ino, std::nullopt, names_.at(name), s.offset);
            }
            case Kind::fsync:
                if (!slot) return {};
                filesystem_.flush(cancel_, slot->handle);
                return check_durable(*slot, "fsync");
            case Kind::interrupted_fsync:
                if (!slot) return {};
                return interrupted_fsync(*slot, s.length);
            case Kind::close:
                if (!slot) return {};
                return close(slot);
            case Kind::rename:
                if (!names_.contains(name) || s.name == s.other_name) return {};
                filesystem_.rename(cancel_, kRootIno, name, kRootIno, file_name(s.other_name), 0);
                names_[file_name(s.other_name)] = names_.at(name);
                names_.erase(name);
                return {};
            case Kind::unlink:
                if (!names_.contains(name)) return {};
                filesystem_.unlink(cancel_, kRootIno, name);
                names_.erase(name);
                return {};
            case Kind::stat:
                if (!slot) return {};
                return compare_size(*slot);
            case Kind::restart:
                server_.restart();
                return {};
            case Kind::restart_in_commit:
                restart_at_next_commit();
                return {};
            case Kind::other_client_write:
                return other_client_write(s);
        }
        return {};
    }

    Outcome open(std::optional<Descriptor>& slot, const std::string& name, int flags) {
        const vfs::EntryReply entry = filesystem_.lookup(cancel_, kRootIno, name);
        const vfs::OpenReply opened = filesystem_.open(cancel_, entry.ino, flags);
        slot = Descriptor{opened.handle, entry.ino, entry.attributes.fileid, server_.resolve(name)};
        if (flags & O_TRUNC) contents_[slot->fileid].clear();
        return compare_size(*slot);
    }

    Outcome create(std::optional<Descriptor>& slot, const std::string& name) {
        const vfs::CreateReply created =
            filesystem_.create(cancel_, kRootIno, name, 0644, O_RDWR | O_CREAT);
        const uint64_t fileid = created.entry.attributes.fileid;
        slot = Descriptor{created.open.handle, created.entry.ino, fileid, server_.resolve(name)};
        if (!names_.contains(name)) contents_[fileid].clear();
        names_[name] = fileid;
        return compare_size(*slot);
    }

    Outcome close(std::optional<Descriptor>& slot) {
        filesystem_.flush(cancel_, slot->handle);
        Outcome durable = check_durable(*slot, "close");
        filesystem_.release_received(slot->handle);
        filesystem_.release(slot->handle);
        slot.reset();
        return durable;
    }

    Outcome truncate(uint64_t ino, std::optional<uint64_t> handle, uint64_t fileid, uint64_t size) {
        nfs::SetAttributes changes;
        changes.size = size;
        const vfs::AttributesReply reply = filesystem_.setattr(cancel_, ino, handle, changes);
        contents_[fileid].resize(size, '\0');
        if (reply.attributes.size != size)
            return "truncate to " + std::to_string(size) + " answered size " +
                   std::to_string(reply.attributes.size);
        return {};
    }

    Outcome interrupted_fsync(const Descriptor& d, uint32_t at_call) {
        // Shared with the hook: write-behind's threads may still run it after this returns.
        auto interrupted = std::make_shared<nfs::CallContext>();
        auto calls = std::make_shared<std::atomic<uint64_t>>(0);
        server_.set_before_call([interrupted, calls, at_call](const std::string&) {
            if (++*calls == at_call) interrupted->cancel();
        });
        bool done = true;
        try {
            filesystem_.flush(*interrupted, d.handle);
        } catch (const Error& e) {
            if (e.errnum() != EINTR) throw;
            done = false;  // nothing promised: the data is still owed
        }
        server_.set_before_call(nullptr);
        return done ? check_durable(d, "fsync (not interrupted after all)") : Outcome{};
    }

    void restart_at_next_commit() {
        auto armed = std::make_shared<std::atomic<bool>>(true);
        server_.set_before_call([this, armed](const std::string& procedure) {
            if (procedure == "COMMIT" && armed->exchange(false)) server_.restart();
        });
    }

    Outcome other_client_write(const Step& s) {
        const std::string name = file_name(s.name);
        if (!names_.contains(name)) return {};
        const uint64_t fileid = names_.at(name);
        for (const auto& slot : slots_)
            if (slot && slot->fileid == fileid) return {};  // close-to-open: not while open
        server_.write_as_another_client(server_.resolve(name), s.offset, data_of(s));
        apply_write(contents_[fileid], s.offset, data_of(s));
        return {};
    }

    Outcome compare_read(const Descriptor& d, uint64_t offset, uint32_t length) {
        std::string got;
        for (const auto& piece : filesystem_.read(cancel_, d.handle, offset, length))
            got.append(piece.data, piece.size);
        const std::string& model = contents_.at(d.fileid);
        const std::string expected =
            offset >= model.size() ? std::string() : model.substr(offset, length);
        if (got == expected) return {};
        return "read " + std::to_string(length) + " at " + std::to_string(offset) + " gave \"" +
               got + "\", the model has \"" + expected + "\"";
    }

    Outcome compare_size(const Descriptor& d) {
        const uint64_t size = filesystem_.getattr(cancel_, d.ino).attributes.size;
        const uint64_t expected = contents_.at(d.fileid).size();
        if (size == expected) return {};
        return "size " + std::to_string(size) + ", the model has " + std::to_string(expected);
    }

    Outcome check_durable(const Descriptor& d, const std::string& after) {
        const std::string& model = contents_.at(d.fileid);
        const std::string durable = server_.durable_contents(d.fh);
        if (durable != model)
            return "after " + after + " the server durably holds \"" + durable +
                   "\", the model has \"" + model + "\"";
        if (server_.contents(d.fh) != model)
            return "after " + after + " the server holds other bytes";
        return {};
    }

    // Everything closed: the server's tree is the model's, and no hidden file is left.
    Outcome finish() {
        for (auto& slot : slots_) {
            if (!slot) continue;
            if (Outcome failed = close(slot)) return "final " + *failed;
        }
        const auto listing = server_.readdir(cancel_, server_.root());
        if (listing.size() != names_.size())
            return "the server has " + std::to_string(listing.size()) + " names, the model " +
                   std::to_string(names_.size());
        for (const auto& entry : listing) {
            if (!names_.contains(entry.name))
                return "the server has a name too many: " + entry.name;
            const std::string durable = server_.durable_contents(entry.entry->handle);
            if (durable != contents_.at(names_.at(entry.name)))
                return "at the end " + entry.name + " holds \"" + durable + "\", the model \"" +
                       contents_.at(names_.at(entry.name)) + "\"";
        }
        return {};
    }

    FakeNfsServer server_;
    vfs::Filesystem filesystem_;
    nfs::CallContext cancel_;
    std::array<std::optional<Descriptor>, kSlots> slots_;
    std::map<std::string, uint64_t> names_;     // name -> fileid
    std::map<uint64_t, std::string> contents_;  // fileid -> what the file should hold
};

Outcome run(const std::vector<Step>& steps) {
    return Run().execute(steps);
}

// Removes steps, in chunks and then one by one, while the sequence still fails.
std::vector<Step> shrink(std::vector<Step> steps) {
    int budget = 400;
    for (size_t chunk = steps.size() / 2; chunk >= 1 && budget > 0; chunk /= 2) {
        for (size_t start = 0; start + chunk <= steps.size() && budget > 0;) {
            std::vector<Step> smaller = steps;
            smaller.erase(smaller.begin() + static_cast<ptrdiff_t>(start),
                          smaller.begin() + static_cast<ptrdiff_t>(start + chunk));
            --budget;
            if (run(smaller)) {
                steps = std::move(smaller);
            } else {
                start += chunk;
            }
        }
    }
    return steps;
}

// The resends of thousands of sequences would flood the log with warnings.
class QuietLog {
  public:
    QuietLog() : level_(spdlog::get_level()) { spdlog::set_level(spdlog::level::err); }
    ~QuietLog() { spdlog::set_level(level_); }
    QuietLog(const QuietLog&) = delete;
    QuietLog& operator=(const QuietLog&) = delete;

  private:
    spdlog::level::level_enum level_;
};

TEST(WritePathModelTest, RandomSequencesMatchTheModel) {
    const QuietLog quiet;
    const std::vector<uint64_t> seeds =
        seeds_from_environment("NFSFUSE_MODEL_SEEDS", kDefaultSeeds);
    for (const uint64_t seed : seeds) {
        const std::vector<Step> steps = generate(seed, kStepsPerSequence);
        const Outcome failed = run(steps);
        if (!failed) continue;
        const std::vector<Step> shrunk = shrink(steps);
        const Outcome shrunk_failure = run(shrunk);
        FAIL() << "seed " << seed << " failed: " << *failed
               << "\nreplay: NFSFUSE_MODEL_SEED=" << seed
               << " nfsfuse_unit_tests --gtest_filter=WritePathModelTest.*\nshrunk to "
               << shrunk.size() << " steps (" << shrunk_failure.value_or("passed when replayed")
               << "):\n"
               << describe(shrunk);
    }
    std::cout << seeds.size() << " sequences of " << kStepsPerSequence << " steps matched\n";
}

}  // namespace
}  // namespace nfsfuse::testing::model
