#!/bin/busybox sh
# shellcheck shell=dash # busybox ash: checked as the nearest shell shellcheck knows
# Stage 1 of the test VM's boot: /init of the initramfs that make-initramfs.sh builds, run by
# busybox's sh (the initramfs holds nothing else). Loads the virtio, 9p and overlay modules, mounts
# the host's root (9p tag "hostroot", read-only) under a tmpfs overlay, so the guest can write
# anywhere and nothing reaches the host, and hands over to stage 2: the host file named by
# nfsfuse_vm_init= on the kernel command line (guest-init.sh), which sees the host's / as its /.
# busybox sh has no pipefail; every step that matters is checked by hand.
set -eu
/bin/busybox --install -s /bin
export PATH=/bin

# The console is all the host sees of the guest, and a stopped QEMU must end the test: say why,
# then power off (QEMU runs with -no-reboot and exits).
give_up() {
    echo "nfsfuse-vm stage 1: $*"
    poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

while read -r module; do
    insmod "/modules/$module" || give_up "insmod $module failed"
done </modules.order

# The 9p devices appear asynchronously once virtio_pci has probed the bus; wait up to 10 s.
tries=0
until grep -qs hostroot /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag; do
    tries=$((tries + 1))
    [ "$tries" -le 200 ] || give_up "no virtio 9p device with the tag hostroot appeared"
    usleep 50000
done

guest_init=
read -r cmdline </proc/cmdline
for word in $cmdline; do
    case $word in nfsfuse_vm_init=*) guest_init=${word#nfsfuse_vm_init=} ;; esac
done
[ -n "$guest_init" ] || give_up "no nfsfuse_vm_init= on the kernel command line"

mkdir -p /host /rw /root
# cache=loose: the host's root does not change during a test run, and reads are what the guest
# does most (every program and library comes over 9p).
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro hostroot /host ||
    give_up "cannot mount the host's root (9p)"
mount -t tmpfs -o mode=0755 tmpfs /rw || give_up "cannot mount the overlay's tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /root ||
    give_up "cannot mount the overlay root"
[ -x "/root$guest_init" ] || give_up "$guest_init is not an executable file on the host"
umount /proc
umount /sys
mount --move /dev /root/dev
exec switch_root /root "$guest_init"
