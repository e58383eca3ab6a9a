// The driver's state file: JSON
// {"version":1,"volumes":{NAME:{"options":{},"created_at":"","mode":"","nfs_version":"",
// "mount_ids":[],"server_process":{"pid":N,"start_time":N},
// "pending":{"transition":"mounting|unmounting|removing","id":""}}}}, replaced
// atomically (FILE.tmp, fsync, rename, fsync of the directory). Thread-safety: none of its own (see
// state_store.h); every call works on the file system only.
#include "driver/state_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "driver/file_descriptor.h"
#include "util/error.h"

namespace nfsfuse::driver {
namespace {

constexpr int kStateVersion = 1;

using nlohmann::json;

constexpr std::pair<PendingTransition, const char*> kTransitionNames[] = {
    {PendingTransition::mounting, "mounting"},
    {PendingTransition::unmounting, "unmounting"},
    {PendingTransition::removing, "removing"},
};

const char* name_of(PendingTransition transition) {
    for (const auto& [value, name] : kTransitionNames) {
        if (value == transition) return name;
    }
    return "none";
}

std::optional<PendingTransition> transition_named(const std::string& text) {
    for (const auto& [value, name] : kTransitionNames) {
        if (text == name) return value;
    }
    return std::nullopt;
}

// Error(errno, "<file>: <step>: <strerror>") for the errno of the failed step.
Error step_error(const std::filesystem::path& file, const std::string& step, int errnum) {
    return Error(errnum, file.string() + ": " + step + ": " + std::strerror(errnum));
}

Error corrupt(const std::filesystem::path& file, const std::string& cause) {
    return Error(EIO, file.string() + ": " + cause);
}

// mkdir -p with mode 0700 for the directories it creates.
void create_directories(const std::filesystem::path& file, const std::filesystem::path& directory) {
    if (directory.empty()) return;
    struct stat status {};
    if (::stat(directory.c_str(), &status) == 0) {
        if (!S_ISDIR(status.st_mode)) {
            throw step_error(file, "create directory " + directory.string(), ENOTDIR);
        }
        return;
    }
    if (errno != ENOENT) throw step_error(file, "stat " + directory.string(), errno);
    if (directory.has_parent_path() && directory.parent_path() != directory) {
        create_directories(file, directory.parent_path());
    }
    if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
        throw step_error(file, "create directory " + directory.string(), errno);
    }
}

std::string read_all(const std::filesystem::path& file, int fd) {
    std::string text;
    char buffer[16 * 1024];
    for (;;) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw Error(EIO, file.string() + ": read: " + std::strerror(errno));
        }
        if (got == 0) return text;
        text.append(buffer, static_cast<size_t>(got));
    }
}

void write_all(const std::filesystem::path& file, const std::filesystem::path& temporary, int fd,
               const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t wrote = ::write(fd, text.data() + done, text.size() - done);
        if (wrote < 0) {
            if (errno == EINTR) continue;
            throw step_error(file, "write " + temporary.string(), errno);
        }
        done += static_cast<size_t>(wrote);
    }
}

VolumeRecord record_from_json(const std::filesystem::path& file, const std::string& name,
                              const json& value) {
    const std::string where = "volume \"" + name + "\": ";
    if (!value.is_object()) throw corrupt(file, where + "not an object");
    VolumeRecord record;
    const auto options = value.find("options");
    if (options == value.end() || !options->is_object()) {
        throw corrupt(file, where + "\"options\" missing or not an object");
    }
    for (const auto& [key, option] : options->items()) {
        if (!option.is_string()) {
            throw corrupt(file, where + "option \"" + key + "\" is not a string");
        }
        record.options.emplace(key, option.get<std::string>());
    }
    if (const auto created_at = value.find("created_at"); created_at != value.end()) {
        if (!created_at->is_string()) throw corrupt(file, where + "\"created_at\" is not a string");
        record.created_at = created_at->get<std::string>();
    }
    if (const auto mode = value.find("mode"); mode != value.end()) {
        if (!mode->is_string()) throw corrupt(file, where + "\"mode\" is not a string");
        record.mode = mode->get<std::string>();
    }
    if (const auto version = value.find("nfs_version"); version != value.end()) {
        if (!version->is_string()) throw corrupt(file, where + "\"nfs_version\" is not a string");
        record.nfs_version = version->get<std::string>();
    }
    if (const auto ids = value.find("mount_ids"); ids != value.end()) {
        if (!ids->is_array()) throw corrupt(file, where + "\"mount_ids\" is not an array");
        for (const auto& id : *ids) {
            if (!id.is_string()) throw corrupt(file, where + "a mount ID is not a string");
            record.mount_ids.insert(id.get<std::string>());
        }
    }
    if (const auto server = value.find("server_process"); server != value.end()) {
        const auto pid = server->find("pid");
        const auto start_time = server->find("start_time");
        if (!server->is_object() || pid == server->end() || !pid->is_number_integer() ||
            *pid <= 0 || start_time == server->end() || !start_time->is_number_unsigned())
            throw corrupt(file, where + "\"server_process\" is not {\"pid\", \"start_time\"}");
        record.server = ServerProcess{pid->get<pid_t>(), start_time->get<uint64_t>()};
    }
    if (const auto pending = value.find("pending"); pending != value.end()) {
        const auto transition = pending->find("transition");
        const auto id = pending->find("id");
        const auto known = transition != pending->end() && transition->is_string()
                               ? transition_named(transition->get<std::string>())
                               : std::nullopt;
        if (!pending->is_object() || !known || id == pending->end() || !id->is_string())
            throw corrupt(file, where + "\"pending\" is not {\"transition\", \"id\"}");
        record.pending = *known;
        record.pending_id = id->get<std::string>();
    }
    return record;
}

}  // namespace

StateStore::StateStore(std::filesystem::path file) : file_(std::move(file)) {}

VolumeRecords StateStore::load() const {
    FileDescriptor fd(::open(file_.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) return {};
        throw Error(EIO, file_.string() + ": open: " + std::strerror(errno));
    }
    const std::string text = read_all(file_, fd.get());

    json document;
    try {
        document = json::parse(text);
    } catch (const json::exception& error) {
        throw corrupt(file_, std::string("not valid JSON: ") + error.what());
    }
    if (!document.is_object()) throw corrupt(file_, "not a JSON object");
    const auto version = document.find("version");
    if (version == document.end() || !version->is_number_integer()) {
        throw corrupt(file_, "\"version\" missing or not an integer");
    }
    if (version->get<long long>() != kStateVersion) {
        throw corrupt(file_, "unsupported state version " + version->dump() + " (expected " +
                                 std::to_string(kStateVersion) + ")");
    }
    const auto volumes = document.find("volumes");
    if (volumes == document.end() || !volumes->is_object()) {
        throw corrupt(file_, "\"volumes\" missing or not an object");
    }
    VolumeRecords records;
    for (const auto& [name, value] : volumes->items()) {
        records.emplace(name, record_from_json(file_, name, value));
    }
    return records;
}

void StateStore::save(const VolumeRecords& records) const {
    json volumes = json::object();
    for (const auto& [name, record] : records) {
        json options = json::object();
        for (const auto& [key, value] : record.options) options[key] = value;
        json ids = json::array();
        for (const auto& id : record.mount_ids) ids.push_back(id);
        volumes[name] = {
            {"options", std::move(options)}, {"created_at", record.created_at},
            {"mode", record.mode},           {"nfs_version", record.nfs_version},
            {"mount_ids", std::move(ids)},
        };
        if (record.server) {
            volumes[name]["server_process"] = {{"pid", record.server->pid},
                                               {"start_time", record.server->start_time}};
        }
        if (record.pending != PendingTransition::none) {
            volumes[name]["pending"] = {{"transition", name_of(record.pending)},
                                        {"id", record.pending_id}};
        }
    }
    const json document = {{"version", kStateVersion}, {"volumes", std::move(volumes)}};
    // Invalid UTF-8 cannot come from Docker (its JSON parser rejects it) but must not throw here.
    const std::string text = document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";

    const std::filesystem::path directory =
        file_.has_parent_path() ? file_.parent_path() : std::filesystem::path(".");
    create_directories(file_, directory);

    std::filesystem::path temporary = file_;
    temporary += ".tmp";
    FileDescriptor fd(
        ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) throw step_error(file_, "create " + temporary.string(), errno);
    try {
        // An old temporary file left by a crash may carry another mode.
        if (::fchmod(fd.get(), 0600) != 0) {
            throw step_error(file_, "chmod " + temporary.string(), errno);
        }
        write_all(file_, temporary, fd.get(), text);
        if (::fsync(fd.get()) != 0) throw step_error(file_, "fsync " + temporary.string(), errno);
        if (fd.close() != 0) throw step_error(file_, "close " + temporary.string(), errno);
        if (::rename(temporary.c_str(), file_.c_str()) != 0) {
            throw step_error(file_, "rename " + temporary.string(), errno);
        }
    } catch (...) {
        ::unlink(temporary.c_str());
        throw;
    }

    FileDescriptor directory_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (directory_fd.get() < 0) {
        throw step_error(file_, "open directory " + directory.string(), errno);
    }
    if (::fsync(directory_fd.get()) != 0) {
        throw step_error(file_, "fsync directory " + directory.string(), errno);
    }
}

}  // namespace nfsfuse::driver
