#!/usr/bin/env bash
# Stage 2 of the test VM's boot: PID 1 of the guest, started by initramfs-init.sh on the overlay
# of the host's root. Sets up what a booted system has and the tests need (proc, sys, dev, a tmpfs
# /run, cgroup2, the loopback), mounts the run's job directory (9p tag "job", the host directory
# named by nfsfuse_vm_job= on the kernel command line) at the same path, runs its job.sh, writes
# its exit status to the job directory and powers the guest off, which ends QEMU.
#
# Protocol with run-in-vm.sh, through the job directory: the file "ready" once the guest can run
# the job (without it the VM did not start), the file "status" once the job has ended.
#
# PID 1 must not exit (the kernel panics), so every failure ends in power_off instead.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb

# busybox's poweroff -f calls reboot(2) at once, so nothing runs after it (the power-off of
# sysrq is asynchronous, and what PID 1 then starts may find its 9p root gone). Should the exec
# fail, PID 1 exits, the kernel panics, and QEMU's -no-reboot ends the VM all the same.
power_off() {
    sync
    exec /bin/busybox poweroff -f
}

give_up() {
    echo "nfsfuse-vm stage 2: $*" >&2
    power_off
}
trap 'give_up "line $LINENO failed"' ERR

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# /run is a tmpfs on every booted system: the ganesha export of the tests lives there too, since
# ganesha's VFS backend needs file handles (name_to_handle_at), which the overlay root lacks.
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/lock /run/rpcbind
chmod 1777 /run/lock
mount -t cgroup2 cgroup2 /sys/fs/cgroup # dockerd needs it

ip link set lo up
# The guest has no network device. With 127.0.0.1 as the only IPv4 address, glibc's
# getaddrinfo(AI_ADDRCONFIG) finds no IPv4 at all and ganesha refuses Bind_addr = 127.0.0.1; a
# second loopback address makes it count.
ip addr add 127.0.0.2/8 dev lo
hostname nfsfuse-vm

job=
for word in $(</proc/cmdline); do
    case $word in nfsfuse_vm_job=*) job=${word#nfsfuse_vm_job=} ;; esac
done
[[ $job == /*/job.sh ]] || give_up "no nfsfuse_vm_job=/DIR/job.sh on the kernel command line"
job_dir=${job%/job.sh}
mkdir -p "$job_dir"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 job "$job_dir"

: >"$job_dir/ready"
status=0
# setsid: the job gets a session of its own, so it can signal its process group freely.
setsid --wait bash "$job" </dev/null || status=$?
echo "$status" >"$job_dir/status"
power_off
