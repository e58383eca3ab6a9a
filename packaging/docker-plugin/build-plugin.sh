#!/usr/bin/env bash
# Builds the managed Docker plugin: a plugin directory (config.json + rootfs/) whose root
# filesystem is a clean Debian root with the nfsfuse and nfsfuse-driver packages installed by apt
# (packaging/debian-root.sh), and optionally creates it in Docker.
#   packaging/docker-plugin/build-plugin.sh DEB_DIR OUT_DIR [PLUGIN_NAME]
# DEB_DIR holds nfsfuse_*.deb and nfsfuse-driver_*.deb (packaging/build-deb.sh makes them).
# With PLUGIN_NAME it also runs `docker plugin create PLUGIN_NAME OUT_DIR` (then
# `docker plugin enable PLUGIN_NAME`; docs/DRIVER.md, "Managed plugin"). Needs root and
# mmdebstrap.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

if (($# < 2 || $# > 3)); then
    echo "usage: build-plugin.sh DEB_DIR OUT_DIR [PLUGIN_NAME]" >&2
    exit 2
fi
deb_dir=$1
out_dir=$(realpath -m "$2")
debs=("$deb_dir"/nfsfuse_*.deb "$deb_dir"/nfsfuse-driver_*.deb)
for deb in "${debs[@]}"; do
    [[ -f $deb ]] || { echo "build-plugin.sh: no $deb (packaging/build-deb.sh makes it)" >&2; exit 1; }
done

started=$SECONDS
rm -rf --one-file-system "$out_dir"
mkdir -p "$out_dir"
"$ROOT/packaging/debian-root.sh" "$out_dir/rootfs" "${debs[@]}"
# What config.json names must exist in the root: the propagated mount (the volumes' mountpoints),
# the state directory (a bind mount of the host's) and the plugin socket's directory.
mkdir -p "$out_dir/rootfs/mnt/volumes" "$out_dir/rootfs/var/lib/nfsfuse" \
    "$out_dir/rootfs/run/docker/plugins"
# The package index, documentation and translations only make the plugin bigger (and slower to
# create: Docker copies the whole root).
rm -rf "$out_dir"/rootfs/var/lib/apt/lists/* "$out_dir"/rootfs/var/cache/apt/*.bin \
    "$out_dir"/rootfs/usr/share/doc/* "$out_dir"/rootfs/usr/share/man/* \
    "$out_dir"/rootfs/usr/share/info/* "$out_dir"/rootfs/usr/share/locale/*
cp "$HERE/config.json" "$out_dir/config.json"
echo "build-plugin.sh: $out_dir ($(du -sh "$out_dir" | cut -f1)) in $((SECONDS - started)) s"

if (($# == 3)); then
    docker plugin create "$3" "$out_dir"
fi
