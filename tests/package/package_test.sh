#!/usr/bin/env bash
# The Debian packages, installed as a user would: builds them (packaging/build-deb.sh, which also
# runs lintian) unless DEB_DIR already holds them, makes a clean Debian root with mmdebstrap
# (minbase, from the Debian mirror this machine's apt uses), installs both .debs there with apt so
# their dependencies resolve from the archive, and runs checks_in_root.sh inside it: the programs
# start, refuse bad arguments, and the driver answers /Plugin.Activate on its socket, bound by
# itself or passed by "systemd" (socket activation).
#   tests/package/package_test.sh [DEB_DIR]
#   NFSFUSE_DEB_OUT=DIR: where to keep the packages once they passed (the Docker plugin's build)
# Exits 77 (ctest: skipped) only when dpkg-buildpackage or mmdebstrap is missing. Needs root
# (mmdebstrap's root mode, chroot, a private mount namespace for the driver's mounts).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

for tool in dpkg-buildpackage mmdebstrap; do
    if ! command -v "$tool" >/dev/null; then
        echo "package_test: SKIP: $tool is not installed (packaging/install-deps.sh installs it)"
        exit 77
    fi
done
if [[ $(id -u) -ne 0 ]]; then
    echo "package_test: needs root (mmdebstrap's root mode and chroot)" >&2
    exit 1
fi

scratch=$(mktemp -d /tmp/nfsfuse-package.XXXXXX)
trap 'rm -rf --one-file-system "$scratch"' EXIT
timings=()
# step NAME COMMAND...: runs it and records how long it took.
step() {
    local name=$1 started=$SECONDS
    shift
    echo "package_test: $name"
    "$@"
    timings+=("$(printf '%4d s  %s' $((SECONDS - started)) "$name")")
}

deb_dir=${1:-$scratch/debs}
if (($# == 0)); then
    step "build the packages (packaging/build-deb.sh, with lintian)" \
        "$ROOT/packaging/build-deb.sh" "$deb_dir"
fi
debs=("$deb_dir"/nfsfuse_*.deb "$deb_dir"/nfsfuse-driver_*.deb)
for deb in "${debs[@]}"; do
    [[ -f $deb ]] || { echo "package_test: no $deb" >&2; exit 1; }
done

root=$scratch/root
# python3-minimal: the test's client of the plugin socket.
step "make a clean Debian root with both packages (packaging/debian-root.sh)" \
    "$ROOT/packaging/debian-root.sh" --include python3-minimal "$root" "${debs[@]}"

cp "$HERE/checks_in_root.sh" "$HERE/plugin_socket.py" "$root/tmp/"
version=$(dpkg-deb -f "${debs[0]}" Version)
# A private mount and pid namespace: the driver makes its volume root a shared mount at start,
# which must not reach this machine's mount table, and nothing it starts may outlive the test.
step "run the programs in the root (tests/package/checks_in_root.sh)" \
    unshare --mount --propagation private --pid --fork --mount-proc="$root/proc" \
    chroot "$root" /bin/bash /tmp/checks_in_root.sh "${version%%-*}"

# Packages that passed are kept where asked (NFSFUSE_DEB_OUT): the managed Docker plugin's rootfs
# is made of them (ctest fixture "debs", tests/e2e).
if [[ -n ${NFSFUSE_DEB_OUT:-} ]]; then
    mkdir -p "$NFSFUSE_DEB_OUT"
    rm -f "$NFSFUSE_DEB_OUT"/nfsfuse*.deb
    cp "${debs[@]}" "$NFSFUSE_DEB_OUT"/
fi

echo "package_test: PASS. Timings:"
printf '  %s\n' "${timings[@]}"
