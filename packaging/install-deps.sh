#!/usr/bin/env bash
# Installs the Debian 12 packages nfsfuse needs: the one list, used by the README's commands and by
# CI. Needs root (apt-get). Safe to run again: installed packages are kept.
#   packaging/install-deps.sh              everything: build, run and test (tests/run-all.sh, CI)
#   packaging/install-deps.sh --programs   only what building and running the two programs and
#                                          the demo NFS server needs (packaging/quickstart.sh)
set -euo pipefail

# Building the programs (cmake -DNFSFUSE_TESTS=OFF), running them, and the demo NFS server.
readonly PROGRAM_PACKAGES=(
    build-essential cmake pkg-config
    libfuse3-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcpp-httplib-dev
    # FUSE requests over io_uring (Linux 6.14+), which libfuse 3.14 lacks
    liburing-dev
    fuse3
    nfs-ganesha nfs-ganesha-vfs rpcbind
    # rpc.statd (NSM): ganesha's NLM lock service asks it to monitor every client that locks, and
    # refuses all NFSv3 locks without it (tests/tools/ganesha.sh starts it)
    nfs-common
)

# The rest of what the tests, benchmarks and packaging need.
readonly TEST_PACKAGES=(
    clang-format libgtest-dev libgmock-dev
    # the benchmarks' raw libnfs baseline, and an NFSv3 client independent of nfsfuse (nfs-ls)
    libnfs-dev libnfs-utils
    # tests and benchmarks: ss (iproute2), rpcinfo/flock/mount (rpcbind, util-linux), useradd
    # (passwd) for the unprivileged-mount test, modprobe (kmod) for /dev/fuse
    fio psmisc attr iproute2 util-linux procps passwd kmod
    # the end-to-end test: a real dockerd and a busybox image made by docker import
    docker.io busybox-static
    # the benchmarks' clients and table (tests/bench)
    python3
    # the Debian packages (packaging/build-deb.sh) and their test in a clean root made by
    # mmdebstrap (tests/package); lintian checks them
    debhelper dpkg-dev lintian mmdebstrap
    # the vm tier (tests/vm): a QEMU VM whose Debian kernel has the NFS client this host may lack,
    # booted from a small initramfs of our own (busybox-static, cpio); curl and jq speak the
    # plugin API inside it
    qemu-system-x86 linux-image-amd64 cpio curl jq
    # the fuzz targets (tests/fuzz/run-fuzzers.sh): libFuzzer is clang's (its runtime is in
    # libclang-rt-14-dev), so they are built with clang in a build of their own
    clang libclang-rt-14-dev
)

case ${1:-} in
    "") PACKAGES=("${PROGRAM_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
    --programs) PACKAGES=("${PROGRAM_PACKAGES[@]}") ;;
    *)
        echo "usage: install-deps.sh [--programs]" >&2
        exit 2
        ;;
esac
readonly PACKAGES

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
