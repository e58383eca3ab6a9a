// Whom a mount's calls are made for. Like the kernel NFS client, a mount made by root sends each
// request with its caller's own credentials, so the server judges every caller by itself
// (permissions, root_squash, ownership of what it creates). uid=/gid= give one identity for
// everything instead (what a server's all_squash does), and a mount made by an unprivileged user
// only ever sends that user: it must not speak for others.
// Thread-safety: pure functions.
#pragma once

#include "nfs/credentials.h"
#include "options/mount_options.h"

namespace nfsfuse::options {

struct MountIdentity {
    // The mount's own calls (session upkeep, and every call unless per_caller).
    nfs::Credentials own;
    bool per_caller = false;  // each request carries its caller's credentials
};

// `process`: nfsfuse's own uid, gid and supplementary groups.
MountIdentity mount_identity(const MountOptions& options, const nfs::Credentials& process);

// This process's uid, gid and (first 16) supplementary groups.
nfs::Credentials process_credentials();

}  // namespace nfsfuse::options
