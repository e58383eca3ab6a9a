#!/usr/bin/env bash
# Starts and stops one test ganesha: the ctest fixture every integration test requires. When the
# test server cannot start on this machine, ctest then marks the integration tests "Not Run" at
# once, with this script's message, instead of every test waiting for its own start to fail.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
readonly script_dir
dir=$(mktemp -d /tmp/nfsfuse-preflight.XXXXXX)
trap '"$script_dir/ganesha.sh" stop "$dir" || true; rm -rf "$dir"' EXIT

port_listens() {
    ss -Hltn "sport = :$1" | grep -q .
}

# A port nothing listens on, in the range the harness picks from (21000-32000).
pick_port() {
    local port
    while :; do
        port=$((21000 + RANDOM % 11000))
        port_listens "$port" || break
    done
    echo "$port"
}

nfs_port=$(pick_port)
mount_port=$(pick_port)
while ((mount_port == nfs_port)); do mount_port=$(pick_port); done

pid=$("$script_dir/ganesha.sh" start "$dir" "$nfs_port" "$mount_port")
echo "ganesha (pid $pid) served $dir/export on 127.0.0.1:$nfs_port (MOUNT on $mount_port)"
# The registration the v3 tests depend on: rpcbind must know this server.
rpcinfo -p 127.0.0.1 | grep -E "^ +100003 +3 +tcp +$nfs_port " ||
    { echo "ganesha started but rpcbind has no NFS v3 entry for port $nfs_port" >&2; exit 1; }
"$script_dir/ganesha.sh" stop "$dir"
echo "stopped"
