// NFSv3's procedure numbers (RFC 1813 section 3.3) and the names logs and call counters use.
// Thread-safety: constants.
#pragma once

#include <cstdint>

namespace nfsfuse::nfs::v3 {

constexpr uint32_t kNfsProgram = 100003;
constexpr uint32_t kNfsVersion = 3;

enum class Procedure : uint32_t {
    getattr = 1,
    setattr = 2,
    lookup = 3,
    access = 4,
    readlink = 5,
    read = 6,
    write = 7,
    create = 8,
    mkdir = 9,
    symlink = 10,
    mknod = 11,
    remove = 12,
    rmdir = 13,
    rename = 14,
    link = 15,
    readdirplus = 17,
    fsstat = 18,
    fsinfo = 19,
    commit = 21,
};

// "GETATTR", "READ", ...: the names CallCounters and error messages use.
constexpr const char* procedure_name(Procedure procedure) {
    switch (procedure) {
        case Procedure::getattr:
            return "GETATTR";
        case Procedure::setattr:
            return "SETATTR";
        case Procedure::lookup:
            return "LOOKUP";
        case Procedure::access:
            return "ACCESS";
        case Procedure::readlink:
            return "READLINK";
        case Procedure::read:
            return "READ";
        case Procedure::write:
            return "WRITE";
        case Procedure::create:
            return "CREATE";
        case Procedure::mkdir:
            return "MKDIR";
        case Procedure::symlink:
            return "SYMLINK";
        case Procedure::mknod:
            return "MKNOD";
        case Procedure::remove:
            return "REMOVE";
        case Procedure::rmdir:
            return "RMDIR";
        case Procedure::rename:
            return "RENAME";
        case Procedure::link:
            return "LINK";
        case Procedure::readdirplus:
            return "READDIRPLUS";
        case Procedure::fsstat:
            return "FSSTAT";
        case Procedure::fsinfo:
            return "FSINFO";
        case Procedure::commit:
            return "COMMIT";
    }
    return "NFSv3 call";
}

}  // namespace nfsfuse::nfs::v3
