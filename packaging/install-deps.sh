#!/usr/bin/env bash
# Installs every Debian 12 package nfsfuse needs to build, run and test: the one list, used by the
# README's commands and by CI. Needs root (apt-get). Safe to run again: installed packages are kept.
set -euo pipefail

readonly PACKAGES=(
    # build
    build-essential cmake pkg-config clang-format
    libfuse3-dev libnfs-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcpp-httplib-dev
    libgtest-dev libgmock-dev
    # run
    fuse3 libnfs-utils
    # the demo and test NFS server
    nfs-ganesha nfs-ganesha-vfs rpcbind
    # rpc.statd (NSM): ganesha's NLM lock service asks it to monitor every client that locks, and
    # refuses all NFSv3 locks without it (tests/tools/ganesha.sh starts it)
    nfs-common
    # tests and benchmarks: ss (iproute2), rpcinfo/flock/mount (rpcbind, util-linux), useradd
    # (passwd) for the unprivileged-mount test, modprobe (kmod) for /dev/fuse
    fio psmisc attr iproute2 util-linux procps passwd kmod
    # the end-to-end test: a real dockerd and a busybox image made by docker import
    docker.io busybox-static
    # the benchmarks' clients and table (tests/bench)
    python3
    # the vm tier (tests/vm): a QEMU VM whose Debian kernel has the NFS client this host may lack,
    # booted from a small initramfs of our own (busybox-static, cpio); curl and jq speak the
    # plugin API inside it
    qemu-system-x86 linux-image-amd64 cpio curl jq
    # the fuzz targets (tests/fuzz/run-fuzzers.sh): libFuzzer is clang's (its runtime is in
    # libclang-rt-14-dev), so they are built with clang in a build of their own
    clang libclang-rt-14-dev
)

if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps.sh: run as root (it calls apt-get)" >&2
    exit 1
fi
missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
if ((${#missing[@]} == 0)); then
    echo "install-deps.sh: all ${#PACKAGES[@]} packages present"
    exit 0
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The kernel package would otherwise spend about 5 minutes generating an initramfs that the vm tier
# does not use (tests/vm/make-initramfs.sh builds its own in a second).
export INITRD=No
apt-get -o DPkg::Lock::Timeout=900 update -q
apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}"
