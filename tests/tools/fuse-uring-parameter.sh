#!/usr/bin/env bash
# Turns FUSE over io_uring on for a test run and puts the host's setting back afterwards.
#   fuse-uring-parameter.sh enable STATEFILE    saves enable_uring in STATEFILE, then sets it to Y
#   fuse-uring-parameter.sh restore STATEFILE   sets it back to what STATEFILE saved
# A kernel without FUSE over io_uring (before 6.14, or built without it) has no such parameter:
# both then say so and succeed, and every mount uses /dev/fuse.
set -euo pipefail

readonly PARAMETER=/sys/module/fuse/parameters/enable_uring

if [[ $# -ne 2 ]]; then
    echo "usage: $0 enable|restore STATEFILE" >&2
    exit 2
fi
action=$1
state_file=$2

if [[ ! -e $PARAMETER ]]; then
    modprobe fuse 2>/dev/null || true
fi
if [[ ! -e $PARAMETER ]]; then
    echo "this kernel has no FUSE over io_uring ($PARAMETER): tests use /dev/fuse"
    exit 0
fi

case $action in
    enable)
        cat "$PARAMETER" > "$state_file"
        echo Y > "$PARAMETER"
        echo "FUSE over io_uring on (was $(cat "$state_file"))"
        ;;
    restore)
        if [[ -f $state_file ]]; then
            cat "$state_file" > "$PARAMETER"
            echo "enable_uring back to $(cat "$PARAMETER")"
            rm -f "$state_file"
        fi
        ;;
    *)
        echo "unknown action '$action': enable or restore" >&2
        exit 2
        ;;
esac
