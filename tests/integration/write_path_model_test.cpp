// The write path's model-based test through a real mount (the unit tier's runner drives the
// filesystem layer over a fake server): the same generated steps (tests/model/operations.h), with
// offsets and lengths scaled so they cross nfsfuse's 1 MiB WRITEs, run as system calls on a real
// nfsfuse mount of nfs-ganesha with real restarts of the server. After every step what the
// program sees (reads, sizes) equals the model; after every successful fsync and close the
// server's disk holds exactly the model's bytes; at the end the export holds the model's names.
//
// The steps run in a forked child that stops where the server restarts (harness/checkpoints.h):
// the test process runs ganesha.sh, and every exec would close (FUSE flush) the descriptors the
// steps keep open. A restart here changes the write verifier but loses nothing (ganesha's VFS
// backend writes UNSTABLE data to the host's page cache), so this tier finds data sent again
// where it must not be (after a truncate, over newer bytes) and checks the resend paths on a real
// server; losing unstable data is the unit tier's fake server's job. An interrupted fsync runs
// as a plain one, and another client's change is the unit tier's too.
//
// NFSFUSE_MODEL_MOUNT_SEEDS: how many sequences (default below); NFSFUSE_MODEL_SEED replays one.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "harness/checkpoints.h"
#include "harness/file_data.h"
#include "harness/forked_child.h"
#include "harness/own_server_test.h"
#include "harness/server_crash.h"
#include "harness/syscall_check.h"
#include "model/operations.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;
using testing::model::apply_write;
using testing::model::describe;
using testing::model::file_name;
using testing::model::Kind;
using testing::model::Step;

constexpr uint64_t kDefaultSeeds = 4;
constexpr size_t kStepsPerSequence = 40;
// The fake server's 64-byte WRITEs become nfsfuse's 1 MiB ones.
constexpr uint64_t kScale = 16 * 1024;

// A difference as a test message: where, and how long each side is.
std::string mismatch(const std::string& what, const std::string& got, const std::string& model) {
    size_t at = 0;
    while (at < got.size() && at < model.size() && got[at] == model[at]) ++at;
    return what + ": " + std::to_string(got.size()) + " bytes, the model has " +
           std::to_string(model.size()) + "; first difference at byte " + std::to_string(at);
}

// Runs in the child: the steps as system calls, checked against the model. Calls restart() where
// the server is to restart. Fails through child_require.
class MountRun {
  public:
    MountRun(std::filesystem::path mounted, std::filesystem::path on_server,
             std::function<void()> restart)
        : mounted_(std::move(mounted)),
          on_server_(std::move(on_server)),
          restart_(std::move(restart)) {}

    void execute(const std::vector<Step>& steps) {
        for (size_t i = 0; i < steps.size(); ++i) {
            step_ = "step " + std::to_string(i) + " (" + describe(steps[i]) + ")";
            step(steps[i]);
        }
        step_ = "the end";
        for (auto& slot : slots_)
            if (slot) close(slot);
        wait_for_hidden_names_to_go();
        size_t names = 0;
        for (const auto& entry : std::filesystem::directory_iterator(on_server_)) {
            const std::string name = entry.path().filename();
            require(names_.contains(name), "the server has a name too many: " + name);
            const std::string& model = contents_.at(names_.at(name));
            const std::string held = read_file(entry.path());
            require(held == model, mismatch("at the end " + name, held, model));
            ++names;
        }
        require(names == names_.size(), "the server lacks names of the model");
    }

  private:
    struct Descriptor {
        UniqueFd fd;
        uint64_t file = 0;  // the model's file
        std::string name;   // where it was opened, for the server's copy while it keeps it
    };

    // An unlinked file that was open is removed at its RELEASE, which the kernel sends after
    // close(2) returned (the kernel client removes its .nfs files after the close too).
    void wait_for_hidden_names_to_go() {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        const auto hidden_left = [&] {
            for (const auto& entry : std::filesystem::directory_iterator(on_server_))
                if (entry.path().filename().string().starts_with(".nfsfuse")) return true;
            return false;
        };
        while (hidden_left() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(50ms);
    }

    void require(bool condition, const std::string& message) {
        child_require(condition, step_ + ": " + message);
    }

    void step(const Step& s) {
        std::optional<Descriptor>& slot = slots_[s.slot];
        const std::string name = file_name(s.name);
        const uint64_t offset = s.offset * kScale;
        switch (s.kind) {
            case Kind::open:
                if (!slot && names_.contains(name)) open(slot, name, s.flag ? O_TRUNC : 0);
                return;
            case Kind::create:
                if (!slot) open(slot, name, O_CREAT);
                return;
            case Kind::write:
                if (!slot) return;
                pwrite_all(slot->fd.get(), data_of(s, kScale), static_cast<off_t>(offset));
                apply_write(contents_[slot->file], offset, data_of(s, kScale));
                return;
            case Kind::read:
                if (slot) compare_read(*slot, offset, s.length * kScale);
                return;
            case Kind::ftruncate:
                if (!slot) return;
                require(::ftruncate(slot->fd.get(), static_cast<off_t>(offset)) == 0,
                        "ftruncate: " + errno_text(errno));
                contents_[slot->file].resize(offset, '\0');
                return;
            case Kind::truncate:
                if (!names_.contains(name)) return;
                require(::truncate((mounted_ / name).c_str(), static_cast<off_t>(offset)) == 0,
                        "truncate: " + errno_text(errno));
                contents_[names_.at(name)].resize(offset, '\0');
                return;
            case Kind::fsync:
            case Kind::interrupted_fsync:
                if (!slot) return;
                require(::fsync(slot->fd.get()) == 0, "fsync: " + errno_text(errno));
                check_server(*slot, "fsync");
                return;
            case Kind::close:
                if (slot) close(slot);
                return;
            case Kind::rename:
                if (!names_.contains(name) || s.name == s.other_name) return;
                require(::rename((mounted_ / name).c_str(),
                                 (mounted_ / file_name(s.other_name)).c_str()) == 0,
                        "rename: " + errno_text(errno));
                names_[file_name(s.other_name)] = names_.at(name);
                names_.erase(name);
                rename_open(name, file_name(s.other_name));
                return;
            case Kind::unlink:
                if (!names_.contains(name)) return;
                require(::unlink((mounted_ / name).c_str()) == 0, "unlink: " + errno_text(errno));
                names_.erase(name);
                rename_open(name, "");
                return;
            case Kind::stat:
                if (slot) compare_size(*slot);
                return;
            case Kind::restart:
            case Kind::restart_in_commit:
                restart_();
                return;
            case Kind::other_client_write:
                return;
        }
    }

    void open(std::optional<Descriptor>& slot, const std::string& name, int flags) {
        const int fd = ::open((mounted_ / name).c_str(), O_RDWR | O_CLOEXEC | flags, 0644);
        require(fd >= 0, "open " + name + ": " + errno_text(errno));
        if (!names_.contains(name)) {
            names_[name] = next_file_++;
            contents_[names_.at(name)].clear();
        }
        slot = Descriptor{UniqueFd(fd), names_.at(name), name};
        if (flags & O_TRUNC) contents_[slot->file].clear();
        compare_size(*slot);
    }

    void close(std::optional<Descriptor>& slot) {
        require(slot->fd.close() == 0, "close: " + errno_text(errno));
        check_server(*slot, "close");
        slot.reset();
    }

    // Open descriptors follow their file to its new name; an unlinked one has none to check.
    void rename_open(const std::string& from, const std::string& to) {
        for (auto& slot : slots_)
            if (slot && slot->name == from) slot->name = to;
    }

    void compare_read(Descriptor& d, uint64_t offset, uint64_t length) {
        const std::string& model = contents_.at(d.file);
        const std::string expected = offset >= model.size() ? "" : model.substr(offset, length);
        std::string got(length, '\0');
        const ssize_t n = ::pread(d.fd.get(), got.data(), length, static_cast<off_t>(offset));
        require(n >= 0, "pread: " + errno_text(errno));
        got.resize(static_cast<size_t>(n));
        require(got == expected, mismatch("read at " + std::to_string(offset), got, expected));
    }

    void compare_size(Descriptor& d) {
        struct stat st {};
        require(::fstat(d.fd.get(), &st) == 0, "fstat: " + errno_text(errno));
        require(static_cast<uint64_t>(st.st_size) == contents_.at(d.file).size(),
                "size " + std::to_string(st.st_size) + ", the model has " +
                    std::to_string(contents_.at(d.file).size()));
    }

    // After a successful fsync or close the server's disk holds the model's bytes.
    void check_server(const Descriptor& d, const std::string& after) {
        if (d.name.empty() || !names_.contains(d.name) || names_.at(d.name) != d.file) return;
        const std::string held = read_file(on_server_ / d.name);
        require(held == contents_.at(d.file),
                mismatch("after " + after + " the server", held, contents_.at(d.file)));
    }

    const std::filesystem::path mounted_;
    const std::filesystem::path on_server_;
    const std::function<void()> restart_;
    std::string step_;
    std::array<std::optional<Descriptor>, testing::model::kSlots> slots_;
    std::map<std::string, uint64_t> names_;
    std::map<uint64_t, std::string> contents_;
    uint64_t next_file_ = 1;
};

class WritePathModelMountTest : public OwnServerTest {
  protected:
    // hard: WRITEs the senders have on the wire while the server restarts wait for it.
    std::vector<std::string> extra_mount_options() const override {
        return {"hard", "timeo=10", "retrans=1"};
    }
};

TEST_F(WritePathModelMountTest, RandomSequencesMatchTheModel) {
    const std::vector<uint64_t> seeds =
        testing::model::seeds_from_environment("NFSFUSE_MODEL_MOUNT_SEEDS", kDefaultSeeds);
    for (const uint64_t seed : seeds) {
        const std::string dir = "seed" + std::to_string(seed);
        std::filesystem::create_directory(srv(dir));
        const std::vector<Step> steps = testing::model::generate(seed, kStepsPerSequence);
        Checkpoints restarts;
        ForkedChild child([&] {
            MountRun(mnt(dir), srv(dir), [&] { restarts.reach("restart"); }).execute(steps);
        });
        size_t restarted = 0;
        // This process holds the pipe's other end too: a child that is done shows as no
        // checkpoint reached, not as the end of the pipe.
        const auto deadline = std::chrono::steady_clock::now() + 120s;
        while (std::chrono::steady_clock::now() < deadline) {
            const std::optional<std::string> reached = restarts.wait_reached(200ms);
            if (!reached) {
                if (!child.running()) break;
                continue;
            }
            ASSERT_EQ(*reached, "restart");
            restart_with_new_verifier(server());
            ++restarted;
            restarts.resume();
        }
        const auto outcome = child.wait(60s);
        ASSERT_TRUE(outcome.has_value()) << "seed " << seed << ": the steps hang";
        ASSERT_TRUE(outcome->ok()) << "seed " << seed << ": " << outcome->describe()
                                   << "\nreplay: NFSFUSE_MODEL_SEED=" << seed << "\nsteps:\n"
                                   << describe(steps);
        std::cout << "seed " << seed << ": " << steps.size() << " steps, " << restarted
                  << " server restarts, matched\n";
    }
}

}  // namespace
}  // namespace nfsfuse::it
