#include "fake_nfs_server.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "util/error.h"

namespace nfsfuse::testing {
namespace {

constexpr uint64_t kRootId = 1;

// Applies `data` at `offset`, filling a gap with zeros.
void put(std::string& file, uint64_t offset, std::string_view data) {
    if (file.size() < offset + data.size()) file.resize(offset + data.size(), '\0');
    file.replace(offset, data.size(), data);
}

}  // namespace

FakeNfsServer::FakeNfsServer() : root_(handle_of(kRootId)) {
    Node root;
    root.type = nfs::FileType::directory;
    root.mode = 0755;
    root.nlink = 2;
    nodes_.emplace(kRootId, std::move(root));
}

nfs::FileHandle FakeNfsServer::handle_of(uint64_t id) {
    return nfs::FileHandle{"fh" + std::to_string(id)};
}

uint64_t FakeNfsServer::id_of(const nfs::FileHandle& fh) const {
    if (fh.bytes.rfind("fh", 0) != 0) throw Error(EBADF, "not a handle of this server");
    const uint64_t id = std::stoull(fh.bytes.substr(2));
    if (!nodes_.contains(id)) throw Error(ESTALE, "stale file handle " + fh.bytes);
    return id;
}

FakeNfsServer::Node& FakeNfsServer::node(const nfs::FileHandle& fh) {
    return nodes_.at(id_of(fh));
}

const FakeNfsServer::Node& FakeNfsServer::node(const nfs::FileHandle& fh) const {
    return nodes_.at(id_of(fh));
}

FakeNfsServer::Node& FakeNfsServer::directory(const nfs::FileHandle& fh) {
    Node& dir = node(fh);
    if (dir.type != nfs::FileType::directory) throw Error(ENOTDIR, fh.bytes + " is no directory");
    return dir;
}

nfs::Attributes FakeNfsServer::attributes_of(uint64_t id) const {
    const Node& n = nodes_.at(id);
    nfs::Attributes attributes;
    attributes.type = n.type;
    attributes.mode = n.mode;
    attributes.nlink = n.nlink;
    attributes.uid = n.uid;
    attributes.gid = n.gid;
    attributes.size = n.type == nfs::FileType::symlink ? n.target.size() : n.data.size();
    attributes.used = attributes.size;
    attributes.fileid = id;
    attributes.rdev_major = n.major;
    attributes.rdev_minor = n.minor;
    // Every change gets its own time: stamps of NFSv3 (size, mtime, ctime) tell them apart too.
    attributes.mtime = {static_cast<time_t>(n.change), 0};
    attributes.ctime = attributes.mtime;
    attributes.atime = attributes.mtime;
    attributes.change = n.change;
    return attributes;
}

nfs::ChangeStamp FakeNfsServer::stamp_of(uint64_t id) const {
    return nfs::change_stamp_of(attributes_of(id));
}

nfs::Entry FakeNfsServer::entry_of(uint64_t id) const {
    return nfs::Entry{handle_of(id), attributes_of(id), {}};
}

FakeNfsServer::Lock FakeNfsServer::begin(const nfs::CallContext& context,
                                         const std::string& procedure) {
    {
        std::lock_guard lock(mutex_);
        ++calls_[procedure];
        callers_[procedure] = context.credentials();
    }
    if (const auto before = hook(before_call_)) (*before)(procedure);
    return Lock(mutex_);
}

void FakeNfsServer::end(Lock& lock, const std::string& procedure) {
    lock.unlock();
    if (const auto after = hook(after_call_)) (*after)(procedure);
}

void FakeNfsServer::set_before_call(Hook hook) {
    std::lock_guard lock(hooks_mutex_);
    before_call_ = hook ? std::make_shared<const Hook>(std::move(hook)) : nullptr;
}

void FakeNfsServer::set_after_call(Hook hook) {
    std::lock_guard lock(hooks_mutex_);
    after_call_ = hook ? std::make_shared<const Hook>(std::move(hook)) : nullptr;
}

std::shared_ptr<const FakeNfsServer::Hook> FakeNfsServer::hook(
    const std::shared_ptr<const Hook>& which) const {
    std::lock_guard lock(hooks_mutex_);
    return which;
}

void FakeNfsServer::restart() {
    std::lock_guard lock(mutex_);
    for (auto& [id, n] : nodes_) {
        if (n.type != nfs::FileType::regular || n.data == n.durable) continue;
        n.data = n.durable;
        ++n.change;
    }
    ++verifier_;
}

nfs::FileHandle FakeNfsServer::resolve(const std::string& path) const {
    std::lock_guard lock(mutex_);
    uint64_t id = kRootId;
    size_t start = 0;
    while (start < path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        const std::string name = path.substr(start, slash - start);
        const auto& children = nodes_.at(id).children;
        const auto found = children.find(name);
        if (found == children.end()) throw Error(ENOENT, path + ": no such file on the server");
        id = found->second;
        start = slash + 1;
    }
    return handle_of(id);
}

std::string FakeNfsServer::contents(const nfs::FileHandle& fh) const {
    std::lock_guard lock(mutex_);
    return node(fh).data;
}

std::string FakeNfsServer::durable_contents(const nfs::FileHandle& fh) const {
    std::lock_guard lock(mutex_);
    return node(fh).durable;
}

void FakeNfsServer::write_as_another_client(const nfs::FileHandle& fh, uint64_t offset,
                                            const std::string& data) {
    std::lock_guard lock(mutex_);
    Node& n = node(fh);
    put(n.data, offset, data);
    put(n.durable, offset, data);
    ++n.change;
}

std::optional<nfs::Credentials> FakeNfsServer::last_caller(const std::string& procedure) const {
    std::lock_guard lock(mutex_);
    const auto found = callers_.find(procedure);
    return found == callers_.end() ? std::nullopt : found->second;
}

uint64_t FakeNfsServer::calls(const std::string& procedure) const {
    std::lock_guard lock(mutex_);
    const auto found = calls_.find(procedure);
    return found == calls_.end() ? 0 : found->second;
}

std::map<std::string, uint64_t> FakeNfsServer::call_counts() const {
    std::lock_guard lock(mutex_);
    return calls_;
}

nfs::Attributes FakeNfsServer::getattr(const nfs::CallContext& context, const nfs::FileHandle& fh) {
    Lock lock = begin(context, "GETATTR");
    return attributes_of(id_of(fh));
}

nfs::Attributes FakeNfsServer::setattr(const nfs::CallContext& context, const nfs::FileHandle& fh,
                                       const nfs::SetAttributes& changes) {
    Lock lock = begin(context, "SETATTR");
    Node& n = node(fh);
    if (changes.mode) n.mode = *changes.mode;
    if (changes.uid) n.uid = *changes.uid;
    if (changes.gid) n.gid = *changes.gid;
    if (changes.size) {
        if (n.type != nfs::FileType::regular) throw Error(EINVAL, "SETATTR size of a non-file");
        // A SETATTR is durable when answered.
        n.data.resize(*changes.size, '\0');
        n.durable.resize(*changes.size, '\0');
    }
    ++n.change;
    const nfs::Attributes after = attributes_of(id_of(fh));
    end(lock, "SETATTR");
    return after;
}

nfs::Entry FakeNfsServer::lookup(const nfs::CallContext& context, const nfs::FileHandle& dir,
                                 const std::string& name) {
    Lock lock = begin(context, "LOOKUP");
    const auto& children = directory(dir).children;
    const auto found = children.find(name);
    if (found == children.end()) throw Error(ENOENT, "LOOKUP " + name + ": no such name");
    return entry_of(found->second);
}

uint32_t FakeNfsServer::access(const nfs::CallContext& context, const nfs::FileHandle& fh,
                               uint32_t wanted) {
    Lock lock = begin(context, "ACCESS");
    id_of(fh);
    return wanted;
}

std::string FakeNfsServer::readlink(const nfs::CallContext& context, const nfs::FileHandle& fh) {
    Lock lock = begin(context, "READLINK");
    const Node& n = node(fh);
    if (n.type != nfs::FileType::symlink) throw Error(EINVAL, "READLINK of a non-symlink");
    return n.target;
}

nfs::ReadResult FakeNfsServer::read(const nfs::CallContext& context, const nfs::FileHandle& fh,
                                    uint64_t offset, uint32_t count) {
    Lock lock = begin(context, "READ");
    const Node& n = node(fh);
    if (n.type != nfs::FileType::regular) throw Error(EISDIR, "READ of a non-file");
    std::string bytes;
    if (offset < n.data.size()) {
        const size_t length = std::min<uint64_t>(count, n.data.size() - offset);
        bytes.assign(n.data.begin() + static_cast<ptrdiff_t>(offset),
                     n.data.begin() + static_cast<ptrdiff_t>(offset + length));
    }
    nfs::ReadResult result = nfs::ReadResult::holding(std::move(bytes));
    result.eof = offset + result.data.size() >= n.data.size();
    return result;
}

nfs::WriteResult FakeNfsServer::write(const nfs::CallContext& context, const nfs::FileHandle& fh,
                                      uint64_t offset, std::string_view data,
                                      nfs::Stability stability) {
    Lock lock = begin(context, "WRITE");
    const uint64_t id = id_of(fh);
    Node& n = nodes_.at(id);
    if (n.type != nfs::FileType::regular) throw Error(EISDIR, "WRITE to a non-file");
    nfs::WriteResult result;
    result.before = stamp_of(id);
    put(n.data, offset, data);
    if (stability == nfs::Stability::file_sync) put(n.durable, offset, data);
    ++n.change;
    result.after = attributes_of(id);
    result.verifier = verifier_;
    result.stable = stability == nfs::Stability::file_sync;
    end(lock, "WRITE");
    return result;
}

uint64_t FakeNfsServer::commit(const nfs::CallContext& context, const nfs::FileHandle& fh) {
    Lock lock = begin(context, "COMMIT");
    Node& n = node(fh);
    n.durable = n.data;
    const uint64_t verifier = verifier_;
    end(lock, "COMMIT");
    return verifier;
}

nfs::OpenedFile FakeNfsServer::open(const nfs::CallContext& context, const nfs::FileHandle& fh,
                                    nfs::OpenAccess) {
    Lock lock = begin(context, "OPEN");
    const uint64_t id = id_of(fh);
    if (nodes_.at(id).type != nfs::FileType::regular) throw Error(EISDIR, "OPEN of a non-file");
    return nfs::OpenedFile{next_open_++, attributes_of(id)};
}

void FakeNfsServer::close(nfs::OpenId) noexcept {
    std::lock_guard lock(mutex_);
    ++calls_["CLOSE"];
}

nfs::Entry FakeNfsServer::add(const nfs::CallContext& context, const nfs::FileHandle& dir,
                              const std::string& name, Node created) {
    // The server makes the object its caller's (root: the mount's own identity here).
    if (context.credentials()) {
        created.uid = context.credentials()->uid;
        created.gid = context.credentials()->gid;
    }
    Node& parent = directory(dir);
    if (parent.children.contains(name)) throw Error(EEXIST, name + " exists");
    const uint64_t dir_id = id_of(dir);
    const nfs::ChangeStamp before = stamp_of(dir_id);
    const uint64_t id = next_id_++;
    if (created.type == nfs::FileType::directory) {
        created.nlink = 2;
        ++parent.nlink;
    }
    nodes_.emplace(id, std::move(created));
    parent.children.emplace(name, id);
    ++parent.change;
    nfs::Entry entry = entry_of(id);
    entry.parent_change = {before, stamp_of(dir_id)};
    return entry;
}

nfs::CreatedFile FakeNfsServer::create(const nfs::CallContext& context, const nfs::FileHandle& dir,
                                       const std::string& name,
                                       const nfs::NewObjectAttributes& attributes, bool exclusive,
                                       nfs::OpenAccess) {
    Lock lock = begin(context, "CREATE");
    const auto& children = directory(dir).children;
    if (const auto found = children.find(name); found != children.end()) {
        if (exclusive) throw Error(EEXIST, "CREATE " + name + ": exists");
        return nfs::CreatedFile{next_open_++, entry_of(found->second)};
    }
    Node created;
    created.mode = attributes.mode;
    nfs::CreatedFile result{next_open_++, add(context, dir, name, std::move(created))};
    end(lock, "CREATE");
    return result;
}

nfs::Entry FakeNfsServer::add_typed(const nfs::CallContext& context, const std::string& procedure,
                                    const nfs::FileHandle& dir, const std::string& name,
                                    nfs::FileType type, uint32_t mode) {
    Lock lock = begin(context, procedure);
    Node created;
    created.type = type;
    created.mode = mode;
    return add(context, dir, name, std::move(created));
}

nfs::Entry FakeNfsServer::mkdir(const nfs::CallContext& context, const nfs::FileHandle& dir,
                                const std::string& name,
                                const nfs::NewObjectAttributes& attributes) {
    return add_typed(context, "MKDIR", dir, name, nfs::FileType::directory, attributes.mode);
}

nfs::Entry FakeNfsServer::symlink(const nfs::CallContext& context, const nfs::FileHandle& dir,
                                  const std::string& name, const std::string& target,
                                  const nfs::NewObjectAttributes&) {
    Lock lock = begin(context, "SYMLINK");
    Node created;
    created.type = nfs::FileType::symlink;
    created.mode = 0777;
    created.target = target;
    return add(context, dir, name, std::move(created));
}

nfs::Entry FakeNfsServer::mknod(const nfs::CallContext& context, const nfs::FileHandle& dir,
                                const std::string& name, const nfs::SpecialFile& what,
                                const nfs::NewObjectAttributes& attributes) {
    Lock lock = begin(context, "MKNOD");
    Node created;
    created.type = what.type;
    created.mode = attributes.mode;
    created.major = what.major;
    created.minor = what.minor;
    return add(context, dir, name, std::move(created));
}

nfs::Entry FakeNfsServer::link(const nfs::CallContext& context, const nfs::FileHandle& target,
                               const nfs::FileHandle& dir, const std::string& name) {
    Lock lock = begin(context, "LINK");
    const uint64_t id = id_of(target);
    Node& parent = directory(dir);
    if (parent.children.contains(name)) throw Error(EEXIST, name + " exists");
    const uint64_t dir_id = id_of(dir);
    const nfs::ChangeStamp before = stamp_of(dir_id);
    parent.children.emplace(name, id);
    ++parent.change;
    Node& linked = nodes_.at(id);
    ++linked.nlink;
    ++linked.change;
    nfs::Entry entry = entry_of(id);
    entry.parent_change = {before, stamp_of(dir_id)};
    return entry;
}

void FakeNfsServer::unlink_node(uint64_t id) {
    Node& n = nodes_.at(id);
    if (--n.nlink == 0 || n.type == nfs::FileType::directory) {
        nodes_.erase(id);
    } else {
        ++n.change;
    }
}

nfs::DirectoryChange FakeNfsServer::remove(const nfs::CallContext& context,
                                           const nfs::FileHandle& dir, const std::string& name) {
    Lock lock = begin(context, "REMOVE");
    Node& parent = directory(dir);
    const auto found = parent.children.find(name);
    if (found == parent.children.end()) throw Error(ENOENT, "REMOVE " + name + ": no such name");
    if (nodes_.at(found->second).type == nfs::FileType::directory)
        throw Error(EISDIR, "REMOVE " + name + ": a directory");
    const uint64_t dir_id = id_of(dir);
    const nfs::ChangeStamp before = stamp_of(dir_id);
    const uint64_t id = found->second;
    parent.children.erase(found);
    ++parent.change;
    unlink_node(id);
    return {before, stamp_of(dir_id)};
}

nfs::DirectoryChange FakeNfsServer::rmdir(const nfs::CallContext& context,
                                          const nfs::FileHandle& dir, const std::string& name) {
    Lock lock = begin(context, "RMDIR");
    Node& parent = directory(dir);
    const auto found = parent.children.find(name);
    if (found == parent.children.end()) throw Error(ENOENT, "RMDIR " + name + ": no such name");
    const Node& victim = nodes_.at(found->second);
    if (victim.type != nfs::FileType::directory) throw Error(ENOTDIR, name + " is no directory");
    if (!victim.children.empty()) throw Error(ENOTEMPTY, name + " is not empty");
    const uint64_t dir_id = id_of(dir);
    const nfs::ChangeStamp before = stamp_of(dir_id);
    const uint64_t id = found->second;
    parent.children.erase(found);
    --parent.nlink;
    ++parent.change;
    nodes_.erase(id);
    return {before, stamp_of(dir_id)};
}

nfs::RenameChanges FakeNfsServer::rename(const nfs::CallContext& context,
                                         const nfs::FileHandle& from_dir,
                                         const std::string& from_name,
                                         const nfs::FileHandle& to_dir,
                                         const std::string& to_name) {
    Lock lock = begin(context, "RENAME");
    const uint64_t from_id = id_of(from_dir);
    const uint64_t to_id = id_of(to_dir);
    auto& from_children = directory(from_dir).children;
    const auto moving = from_children.find(from_name);
    if (moving == from_children.end())
        throw Error(ENOENT, "RENAME " + from_name + ": no such name");
    const uint64_t id = moving->second;
    const nfs::ChangeStamp from_before = stamp_of(from_id);
    const nfs::ChangeStamp to_before = stamp_of(to_id);
    auto& to_children = directory(to_dir).children;
    if (const auto replaced = to_children.find(to_name); replaced != to_children.end()) {
        if (replaced->second == id) return {{from_before, from_before}, {to_before, to_before}};
        const uint64_t old = replaced->second;
        to_children.erase(replaced);
        unlink_node(old);
    }
    from_children.erase(from_name);
    to_children.emplace(to_name, id);
    ++nodes_.at(from_id).change;
    if (to_id != from_id) ++nodes_.at(to_id).change;
    ++nodes_.at(id).change;
    return {{from_before, stamp_of(from_id)}, {to_before, stamp_of(to_id)}};
}

std::vector<nfs::DirectoryEntry> FakeNfsServer::readdir(const nfs::CallContext& context,
                                                        const nfs::FileHandle& dir) {
    Lock lock = begin(context, "READDIR");
    std::vector<nfs::DirectoryEntry> entries;
    for (const auto& [name, id] : directory(dir).children)
        entries.push_back({name, id, entry_of(id)});
    return entries;
}

nfs::FsStats FakeNfsServer::statfs(const nfs::CallContext& context, const nfs::FileHandle& fh) {
    Lock lock = begin(context, "FSSTAT");
    id_of(fh);
    return nfs::FsStats{1 << 30, 1 << 29, 1 << 29, 1000, 500, 500};
}

namespace {

uint64_t end_of(const nfs::LockRange& range) {
    return range.length == 0 || range.length > UINT64_MAX - range.offset
               ? UINT64_MAX
               : range.offset + range.length;
}

}  // namespace

std::optional<nfs::LockHolder> FakeNfsServer::conflict(uint64_t id,
                                                       const nfs::LockRequest& request) const {
    const auto found = locks_.find(id);
    if (found == locks_.end()) return std::nullopt;
    const uint64_t begin = request.range.offset;
    const uint64_t end = end_of(request.range);
    for (const HeldLock& held : found->second) {
        if (held.owner == request.owner || held.end <= begin || end <= held.begin) continue;
        if (held.type == nfs::LockType::read && request.type == nfs::LockType::read) continue;
        const uint64_t length = held.end == UINT64_MAX ? 0 : held.end - held.begin;
        return nfs::LockHolder{held.type, {held.begin, length}, held.pid};
    }
    return std::nullopt;
}

void FakeNfsServer::cut_locks(uint64_t id, nfs::LockOwner owner, uint64_t begin, uint64_t end) {
    std::vector<HeldLock>& held = locks_[id];
    std::vector<HeldLock> kept;
    for (const HeldLock& lock : held) {
        if (lock.owner != owner || lock.end <= begin || end <= lock.begin) {
            kept.push_back(lock);
            continue;
        }
        if (lock.begin < begin)
            kept.push_back({lock.owner, lock.type, lock.begin, begin, lock.pid});
        if (end < lock.end) kept.push_back({lock.owner, lock.type, end, lock.end, lock.pid});
    }
    held = std::move(kept);
    if (held.empty()) locks_.erase(id);
}

std::optional<nfs::LockHolder> FakeNfsServer::lock(const nfs::CallContext& context,
                                                   const nfs::FileHandle& fh, nfs::OpenId,
                                                   const nfs::LockRequest& request) {
    Lock lock = begin(context, "LOCK");
    const uint64_t id = id_of(fh);
    if (auto in_the_way = conflict(id, request)) {
        end(lock, "LOCK");
        return in_the_way;
    }
    const uint64_t range_end = end_of(request.range);
    cut_locks(id, request.owner, request.range.offset, range_end);
    locks_[id].push_back(
        {request.owner, request.type, request.range.offset, range_end, request.pid});
    end(lock, "LOCK");
    return std::nullopt;
}

void FakeNfsServer::unlock(const nfs::CallContext& context, const nfs::FileHandle& fh, nfs::OpenId,
                           nfs::LockOwner owner, const nfs::LockRange& range) {
    Lock lock = begin(context, "LOCKU");
    cut_locks(id_of(fh), owner, range.offset, end_of(range));
    end(lock, "LOCKU");
}

std::optional<nfs::LockHolder> FakeNfsServer::test(const nfs::CallContext& context,
                                                   const nfs::FileHandle& fh, nfs::OpenId,
                                                   const nfs::LockRequest& request) {
    Lock lock = begin(context, "LOCKT");
    auto in_the_way = conflict(id_of(fh), request);
    end(lock, "LOCKT");
    return in_the_way;
}

std::vector<std::string> FakeNfsServer::locks_held(const nfs::FileHandle& fh) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> described;
    const auto found = locks_.find(id_of(fh));
    if (found == locks_.end()) return described;
    std::vector<HeldLock> held = found->second;
    std::sort(held.begin(), held.end(), [](const HeldLock& a, const HeldLock& b) {
        return std::tie(a.begin, a.owner) < std::tie(b.begin, b.owner);
    });
    for (const HeldLock& each : held) {
        described.push_back(std::to_string(each.owner) + ":" +
                            (each.type == nfs::LockType::read ? "r" : "w") + ":" +
                            std::to_string(each.begin) + "-" +
                            (each.end == UINT64_MAX ? "max" : std::to_string(each.end)));
    }
    return described;
}

}  // namespace nfsfuse::testing
