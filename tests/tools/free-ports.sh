#!/usr/bin/env bash
# Prints N distinct TCP ports (default 1) that nothing listens on, on one line, from 21000-32000:
# the range the integration harness picks from too (20000-20999 are left to hand-started servers,
# 32768 up is the kernel's ephemeral range). Another process may still take one before it is used:
# callers that bind retry or fail clearly.
#   usage: free-ports.sh [N]
set -euo pipefail

count=${1:-1}
[[ $count =~ ^[1-9][0-9]?$ ]] || {
    echo "usage: $0 [N] (N from 1 to 99)" >&2
    exit 2
}

port_listens() {
    [[ -n $(ss -Hltn "sport = :$1") ]]
}

ports=()
while ((${#ports[@]} < count)); do
    port=$((21000 + RANDOM % 11000))
    port_listens "$port" && continue
    [[ " ${ports[*]} " == *" $port "* ]] && continue
    ports+=("$port")
done
echo "${ports[*]}"
