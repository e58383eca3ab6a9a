#!/usr/bin/env bash
# The main job on a fresh machine: installs what nfsfuse needs, builds it, and mounts an NFS export
# with it, in the foreground until Ctrl-C (which unmounts and cleans up).
#
#   packaging/quickstart.sh                          a local demo NFS server (nfs-ganesha on
#                                                    127.0.0.1) exporting a scratch directory
#   packaging/quickstart.sh SERVER:/EXPORT [-o OPTS]  your server
#
# The mountpoint is $NFSFUSE_MOUNTPOINT (default /mnt/nfsfuse-demo). Needs root for apt-get.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MOUNTPOINT=${NFSFUSE_MOUNTPOINT:-/mnt/nfsfuse-demo}
DEMO_DIR=${NFSFUSE_DEMO_DIR:-/var/tmp/nfsfuse-demo}
DEMO_PORT=${NFSFUSE_DEMO_PORT:-12049}
DEMO_MOUNT_PORT=${NFSFUSE_DEMO_MOUNT_PORT:-12050}

"$ROOT/packaging/install-deps.sh"
"$ROOT/packaging/build.sh"
NFSFUSE=$ROOT/build/fusefs/nfsfuse

demo_started=false
cleanup() {
    if grep -q " $MOUNTPOINT fuse.nfsfuse " /proc/self/mounts; then fusermount3 -u "$MOUNTPOINT" || true; fi
    if $demo_started; then "$ROOT/tests/tools/ganesha.sh" stop "$DEMO_DIR"; fi
}
trap cleanup EXIT

if (($# == 0)); then
    echo "quickstart: starting the demo NFS server (nfs-ganesha) on 127.0.0.1:$DEMO_PORT"
    "$ROOT/tests/tools/ganesha.sh" stop "$DEMO_DIR"
    "$ROOT/tests/tools/ganesha.sh" start "$DEMO_DIR" "$DEMO_PORT" "$DEMO_MOUNT_PORT" >/dev/null
    demo_started=true
    [[ -e $DEMO_DIR/export/README ]] ||
        echo "Files here live on the demo NFS server's export: $DEMO_DIR/export" >"$DEMO_DIR/export/README"
    set -- "127.0.0.1:$DEMO_DIR/export" -o "vers=3,port=$DEMO_PORT,mountport=$DEMO_MOUNT_PORT"
fi

mkdir -p "$MOUNTPOINT"
echo "quickstart: mounting $1 on $MOUNTPOINT (Ctrl-C to unmount and stop)"
echo "quickstart: try: ls -la $MOUNTPOINT; echo hi > $MOUNTPOINT/hello.txt"
"$NFSFUSE" "$@" "$MOUNTPOINT" -f
