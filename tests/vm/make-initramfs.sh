#!/usr/bin/env bash
# Builds the test VM's initramfs for kernel KVER into CACHE_DIR, unless a build from the same
# inputs is there already, and prints its path.
#
#   make-initramfs.sh KVER CACHE_DIR
#
# It holds static busybox, initramfs-init.sh as /init and the modules (with their dependencies)
# that stage 1 needs before it can reach the host's /lib/modules over 9p: virtio_pci,
# 9pnet_virtio, 9p and overlay. Debian's own initramfs is not used (the kernel package is installed
# with INITRD=No): it knows nothing of 9p roots, and generating it takes minutes. This one takes
# about a second.
set -euo pipefail

(($# == 2)) || {
    echo "usage: $0 KVER CACHE_DIR" >&2
    exit 2
}
readonly kver=$1 cache_dir=$2
readonly busybox=/bin/busybox
stage1="$(dirname "$0")/initramfs-init.sh"
readonly stage1
readonly modules=(virtio_pci 9pnet_virtio 9p overlay)

die() {
    echo "make-initramfs.sh: $*" >&2
    exit 1
}

[[ -x $busybox ]] || die "$busybox is missing (apt-get install busybox-static)"
# /init runs before any library is reachable.
if ldd "$busybox" >/dev/null 2>&1; then die "$busybox is not static (apt-get install busybox-static)"; fi
[[ -f /lib/modules/$kver/modules.dep ]] || die "no modules for kernel $kver in /lib/modules/$kver"
command -v cpio >/dev/null || die "cpio is missing (apt-get install cpio)"

# The module files in load order: modprobe lists each module after its dependencies, and a
# dependency of two modules once.
module_files() {
    local module
    for module in "${modules[@]}"; do
        modprobe -S "$kver" --show-depends "$module" || die "modprobe cannot resolve $module for $kver"
    done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}

mkdir -p "$cache_dir"
# The cache key: everything that goes into the image.
key=$({
    echo "$kver ${modules[*]}"
    cat "$stage1"
    stat -c '%n %Y %s' "$busybox" "/lib/modules/$kver/modules.dep"
} | sha256sum | cut -c1-16)
readonly image="$cache_dir/initramfs-$kver-$key.cpio.gz"
if [[ -s $image ]]; then
    echo "$image"
    exit 0
fi

staging=$(mktemp -d "$cache_dir/staging.XXXXXX")
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging"/{bin,dev,proc,sys,modules}
cp "$busybox" "$staging/bin/busybox"
cp "$stage1" "$staging/init"
chmod 0755 "$staging/init"
module_files >"$staging/module-paths"
while read -r path; do
    cp "$path" "$staging/modules/"
    echo "${path##*/}" >>"$staging/modules.order"
done <"$staging/module-paths"
rm "$staging/module-paths"
(cd "$staging" && find . | cpio --quiet -o -H newc | gzip -1) >"$staging.cpio.gz"
# Earlier builds for this kernel are stale now; a rename makes the new one appear whole.
rm -f "$cache_dir/initramfs-$kver-"*.cpio.gz
mv "$staging.cpio.gz" "$image"
echo "$image"
