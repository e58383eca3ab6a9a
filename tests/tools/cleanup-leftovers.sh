#!/usr/bin/env bash
# Undoes what integration test processes that were killed (ctest timeout, SIGKILL) left behind:
#   - nfsfuse processes serving a mountpoint there (SIGKILL by pid; this also frees processes
#     blocked on their mounts),
#   - FUSE mounts below ${TMPDIR:-/tmp}/nfsfuse-it.* (lazy unmount),
#   - nfs-ganesha instances whose directory is there (by their pidfile, via ganesha.sh stop),
#   - the scratch directories themselves,
#   - /usr/local/sbin/nfsfuse when it is the link the mount(8) test puts to a build's binary.
# Touches nothing else: other mounts, other ganeshas and an installed nfsfuse stay as they are.
# usage: cleanup-leftovers.sh        (prints what it undid; exit 0 unless something stays behind)
set -uo pipefail

tools_dir=$(cd "$(dirname "$0")" && pwd)
readonly tools_dir
readonly scratch_glob="${TMPDIR:-/tmp}/nfsfuse-it"
status=0

# Mount points from /proc/self/mountinfo (field 5), with the kernel's octal escapes undone.
mount_points_below() {
    local prefix=$1 mount_point
    while read -r _ _ _ _ mount_point _; do
        mount_point=$(printf '%b' "${mount_point//\\/\\0}")
        [[ $mount_point == "$prefix"* ]] && printf '%s\n' "$mount_point"
    done </proc/self/mountinfo
}

# nfsfuse processes with an argument below the scratch directories.
for proc in /proc/[0-9]*; do
    [[ $(cat "$proc/comm" 2>/dev/null) == nfsfuse ]] || continue
    mapfile -d '' -t args <"$proc/cmdline" 2>/dev/null || continue
    for arg in "${args[@]}"; do
        if [[ $arg == "$scratch_glob".* ]]; then
            echo "cleanup: killing nfsfuse pid ${proc#/proc/} ($arg)"
            kill -KILL "${proc#/proc/}" 2>/dev/null || true
            break
        fi
    done
done

# Deepest first, so nested mounts go before their parents.
mapfile -t leftover_mounts < <(mount_points_below "$scratch_glob" | sort -r)
for mount_point in "${leftover_mounts[@]}"; do
    echo "cleanup: unmounting $mount_point"
    fusermount3 -u -z "$mount_point" 2>/dev/null || umount -l "$mount_point" ||
        {
            echo "cleanup: cannot unmount $mount_point" >&2
            status=1
        }
done

for pidfile in "$scratch_glob".*/*/ganesha.pid "$scratch_glob".*/ganesha.pid; do
    [[ -f $pidfile ]] || continue
    echo "cleanup: stopping ganesha in $(dirname "$pidfile")"
    "$tools_dir/ganesha.sh" stop "$(dirname "$pidfile")" || status=1
done

for dir in "$scratch_glob".*; do
    [[ -d $dir ]] || continue
    if [[ -n $(mount_points_below "$dir") ]]; then
        echo "cleanup: $dir still has mounts; leaving it" >&2
        status=1
        continue
    fi
    echo "cleanup: removing $dir"
    rm -rf -- "$dir"
done

readonly path_link=/usr/local/sbin/nfsfuse
if [[ -L $path_link && $(readlink "$path_link") == */fusefs/nfsfuse ]]; then
    echo "cleanup: removing $path_link -> $(readlink "$path_link")"
    rm -f -- "$path_link"
fi

exit "$status"
