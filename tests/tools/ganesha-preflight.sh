#!/usr/bin/env bash
# Starts and stops one test ganesha: the ctest fixture every integration test requires. When the
# test server cannot start on this machine, ctest then marks the integration tests "Not Run" at
# once, with this script's message, instead of every test waiting for its own start to fail.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
readonly script_dir
dir=$(mktemp -d /tmp/nfsfuse-preflight.XXXXXX)
trap '"$script_dir/ganesha.sh" stop "$dir" || true; rm -rf "$dir"' EXIT

ports=$("$script_dir/free-ports.sh" 2)
read -r nfs_port mount_port <<<"$ports"

pid=$("$script_dir/ganesha.sh" start "$dir" "$nfs_port" "$mount_port")
echo "ganesha (pid $pid) served $dir/export on 127.0.0.1:$nfs_port (MOUNT on $mount_port)"
# The registration the v3 tests depend on: rpcbind must know this server.
rpcinfo -p 127.0.0.1 | grep -E "^ +100003 +3 +tcp +$nfs_port " ||
    { echo "ganesha started but rpcbind has no NFS v3 entry for port $nfs_port" >&2; exit 1; }
"$script_dir/ganesha.sh" stop "$dir"
echo "stopped"
