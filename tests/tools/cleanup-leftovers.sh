#!/usr/bin/env bash
# Undoes what test runs that were killed (ctest timeout, SIGKILL) left behind in their scratch
# directories ${TMPDIR:-/tmp}/nfsfuse-it.* (integration), /tmp/nfsfuse-e2e.* (end-to-end),
# /tmp/nfsfuse-bench.* and /var/tmp/nfsfuse-iobench.* (benchmarks), /tmp/nfsfuse-vm.* (the vm
# tier's job directories; whatever ran in the VM died with it):
#   - dockerd (and its containerd) and nfsfuse-driver processes of those runs,
#   - nfsfuse processes serving a mountpoint there (SIGKILL by pid; this also frees processes
#     blocked on their mounts),
#   - mounts below those directories (lazy unmount),
#   - nfs-ganesha instances whose directory is there (by their pidfile, via ganesha.sh stop),
#   - the scratch directories themselves,
#   - /usr/local/sbin/nfsfuse when it is the link the mount(8) test puts to a build's binary.
# Touches nothing else: other mounts, other ganeshas and an installed nfsfuse stay as they are.
# usage: cleanup-leftovers.sh        (prints what it undid; exit 0 unless something stays behind)
set -uo pipefail

tools_dir=$(cd "$(dirname "$0")" && pwd)
readonly tools_dir
readonly scratch_globs=("${TMPDIR:-/tmp}/nfsfuse-it" /tmp/nfsfuse-e2e /tmp/nfsfuse-bench
    /var/tmp/nfsfuse-iobench /tmp/nfsfuse-vm)
status=0

# Whether $1 is a path in one of the scratch directories.
in_scratch() {
    local glob
    for glob in "${scratch_globs[@]}"; do
        [[ $1 == "$glob".* ]] && return 0
    done
    return 1
}

# Pids of the processes named $1 (comm) with an argument in a scratch directory.
pids_of_runs() {
    local proc arg
    local -a args
    for proc in /proc/[0-9]*; do
        [[ $(cat "$proc/comm" 2>/dev/null) == "$1" ]] || continue
        mapfile -d '' -t args <"$proc/cmdline" 2>/dev/null || continue
        for arg in "${args[@]}"; do
            if in_scratch "$arg"; then
                echo "${proc#/proc/}"
                break
            fi
        done
    done
}

# SIGTERM (dockerd then stops its containers and unmounts its own mounts), SIGKILL after 20 s.
stop_processes() {
    local name=$1 pid
    local -a pids
    mapfile -t pids < <(pids_of_runs "$name")
    ((${#pids[@]} > 0)) || return 0
    echo "cleanup: stopping $name pid(s) ${pids[*]}"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    for pid in "${pids[@]}"; do
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
}
stop_processes nfsfuse-driver
stop_processes dockerd
stop_processes containerd

# Mount points from /proc/self/mountinfo (field 5), with the kernel's octal escapes undone.
mount_points_below() {
    local prefix=$1 mount_point
    while read -r _ _ _ _ mount_point _; do
        mount_point=$(printf '%b' "${mount_point//\\/\\0}")
        [[ $mount_point == "$prefix"* ]] && printf '%s\n' "$mount_point"
    done </proc/self/mountinfo
}

# nfsfuse processes with an argument below the scratch directories.
for pid in $(pids_of_runs nfsfuse); do
    echo "cleanup: killing nfsfuse pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
done

# Deepest first, so nested mounts go before their parents.
mapfile -t leftover_mounts < <(for glob in "${scratch_globs[@]}"; do
    mount_points_below "$glob"
done | sort -r)
for mount_point in "${leftover_mounts[@]}"; do
    echo "cleanup: unmounting $mount_point"
    fusermount3 -u -z "$mount_point" 2>/dev/null || umount -l "$mount_point" ||
        {
            echo "cleanup: cannot unmount $mount_point" >&2
            status=1
        }
done

mapfile -t ganesha_pidfiles < <(for glob in "${scratch_globs[@]}"; do
    for pidfile in "$glob".*/*/ganesha.pid "$glob".*/ganesha.pid; do
        [[ -f $pidfile ]] && echo "$pidfile"
    done
done)
for pidfile in "${ganesha_pidfiles[@]}"; do
    echo "cleanup: stopping ganesha in $(dirname "$pidfile")"
    "$tools_dir/ganesha.sh" stop "$(dirname "$pidfile")" || status=1
done

# The plugin sockets of end-to-end runs whose script is gone (a stale socket makes dockerd retry).
for socket in /run/docker/plugins/nfsfuse-e2e-*.sock; do
    [[ -S $socket ]] || continue
    pid=${socket##*/nfsfuse-e2e-}
    pid=${pid%.sock}
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "cleanup: removing $socket"
        rm -f -- "$socket"
    fi
done

for glob in "${scratch_globs[@]}"; do
    for dir in "$glob".*; do
        [[ -d $dir ]] || continue
        if [[ -n $(mount_points_below "$dir") ]]; then
            echo "cleanup: $dir still has mounts; leaving it" >&2
            status=1
            continue
        fi
        echo "cleanup: removing $dir"
        rm -rf -- "$dir"
    done
done

readonly path_link=/usr/local/sbin/nfsfuse
if [[ -L $path_link && $(readlink "$path_link") == */fusefs/nfsfuse ]]; then
    echo "cleanup: removing $path_link -> $(readlink "$path_link")"
    rm -f -- "$path_link"
fi

exit "$status"
