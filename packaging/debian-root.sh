#!/usr/bin/env bash
# Makes a clean Debian root (mmdebstrap, minbase, this machine's Debian release) with the given
# .deb files installed by apt, so their dependencies come from the archive as on a user's machine.
# Used by the package test (tests/package) and the managed Docker plugin's rootfs
# (packaging/docker-plugin).
#   packaging/debian-root.sh [--include PACKAGE]... TARGET_DIR DEB...
# Only the Debian entries of this machine's apt sources are used: other repositories (a vendor's,
# a cloud's) are not Debian's and may not even be reachable. Needs root and mmdebstrap.
set -euo pipefail

includes=()
while [[ ${1:-} == --include ]]; do
    includes+=("--include=$2")
    shift 2
done
if (($# < 2)); then
    echo "usage: debian-root.sh [--include PACKAGE]... TARGET_DIR DEB..." >&2
    exit 2
fi
target=$1
shift
for deb in "$@"; do
    [[ -f $deb ]] || { echo "debian-root.sh: no $deb" >&2; exit 1; }
    includes+=("--include=$(realpath "$deb")")
done

sources=$(mktemp /tmp/nfsfuse-sources.XXXXXX)
trap 'rm -f "$sources"' EXIT
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    cat /etc/apt/sources.list.d/debian.sources >>"$sources"
fi
if [[ -f /etc/apt/sources.list ]]; then
    grep -E '^deb\s.*debian' /etc/apt/sources.list >>"$sources" || true
fi
[[ -s $sources ]] || { echo "debian-root.sh: no Debian mirror in /etc/apt/sources.list*" >&2; exit 1; }
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")

# The file-mirror-automount hook makes the .debs visible inside the root at the same paths, so
# apt there installs them with their dependencies. The merged-usr hook lays out /usr as Debian 12
# does without installing usrmerge, which would bring perl (about 50 MB) into every root.
mmdebstrap --quiet --variant=minbase "${includes[@]}" \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
    "$suite" "$target" "$sources"
