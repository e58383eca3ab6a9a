// libnfs's headers in the one order that compiles: libnfs.h defines EXTERN and the base types that
// the raw and XDR headers use. Kept in separate include blocks so clang-format cannot sort them.
#pragma once

// clang-format off
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>
#include <nfsc/libnfs-raw-nlm.h>
// clang-format on
