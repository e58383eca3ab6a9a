#!/usr/bin/env bash
# Runs a script as root inside a throw-away QEMU VM and exits with its status: the `vm` test
# tier's way to a Linux kernel with an NFS client, which this CI host lacks.
#
#   run-in-vm.sh [--timeout SECONDS] SCRIPT [ARGS...]
#
# The guest boots Debian's kernel (linux-image-amd64) with the host's own root filesystem as its
# root: read-only over 9p, under a RAM overlay, so programs built on the host run as they are and
# nothing the guest writes reaches the host. It has no network device, only its loopback: servers
# started inside stay inside. SCRIPT and ARGS are host paths and words; the guest's output (SCRIPT's
# and kernel errors) streams to stdout.
#
# Exit status: SCRIPT's; 77 (skipped) only when the VM cannot start: QEMU or the kernel is not
# installed, or the guest never got as far as running SCRIPT (the reason is printed); 1 when the
# guest stopped before SCRIPT ended (--timeout, default 300 s, or a crash).
#
# Environment: NFSFUSE_VM_ACCEL=kvm to use KVM instead of TCG (pure emulation; the default,
# because the CI machine has none that works), NFSFUSE_VM_MEMORY (default 2G),
# NFSFUSE_VM_CACHE (where the initramfs is kept, default /var/tmp/nfsfuse-vm).
set -euo pipefail

vm_dir=$(cd "$(dirname "$0")" && pwd -P)
readonly vm_dir
readonly accel=${NFSFUSE_VM_ACCEL:-tcg}
readonly memory=${NFSFUSE_VM_MEMORY:-2G}
readonly cache_dir=${NFSFUSE_VM_CACHE:-/var/tmp/nfsfuse-vm}
timeout_s=300

usage() {
    echo "usage: $0 [--timeout SECONDS] SCRIPT [ARGS...]" >&2
    exit 2
}

skip() {
    echo "SKIP: $*" >&2
    exit 77
}

fail() {
    echo "run-in-vm.sh: $*" >&2
    exit 1
}

if [[ ${1:-} == --timeout ]]; then
    [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage
    timeout_s=$2
    shift 2
fi
(($# >= 1)) || usage
script=$(realpath -e "$1") || usage
shift
# shellcheck disable=SC2054 # the commas belong to QEMU's option values
case $accel in
tcg) accel_args=(-accel tcg,thread=multi -cpu max) ;;
kvm) accel_args=(-accel kvm -cpu host) ;;
*) fail "NFSFUSE_VM_ACCEL must be tcg or kvm, not '$accel'" ;;
esac

command -v qemu-system-x86_64 >/dev/null ||
    skip "qemu-system-x86_64 is not installed (packaging/install-deps.sh installs qemu-system-x86)"
# The newest Debian kernel that has the 9p modules: the -cloud- flavour lacks them and cannot
# mount the host's root.
kver=""
while read -r candidate; do
    if [[ -d /lib/modules/$candidate/kernel/fs/9p ]]; then
        kver=$candidate
        break
    fi
done < <(find /boot -maxdepth 1 -name 'vmlinuz-*-amd64' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -rV)
[[ -n $kver ]] ||
    skip "no /boot/vmlinuz-*-amd64 with 9p modules (packaging/install-deps.sh installs linux-image-amd64)"
initramfs=$("$vm_dir/make-initramfs.sh" "$kver" "$cache_dir") || skip "cannot build the VM's initramfs"

# The job directory is the guest's only writable share: job.sh in, ready and status out (see
# guest-init.sh). Its path and the guest init's go on the kernel command line, which splits at
# spaces.
job_dir=$(mktemp -d /tmp/nfsfuse-vm.XXXXXX)
trap 'rm -rf "$job_dir"' EXIT
readonly guest_init="$vm_dir/guest-init.sh"
[[ $job_dir$guest_init != *[[:space:]]* ]] || skip "$guest_init: the VM cannot boot from a path with spaces"
{
    echo 'set -euo pipefail'
    # The guest sees the host's directories, this one too unless it was made after the boot.
    printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
    printf 'exec %q' "$script"
    printf ' %q' "$@"
    echo
} >"$job_dir/job.sh"

echo "run-in-vm: kernel $kver, $accel, $memory, timeout ${timeout_s}s: $script $*"
started=$SECONDS
status=0
# QEMU's own errors go to stdout too, where the skip message points. -nodefaults -nic none: no
# devices but those listed, no network. -no-reboot: the guest's power-off or a panic ends QEMU.
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
    -nodefaults -nic none -no-user-config -no-reboot \
    "${accel_args[@]}" -m "$memory" -smp 2 \
    -display none -serial stdio \
    -kernel "/boot/vmlinuz-$kver" -initrd "$initramfs" \
    -append "console=ttyS0 quiet loglevel=3 panic=-1 nfsfuse_vm_init=$guest_init nfsfuse_vm_job=$job_dir/job.sh" \
    -device virtio-rng-pci \
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
    -virtfs "local,path=$job_dir,mount_tag=job,security_model=none,multidevs=remap" \
    </dev/null 2>&1 | tr -d '\r' || status=$?
echo "run-in-vm: QEMU ran for $((SECONDS - started))s (exit status $status)"

if [[ ! -e $job_dir/ready ]]; then
    ((status != 124)) || skip "the VM did not start within ${timeout_s}s"
    skip "the VM did not start (QEMU's and the guest's messages are above)"
fi
if [[ ! -s $job_dir/status ]]; then
    ((status != 124)) || fail "the guest did not finish $script within ${timeout_s}s"
    fail "the guest stopped before $script ended (a crash? the messages are above)"
fi
status=$(<"$job_dir/status")
# 77 means "skipped" to ctest, which only a VM that cannot start may say.
((status != 77)) || fail "$script exited with 77 in the guest: a failure, not a skip"
exit "$status"
