// The raw libnfs baseline of io_bench.sh: the same workloads as nfsfuse runs through FUSE, made
// with libnfs's synchronous NFSv3 API directly, so the difference to nfsfuse is what FUSE and
// nfsfuse add (or save). No caches of our own, and libnfs's optional ones are off.
//
//   raw_libnfs_bench --server HOST --export PATH --nfs-port N --mount-port N COMMAND ARG...
//
//   info                          print the READ/WRITE sizes the server allows (readmax, writemax)
//   write FILE MIB                create FILE, write MIB MiB of zeros in 1 MiB pwrites, fsync
//   read FILE PASSES              read FILE sequentially in 1 MiB preads, PASSES times
//   randread FILE JOBS SECONDS    4 KiB preads at random aligned offsets from JOBS threads, each
//                                 with its own connection, for SECONDS
//   meta DIR COUNT                mkdir DIR; create COUNT empty files; stat each; list DIR; unlink
//                                 each; rmdir DIR (each phase timed)
//
// FILE and DIR are paths inside the export ("/raw/seq.dat"). Results go to stdout as "key value"
// lines for the script; every failed call ends the program with status 1 and libnfs's message.
// libnfs.h first: it defines what the raw headers use (NFS_V3 is in libnfs-raw-nfs.h).
// clang-format off
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nfs.h>
// clang-format on

#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

constexpr uint64_t kMiB = 1024 * 1024;
// What io_bench.sh asks of every client: 1 MiB sequential requests. libnfs 4.0 has no
// nfs_set_readmax/writemax; it uses the server's FSINFO rtmax/wtmax (and refuses servers above
// its own limit of 1 MiB + 4 KiB), so a request is min(1 MiB, server maximum).
constexpr uint64_t kSequentialRequest = kMiB;
constexpr uint64_t kRandomRequest = 4096;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

struct ServerAddress {
    std::string host = "127.0.0.1";
    std::string export_path;
    unsigned nfs_port = 0;
    unsigned mount_port = 0;
};

// A libnfs context: one TCP connection to the server, not thread-safe. Every failure throws
// with the call that failed and libnfs's own message.
class Connection {
  public:
    explicit Connection(const ServerAddress& server) : nfs_(nfs_init_context()) {
        if (!nfs_) throw std::runtime_error("nfs_init_context failed (out of memory)");
        check(nfs_set_version(get(), NFS_V3), "nfs_set_version");
        // libnfs keeps opendir results and revalidates them by mtime; the listing must really
        // be read from the server every time.
        nfs_set_dircache(get(), 0);
        set_ports(server);
        check(nfs_mount(get(), server.host.c_str(), server.export_path.c_str()),
              "nfs_mount " + server.host + ":" + server.export_path);
    }

    nfs_context* get() const { return nfs_.get(); }

    // Turns libnfs's "negative errno" convention into an exception; returns rc when it is >= 0.
    int check(int rc, const std::string& what) const {
        if (rc < 0) {
            throw std::runtime_error(what + ": " + nfs_get_error(get()) + " (" +
                                     std::strerror(-rc) + ")");
        }
        return rc;
    }

  private:
    // libnfs 4.0 sets ports only from URL arguments (no nfs_set_nfsport/mountport yet). The
    // ports are always given: rpcbind may name another ganesha on this machine.
    void set_ports(const ServerAddress& server) {
        const std::string url = "nfs://" + server.host +
                                "/?nfsport=" + std::to_string(server.nfs_port) +
                                "&mountport=" + std::to_string(server.mount_port);
        nfs_url* parsed = nfs_parse_url_incomplete(get(), url.c_str());
        if (!parsed)
            throw std::runtime_error("cannot set ports: " + std::string(nfs_get_error(get())));
        nfs_destroy_url(parsed);
    }

    // Destroying the context also closes its connection.
    struct Destroy {
        void operator()(nfs_context* nfs) const { nfs_destroy_context(nfs); }
    };
    std::unique_ptr<nfs_context, Destroy> nfs_;
};

// An open file. close() reports its error. The destructor closes only a file that an error left
// open: that first error is the one worth reporting, so a failing close there is not.
class File {
  public:
    File(Connection& connection, nfsfh* handle, std::string path)
        : connection_(connection), handle_(handle), path_(std::move(path)) {}
    ~File() {
        if (handle_) nfs_close(connection_.get(), handle_);
    }
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    static File open(Connection& connection, const std::string& path, int flags) {
        nfsfh* handle = nullptr;
        connection.check(nfs_open(connection.get(), path.c_str(), flags, &handle),
                         "nfs_open " + path);
        return File(connection, handle, path);
    }

    static File create(Connection& connection, const std::string& path) {
        nfsfh* handle = nullptr;
        connection.check(
            nfs_create(connection.get(), path.c_str(), O_WRONLY | O_TRUNC, 0644, &handle),
            "nfs_create " + path);
        return File(connection, handle, path);
    }

    nfsfh* get() const { return handle_; }
    const std::string& path() const { return path_; }

    uint64_t size() const {
        struct nfs_stat_64 st {};
        connection_.check(nfs_fstat64(connection_.get(), handle_, &st), "nfs_fstat64 " + path_);
        return st.nfs_size;
    }

    void close() {
        nfsfh* handle = std::exchange(handle_, nullptr);
        connection_.check(nfs_close(connection_.get(), handle), "nfs_close " + path_);
    }

  private:
    Connection& connection_;
    nfsfh* handle_;
    std::string path_;
};

void print_value(std::string_view key, double value) {
    std::printf("%.*s %.6f\n", static_cast<int>(key.size()), key.data(), value);
}

void print_value(std::string_view key, uint64_t value) {
    std::printf("%.*s %" PRIu64 "\n", static_cast<int>(key.size()), key.data(), value);
}

uint64_t parse_number(std::string_view text, std::string_view what) {
    uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        throw std::invalid_argument(std::string(what) + " must be a number, not '" +
                                    std::string(text) + "'");
    }
    return value;
}

unsigned parse_port(std::string_view text, std::string_view what) {
    const uint64_t port = parse_number(text, what);
    if (port == 0 || port > 65535) throw std::invalid_argument(std::string(what) + " out of range");
    return static_cast<unsigned>(port);
}

// ---- the workloads ------------------------------------------------------------------------------

void run_info(const ServerAddress& server) {
    Connection connection(server);
    print_value("readmax", nfs_get_readmax(connection.get()));
    print_value("writemax", nfs_get_writemax(connection.get()));
}

void run_write(const ServerAddress& server, const std::string& path, uint64_t mib) {
    Connection connection(server);
    const uint64_t request = std::min(kSequentialRequest, nfs_get_writemax(connection.get()));
    const std::vector<char> zeros(request, 0);
    const uint64_t total = mib * kMiB;

    const auto start = Clock::now();
    File file = File::create(connection, path);
    for (uint64_t offset = 0; offset < total;) {
        const uint64_t count = std::min(request, total - offset);
        // A short write is legal (the server may take less); the rest goes in the next call.
        const int written =
            connection.check(nfs_pwrite(connection.get(), file.get(), offset, count, zeros.data()),
                             "nfs_pwrite " + path);
        if (written == 0) throw std::runtime_error("nfs_pwrite " + path + " wrote nothing");
        offset += static_cast<uint64_t>(written);
    }
    // libnfs writes UNSTABLE unless the file was opened O_SYNC; fsync sends the COMMIT.
    connection.check(nfs_fsync(connection.get(), file.get()), "nfs_fsync " + path);
    file.close();
    const double elapsed = seconds_since(start);

    struct nfs_stat_64 st {};
    connection.check(nfs_stat64(connection.get(), path.c_str(), &st), "nfs_stat64 " + path);
    if (st.nfs_size != total) {
        throw std::runtime_error(path + " has " + std::to_string(st.nfs_size) +
                                 " bytes after writing " + std::to_string(total));
    }
    print_value("seconds", elapsed);
    print_value("bytes", total);
    print_value("request", request);
}

// Reads the whole file once; returns the bytes read, which must be the size it had at open.
uint64_t read_whole_file(Connection& connection, File& file, std::vector<char>& buffer) {
    const uint64_t expected = file.size();
    uint64_t offset = 0;
    for (;;) {
        const int got = connection.check(
            nfs_pread(connection.get(), file.get(), offset, buffer.size(), buffer.data()),
            "nfs_pread " + file.path());
        if (got == 0) break;  // end of file
        offset += static_cast<uint64_t>(got);
    }
    if (offset != expected) {
        throw std::runtime_error("read " + std::to_string(offset) + " bytes of " + file.path() +
                                 ", which has " + std::to_string(expected));
    }
    return offset;
}

void run_read(const ServerAddress& server, const std::string& path, uint64_t passes) {
    Connection connection(server);
    const uint64_t request = std::min(kSequentialRequest, nfs_get_readmax(connection.get()));
    std::vector<char> buffer(request);
    for (uint64_t pass = 1; pass <= passes; ++pass) {
        const auto start = Clock::now();
        File file = File::open(connection, path, O_RDONLY);
        const uint64_t bytes = read_whole_file(connection, file, buffer);
        file.close();
        print_value("seconds", seconds_since(start));
        print_value("bytes", bytes);
    }
    print_value("request", request);
}

// randread's start line: the last thread to connect starts the clock for all, so connecting is
// not part of the measurement.
struct StartClock {
    Clock::time_point* start;
    Clock::time_point* deadline;
    std::chrono::seconds duration;
    void operator()() const noexcept {
        *start = Clock::now();
        *deadline = *start + duration;
    }
};
using StartLine = std::barrier<StartClock>;

// One thread of randread: its own connection and file, reads until the deadline.
struct RandomReader {
    uint64_t reads = 0;
    std::string error;  // empty on success

    void run(const ServerAddress& server, const std::string& path, uint64_t seed, StartLine& ready,
             std::atomic<bool>& failed, const Clock::time_point* deadline) {
        // Every thread reaches the barrier once, even after a failure: the others wait there.
        bool arrived = false;
        try {
            Connection connection(server);
            File file = File::open(connection, path, O_RDONLY);
            const uint64_t blocks = file.size() / kRandomRequest;
            if (blocks == 0) throw std::runtime_error(path + " is smaller than one read");
            std::mt19937_64 random(seed);
            std::uniform_int_distribution<uint64_t> block(0, blocks - 1);
            std::vector<char> buffer(kRandomRequest);
            ready.arrive_and_wait();
            arrived = true;
            while (!failed.load(std::memory_order_relaxed) && Clock::now() < *deadline) {
                const uint64_t offset = block(random) * kRandomRequest;
                const int got = connection.check(
                    nfs_pread(connection.get(), file.get(), offset, kRandomRequest, buffer.data()),
                    "nfs_pread " + path);
                if (static_cast<uint64_t>(got) != kRandomRequest) {
                    throw std::runtime_error("short read of " + path + " at " +
                                             std::to_string(offset));
                }
                ++reads;
            }
            file.close();
        } catch (const std::exception& e) {
            error = e.what();
            failed = true;
            if (!arrived) ready.arrive_and_wait();
        }
    }
};

void run_randread(const ServerAddress& server, const std::string& path, uint64_t jobs,
                  uint64_t seconds) {
    if (jobs == 0 || seconds == 0) throw std::invalid_argument("JOBS and SECONDS must be > 0");
    std::vector<RandomReader> readers(jobs);
    std::atomic<bool> failed = false;
    Clock::time_point start;
    Clock::time_point deadline;
    StartLine ready(static_cast<std::ptrdiff_t>(jobs),
                    StartClock{&start, &deadline, std::chrono::seconds(seconds)});
    std::vector<std::thread> threads;
    for (uint64_t i = 0; i < jobs; ++i) {
        threads.emplace_back([&, i] {
            readers[i].run(server, path, 0x9e3779b97f4a7c15ULL * (i + 1), ready, failed, &deadline);
        });
    }
    for (std::thread& thread : threads) thread.join();
    const double elapsed = seconds_since(start);

    uint64_t reads = 0;
    for (const RandomReader& reader : readers) {
        if (!reader.error.empty()) throw std::runtime_error(reader.error);
        reads += reader.reads;
    }
    print_value("reads", reads);
    print_value("seconds", elapsed);
    print_value("iops", static_cast<double>(reads) / elapsed);
}

std::vector<std::string> file_names(uint64_t count) {
    std::vector<std::string> names;
    names.reserve(count);
    char name[32];
    for (uint64_t i = 0; i < count; ++i) {
        std::snprintf(name, sizeof name, "f%06" PRIu64, i);
        names.emplace_back(name);
    }
    return names;  // sorted: the numbers have the same width
}

void create_files(Connection& connection, const std::string& dir,
                  const std::vector<std::string>& names) {
    for (const std::string& name : names) {
        const std::string path = dir + "/" + name;
        nfsfh* handle = nullptr;
        connection.check(nfs_creat(connection.get(), path.c_str(), 0644, &handle),
                         "nfs_creat " + path);
        File(connection, handle, path).close();
    }
}

void stat_files(Connection& connection, const std::string& dir,
                const std::vector<std::string>& names) {
    for (const std::string& name : names) {
        const std::string path = dir + "/" + name;
        struct nfs_stat_64 st {};
        connection.check(nfs_stat64(connection.get(), path.c_str(), &st), "nfs_stat64 " + path);
        if (st.nfs_size != 0) throw std::runtime_error(path + " is not empty");
    }
}

std::vector<std::string> list_directory(Connection& connection, const std::string& dir) {
    nfsdir* handle = nullptr;
    connection.check(nfs_opendir(connection.get(), dir.c_str(), &handle), "nfs_opendir " + dir);
    std::vector<std::string> names;
    while (nfsdirent* entry = nfs_readdir(connection.get(), handle)) {
        const std::string_view name = entry->name;
        if (name != "." && name != "..") names.emplace_back(name);
    }
    nfs_closedir(connection.get(), handle);
    return names;
}

void unlink_files(Connection& connection, const std::string& dir,
                  const std::vector<std::string>& names) {
    for (const std::string& name : names) {
        const std::string path = dir + "/" + name;
        connection.check(nfs_unlink(connection.get(), path.c_str()), "nfs_unlink " + path);
    }
}

void run_meta(const ServerAddress& server, const std::string& dir, uint64_t count) {
    Connection connection(server);
    const std::vector<std::string> names = file_names(count);
    connection.check(nfs_mkdir(connection.get(), dir.c_str()), "nfs_mkdir " + dir);

    auto start = Clock::now();
    create_files(connection, dir, names);
    print_value("create_seconds", seconds_since(start));

    start = Clock::now();
    stat_files(connection, dir, names);
    print_value("stat_seconds", seconds_since(start));

    start = Clock::now();
    std::vector<std::string> listed = list_directory(connection, dir);
    print_value("list_seconds", seconds_since(start));
    std::sort(listed.begin(), listed.end());
    if (listed != names) {
        throw std::runtime_error("listing " + dir + " gave " + std::to_string(listed.size()) +
                                 " names, not exactly the " + std::to_string(count) + " created");
    }

    start = Clock::now();
    unlink_files(connection, dir, names);
    print_value("unlink_seconds", seconds_since(start));

    // rmdir fails on a directory that is not empty: the last check that every unlink happened.
    connection.check(nfs_rmdir(connection.get(), dir.c_str()), "nfs_rmdir " + dir);
    print_value("files", count);
}

// ---- command line -------------------------------------------------------------------------------

[[noreturn]] void usage() {
    std::fputs(
        "usage: raw_libnfs_bench [--server HOST] --export PATH --nfs-port N --mount-port N\n"
        "                        COMMAND ARG...\n"
        "  info | write FILE MIB | read FILE PASSES | randread FILE JOBS SECONDS |"
        " meta DIR COUNT\n",
        stderr);
    std::exit(2);
}

void run(const std::vector<std::string_view>& args) {
    ServerAddress server;
    size_t i = 0;
    for (; i + 1 < args.size() && args[i].starts_with("--"); i += 2) {
        const std::string_view option = args[i], value = args[i + 1];
        if (option == "--server") {
            server.host = value;
        } else if (option == "--export") {
            server.export_path = value;
        } else if (option == "--nfs-port") {
            server.nfs_port = parse_port(value, option);
        } else if (option == "--mount-port") {
            server.mount_port = parse_port(value, option);
        } else {
            usage();
        }
    }
    if (server.export_path.empty() || !server.nfs_port || !server.mount_port || i >= args.size())
        usage();
    const std::string_view command = args[i];
    const std::vector<std::string_view> rest(args.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                             args.end());
    const auto arg = [&](size_t n) { return std::string(rest.at(n)); };
    if (command == "info" && rest.empty()) {
        run_info(server);
    } else if (command == "write" && rest.size() == 2) {
        run_write(server, arg(0), parse_number(rest[1], "MIB"));
    } else if (command == "read" && rest.size() == 2) {
        run_read(server, arg(0), parse_number(rest[1], "PASSES"));
    } else if (command == "randread" && rest.size() == 3) {
        run_randread(server, arg(0), parse_number(rest[1], "JOBS"),
                     parse_number(rest[2], "SECONDS"));
    } else if (command == "meta" && rest.size() == 2) {
        run_meta(server, arg(0), parse_number(rest[1], "COUNT"));
    } else {
        usage();
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        run(std::vector<std::string_view>(argv + 1, argv + argc));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "raw_libnfs_bench: %s\n", e.what());
        return 1;
    }
    // Results are read by a script: a failed write to stdout must not look like success.
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
        std::perror("raw_libnfs_bench: writing the results");
        return 1;
    }
    return 0;
}
