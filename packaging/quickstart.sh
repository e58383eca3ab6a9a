#!/usr/bin/env bash
# The main job on a fresh machine: installs what nfsfuse needs, builds it, and runs the Docker
# volume plugin (nfsfuse-driver) in the foreground until Ctrl-C. It prints the `docker volume
# create` line that gives containers the share.
#
#   packaging/quickstart.sh                     a local demo NFS server (nfs-ganesha on 127.0.0.1)
#                                               exporting a scratch directory
#   packaging/quickstart.sh SERVER:/EXPORT      your server (the printed line uses share=...)
#   packaging/quickstart.sh --mount [SERVER:/EXPORT [-o OPTS]]
#                                               no Docker: mount the share with nfsfuse on
#                                               $NFSFUSE_MOUNTPOINT (default /mnt/nfsfuse-demo)
#
# The driver serves /run/docker/plugins/nfsfuse.sock and keeps its state in /var/lib/nfsfuse, as
# the packaged service does (stop that service first). Needs root.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MOUNTPOINT=${NFSFUSE_MOUNTPOINT:-/mnt/nfsfuse-demo}
DEMO_DIR=${NFSFUSE_DEMO_DIR:-/var/tmp/nfsfuse-demo}
DEMO_PORT=${NFSFUSE_DEMO_PORT:-12049}
DEMO_MOUNT_PORT=${NFSFUSE_DEMO_MOUNT_PORT:-12050}
VOLUME_ROOT=/var/lib/nfsfuse/volumes

mount_only=false
if [[ ${1:-} == --mount ]]; then
    mount_only=true
    shift
fi

# Only what the two programs and the demo server need, and only the programs are built (no
# tests: a few minutes instead of about ten on 2 cores), in a build directory of their own so the
# test build in build/ is left as it is.
readonly PROGRAMS_BUILD_DIR=${NFSFUSE_BUILD_DIR:-$ROOT/build-programs}
"$ROOT/packaging/install-deps.sh" --programs
BUILD_DIR=$PROGRAMS_BUILD_DIR "$ROOT/packaging/build.sh" -DNFSFUSE_TESTS=OFF
NFSFUSE=$PROGRAMS_BUILD_DIR/fusefs/nfsfuse
DRIVER=$PROGRAMS_BUILD_DIR/driver/nfsfuse-driver

demo_started=false
# Mounted volumes outlive the driver (containers may still use them), so the demo server is only
# stopped when nothing of it is mounted any more.
stop_demo_server() {
    $demo_started || return 0
    if grep -q " $VOLUME_ROOT/[^ ]* fuse.nfsfuse " /proc/self/mounts; then
        echo "quickstart: volumes are still mounted; the demo server keeps running." >&2
        echo "quickstart: stop it later with: $ROOT/tests/tools/ganesha.sh stop $DEMO_DIR" >&2
        return 0
    fi
    "$ROOT/tests/tools/ganesha.sh" stop "$DEMO_DIR"
}
cleanup() {
    if $mount_only && grep -q " $MOUNTPOINT fuse.nfsfuse " /proc/self/mounts; then
        fusermount3 -u "$MOUNTPOINT" || true
    fi
    stop_demo_server
}
trap cleanup EXIT

start_demo_server() {
    echo "quickstart: starting the demo NFS server (nfs-ganesha) on 127.0.0.1:$DEMO_PORT"
    "$ROOT/tests/tools/ganesha.sh" stop "$DEMO_DIR"
    "$ROOT/tests/tools/ganesha.sh" start "$DEMO_DIR" "$DEMO_PORT" "$DEMO_MOUNT_PORT" >/dev/null
    demo_started=true
    [[ -e $DEMO_DIR/export/README ]] ||
        echo "Files here live on the demo NFS server's export: $DEMO_DIR/export" >"$DEMO_DIR/export/README"
}

if $mount_only; then
    if (($# == 0)); then
        start_demo_server
        # NFSv4.1, nfsfuse's default: the NFS port is all it needs (the demo server also serves
        # NFSv3: -o vers=3,port=$DEMO_PORT,mountport=$DEMO_MOUNT_PORT).
        set -- "127.0.0.1:$DEMO_DIR/export" -o "port=$DEMO_PORT"
    fi
    mkdir -p "$MOUNTPOINT"
    echo "quickstart: mounting $1 on $MOUNTPOINT (Ctrl-C to unmount and stop)"
    echo "quickstart: try: ls -la $MOUNTPOINT; echo hi > $MOUNTPOINT/hello.txt"
    "$NFSFUSE" "$@" "$MOUNTPOINT" -f
    exit
fi

if (($# == 0)); then
    start_demo_server
    # mode=fuse works on any host; NFSv4.1 (the default) needs only the demo server's NFS port.
    volume_options="-o server=127.0.0.1 -o path=$DEMO_DIR/export -o mode=fuse -o port=$DEMO_PORT"
elif (($# == 1)) && [[ $1 == *:/* ]]; then
    volume_options="-o share=$1 -o mode=auto"
else
    echo "usage: $0 [SERVER:/EXPORT] | $0 --mount [SERVER:/EXPORT [-o OPTS]]" >&2
    exit 2
fi

cat <<EOF
quickstart: nfsfuse-driver serves /run/docker/plugins/nfsfuse.sock (Ctrl-C stops it; mounted
            volumes stay for the containers using them). In another shell:

    docker volume create -d nfsfuse $volume_options demo
    docker run --rm -v demo:/data busybox sh -c 'echo hello > /data/hello.txt; ls -l /data'
    docker volume inspect demo

EOF
if ! docker info >/dev/null 2>&1; then
    echo "quickstart: note: no Docker daemon answers here yet (start dockerd to use the volume)" >&2
fi
"$DRIVER" --nfsfuse "$NFSFUSE"
