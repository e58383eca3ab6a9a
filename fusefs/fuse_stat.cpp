#include "fusefs/fuse_stat.h"

#include <sys/sysmacros.h>

namespace nfsfuse::fusefs {
namespace {

constexpr unsigned long kBlockSize = 4096;  // what statfs reports; NFS counts bytes

}  // namespace

mode_t file_type_bits(nfs::FileType type) {
    switch (type) {
        case nfs::FileType::directory:
            return S_IFDIR;
        case nfs::FileType::symlink:
            return S_IFLNK;
        case nfs::FileType::block_device:
            return S_IFBLK;
        case nfs::FileType::char_device:
            return S_IFCHR;
        case nfs::FileType::socket:
            return S_IFSOCK;
        case nfs::FileType::fifo:
            return S_IFIFO;
        case nfs::FileType::regular:
        default:
            return S_IFREG;
    }
}

struct stat to_stat(const nfs::Attributes& a) {
    struct stat st {};
    // st_ino is the server's fileid: stable across remounts, the same for hard links.
    st.st_ino = a.fileid;
    st.st_mode = file_type_bits(a.type) | a.mode;
    st.st_nlink = a.nlink;
    st.st_uid = a.uid;
    st.st_gid = a.gid;
    st.st_size = static_cast<off_t>(a.size);
    st.st_blksize = 1024 * 1024;
    st.st_blocks = static_cast<blkcnt_t>((a.used + 511) / 512);
    st.st_rdev = makedev(a.rdev_major, a.rdev_minor);
    st.st_atim = a.atime;
    st.st_mtim = a.mtime;
    st.st_ctim = a.ctime;
    return st;
}

struct statvfs to_statvfs(const nfs::FsStats& s) {
    struct statvfs out {};
    out.f_bsize = kBlockSize;
    out.f_frsize = kBlockSize;
    out.f_blocks = s.total_bytes / kBlockSize;
    out.f_bfree = s.free_bytes / kBlockSize;
    out.f_bavail = s.available_bytes / kBlockSize;
    out.f_files = s.total_files;
    out.f_ffree = s.free_files;
    out.f_favail = s.available_files;
    out.f_namemax = 255;
    return out;
}

}  // namespace nfsfuse::fusefs
