#!/usr/bin/env bash
# Builds the Debian packages nfsfuse and nfsfuse-driver (packaging/debian/) from this source tree
# into OUT_DIR (default: build-deb/ at the repository root) and checks them with lintian.
#   packaging/build-deb.sh [OUT_DIR]
# dpkg-buildpackage wants debian/ at the top of the source, so the tree (without build
# directories and .git) is copied to a scratch directory with packaging/debian as its debian/;
# the checkout itself is never changed. Needs dpkg-dev, debhelper and the Build-Depends of
# packaging/debian/control (packaging/install-deps.sh installs them all).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT_DIR=$(realpath -m "${1:-$ROOT/build-deb}")

# The package version must be the project's: nfsfuse --version prints the latter.
project_version=$(sed -n 's/^project(nfsfuse VERSION \([^ ]*\) .*/\1/p' "$ROOT/CMakeLists.txt")
package_version=$(dpkg-parsechangelog -l "$ROOT/packaging/debian/changelog" -S Version)
if [[ ${package_version%%-*} != "$project_version" ]]; then
    echo "build-deb.sh: packaging/debian/changelog is at $package_version, CMakeLists.txt at" \
        "$project_version: add a changelog entry (dch -v $project_version)" >&2
    exit 1
fi

scratch=$(mktemp -d /tmp/nfsfuse-deb.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
source_dir=$scratch/nfsfuse-$project_version
mkdir "$source_dir"
tar -C "$ROOT" --exclude-vcs --exclude='./build*' --exclude=./.cache --exclude=./debian -cf - . |
    tar -C "$source_dir" -xf -
cp -r "$ROOT/packaging/debian" "$source_dir/debian"

started=$SECONDS
(cd "$source_dir" && nice dpkg-buildpackage -us -uc -b -j"$(nproc)")
echo "build-deb.sh: packages built in $((SECONDS - started)) s"

mkdir -p "$OUT_DIR"
rm -f "$OUT_DIR"/nfsfuse*_*.deb "$OUT_DIR"/nfsfuse_*.changes "$OUT_DIR"/nfsfuse_*.buildinfo
cp "$scratch"/*.deb "$scratch"/*.changes "$scratch"/*.buildinfo "$OUT_DIR"/

if command -v lintian >/dev/null; then
    started=$SECONDS
    # Errors fail the build. Tags accepted on purpose are overridden, with the reason, in
    # packaging/debian/*.lintian-overrides.
    lintian --fail-on error --info "$OUT_DIR"/nfsfuse_*.changes
    echo "build-deb.sh: lintian took $((SECONDS - started)) s"
else
    echo "build-deb.sh: lintian is not installed; the packages are not checked" >&2
fi
ls -l "$OUT_DIR"
