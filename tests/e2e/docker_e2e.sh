#!/usr/bin/env bash
# End-to-end test of nfsfuse-driver through a real dockerd (Debian docker.io 20.10): real
# `docker volume` commands and real containers on a fuse-mode volume of a private nfs-ganesha,
# a one-node swarm whose service mounts a volume of the driver, and the managed plugin (docker
# plugin create/enable) when its directory is given.
#
#   docker_e2e.sh NFSFUSE_DRIVER NFSFUSE [PLUGIN_DIR]   (as root; ctest passes all three)
# PLUGIN_DIR: a managed plugin built by packaging/docker-plugin/build-plugin.sh (config.json and
# rootfs/); without it step 9 says it is not run.
#
# Exit 0: passed. Exit 77: skipped, only when dockerd cannot start on this machine (not installed,
# or no answer to `docker version` within DOCKERD_START_TIMEOUT_S). Anything else is a failure.
#
# Everything of one run lives in one directory, /tmp/nfsfuse-e2e.XXXXXX (short: unix socket paths
# must stay under 108 bytes):
#   d/ x/ docker.sock   dockerd's data root, exec root and API socket (a private dockerd)
#   g/                  the ganesha instance; g/export is the NFS export, read here from disk
#   v/ s/               the driver's volume root (it makes it a shared mount) and state dir
#   img/                the busybox root filesystem `docker import`ed as bb:local (no registry)
#   *.log               dockerd.log, driver.log (all driver runs, appended)
# The plugin socket is /run/docker/plugins/$PLUGIN.sock: legacy plugin discovery only looks there
# (for every dockerd on the machine), hence a plugin name unique to this run.
set -euo pipefail

readonly DOCKERD_START_TIMEOUT_S=60
# Every docker call is bounded, so a hung FUSE mount or plugin call fails the test instead of
# hanging it; the whole run stops itself before ctest's TIMEOUT (600 s) would SIGKILL it, because
# only a run that exits by itself can clean up (no dockerd, ganesha or mount left behind).
readonly DOCKER_CALL_TIMEOUT_S=90
readonly RUN_BUDGET_S=${NFSFUSE_E2E_BUDGET_S:-450}
# How long the asynchronous effects get: dockerd sends Unmount after a container has exited and
# `docker run`/`docker wait` have returned.
readonly SETTLE_TIMEOUT_S=30

tools_dir=$(cd "$(dirname "$0")/../tools" && pwd)
readonly tools_dir

usage() {
    echo "usage: $0 NFSFUSE_DRIVER NFSFUSE [PLUGIN_DIR]" >&2
    exit 2
}

(($# == 2 || $# == 3)) || usage
driver_bin=$(realpath -e "$1") || usage
nfsfuse_bin=$(realpath -e "$2") || usage
plugin_dir=""
if (($# == 3)); then
    plugin_dir=$(realpath -e "$3") || usage
    [[ -f $plugin_dir/config.json && -d $plugin_dir/rootfs ]] ||
        { echo "$0: $plugin_dir is not a plugin directory (config.json, rootfs/)" >&2; exit 2; }
fi
readonly driver_bin nfsfuse_bin plugin_dir

# ---------------------------------------------------------------------------------------------
# Reporting

step_started=$SECONDS
current_step="start-up"
step() {
    echo "== [${SECONDS}s] $* (previous step took $((SECONDS - step_started))s)"
    step_started=$SECONDS
    current_step=$*
}

fail() {
    echo "FAIL [${SECONDS}s] in step '$current_step': $*" >&2
    exit 1
}

skip() {
    echo "SKIP: $*" >&2
    exit 77
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
    [[ $1 == "$2" ]] || fail "$3: expected '$2', got '$1'"
}

# ---------------------------------------------------------------------------------------------
# Preconditions. Only dockerd missing or not starting is a skip; the rest is part of the test's
# install (packaging/install-deps.sh) and fails it.

if [[ $(id -u) -ne 0 ]]; then
    fail "must run as root (dockerd, FUSE mounts, the plugin socket in /run/docker/plugins)"
fi
command -v dockerd >/dev/null || skip "dockerd is not installed (apt-get install docker.io)"
if [[ -x /usr/bin/docker ]]; then
    docker_cli=/usr/bin/docker # the client of docker.io, the same version as the daemon
else
    docker_cli=$(command -v docker) || skip "no docker client (apt-get install docker.io)"
fi
readonly docker_cli
busybox_bin=$(command -v busybox) || fail "busybox is not installed (apt-get install busybox-static)"
# The image must run in a container with nothing else in it: a dynamically linked busybox won't.
if ldd "$busybox_bin" >/dev/null 2>&1; then
    fail "$busybox_bin is dynamically linked; the image needs busybox-static"
fi
readonly busybox_bin
for tool in ss rpcinfo flock ganesha.nfsd; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (packaging/install-deps.sh)"
done

run_dir=$(mktemp -d /tmp/nfsfuse-e2e.XXXXXX)
readonly run_dir
readonly plugin="nfsfuse-e2e-$$"
readonly plugin_socket="/run/docker/plugins/$plugin.sock"
readonly export_dir="$run_dir/g/export"
readonly volume_root="$run_dir/v"
readonly state_dir="$run_dir/s"
readonly dockerd_log="$run_dir/dockerd.log"
readonly driver_log="$run_dir/driver.log"
export DOCKER_HOST="unix://$run_dir/docker.sock"
# A developer's ~/.docker (contexts, credential helpers) must not change what the client does.
export DOCKER_CONFIG="$run_dir/client"

dockerd_pid=""
driver_pid=""
ganesha_started=0
swarm_joined=0
managed_plugin="" # the managed plugin's name once created
watchdog_pid=""

# ---------------------------------------------------------------------------------------------
# Helpers

docker() {
    timeout --kill-after=10 "$DOCKER_CALL_TIMEOUT_S" "$docker_cli" "$@"
}

# Mount points at or below $1 from /proc/self/mountinfo (field 5, octal escapes undone).
mounts_below() {
    local prefix=$1 mount_point
    while read -r _ _ _ _ mount_point _; do
        printf -v mount_point '%b' "${mount_point//\\/\\0}"
        if [[ $mount_point == "$prefix" || $mount_point == "$prefix"/* ]]; then
            printf '%s\n' "$mount_point"
        fi
    done </proc/self/mountinfo
}

# nfsfuse_pids PATTERN: pids of the nfsfuse processes with an argument matching the glob PATTERN.
# The mountpoint is an argument of its own, so an exact path finds exactly its server process.
nfsfuse_pids() {
    local pattern=$1 proc comm arg
    local -a args
    for proc in /proc/[0-9]*; do
        read -r comm 2>/dev/null <"$proc/comm" || continue
        [[ $comm == nfsfuse ]] || continue
        mapfile -d '' -t args 2>/dev/null <"$proc/cmdline" || continue
        for arg in "${args[@]}"; do
            # shellcheck disable=SC2053 # $pattern is a glob on purpose
            if [[ $arg == $pattern ]]; then
                echo "${proc#/proc/}"
                break
            fi
        done
    done
}

# The nfsfuse processes serving mountpoint $1, and those of anything in this run.
nfsfuse_pids_for() {
    nfsfuse_pids "$(printf '%q' "$1")"
}
nfsfuse_pids_of_run() {
    nfsfuse_pids "$(printf '%q' "$run_dir")/*"
}

# The -o list of nfsfuse process $1 (the driver passes exactly one).
nfsfuse_options_of() {
    local -a args
    local i
    mapfile -d '' -t args 2>/dev/null <"/proc/$1/cmdline" || return 0
    for ((i = 0; i + 1 < ${#args[@]}; i++)); do
        if [[ ${args[i]} == -o ]]; then
            printf '%s\n' "${args[i + 1]}"
            return 0
        fi
    done
}

count_lines() {
    if [[ -z $1 ]]; then echo 0; else wc -l <<<"$1"; fi
}

# A Status field of the driver as `docker volume inspect` shows it.
volume_status() {
    docker volume inspect -f "{{index .Status \"$2\"}}" "$1"
}

# Whether `docker volume ls` lists volume $1 of this run's driver. (Output captured first: a
# `| grep -q` could end the pipe early and, with pipefail, turn a match into a failure.)
is_listed() {
    local listing
    listing=$(docker volume ls --format '{{.Driver}} {{.Name}}') || fail "docker volume ls failed"
    grep -qxF -- "$plugin $1" <<<"$listing"
}

volume_mountpoint() {
    docker volume inspect -f '{{.Mountpoint}}' "$1"
}

# wait_until WHAT TIMEOUT_S COMMAND...: polls COMMAND until it succeeds.
wait_until() {
    local what=$1 timeout_s=$2
    shift 2
    local deadline=$((SECONDS + timeout_s))
    until "$@"; do
        ((SECONDS < deadline)) || fail "$what: not the case after ${timeout_s}s"
        sleep 0.2
    done
}

is_unmounted() {
    [[ -z $(mounts_below "$volume_root/$1") && -z $(nfsfuse_pids_for "$volume_root/$1") ]]
}

# Waits for the docker container $1 to exit and fails unless its exit status is $2.
expect_exit_status() {
    local status
    status=$(docker wait "$1") || fail "docker wait $1 failed"
    if [[ $status != "$2" ]]; then
        echo "---- docker logs $1 ----" >&2
        docker logs "$1" >&2 || true
        fail "container $1 exited with status $status, expected $2"
    fi
}

# run_container NAME ARGS...: docker run, attached; fails with the container's output if its
# command fails, else prints its stdout. Not --rm: the container is removed by us afterwards, so
# its exit status cannot race with the removal.
run_container() {
    local name=$1 output status=0
    shift
    output=$(docker run --name "$name" --network none "$@" 2>&1) || status=$?
    if ((status != 0)); then
        fail "docker run --name $name $* exited with $status: $output"
    fi
    docker rm "$name" >/dev/null || fail "docker rm $name failed"
    printf '%s\n' "$output"
}

start_driver() {
    echo "---- driver start at ${SECONDS}s ----" >>"$driver_log"
    "$driver_bin" --socket "$plugin_socket" --state-dir "$state_dir" --volume-root "$volume_root" \
        --default-mode fuse --nfsfuse "$nfsfuse_bin" --check-interval 1 </dev/null >>"$driver_log" 2>&1 &
    driver_pid=$!
    local deadline=$((SECONDS + 30))
    until [[ -S $plugin_socket ]]; do
        kill -0 "$driver_pid" 2>/dev/null || fail "the driver exited during start-up"
        ((SECONDS < deadline)) || fail "the driver did not create $plugin_socket within 30s"
        sleep 0.1
    done
    echo "driver pid $driver_pid serves $plugin_socket"
}

# SIGTERM, then waits for the exit; SIGKILL only as a last resort (and is then a failure).
stop_driver() {
    [[ -n $driver_pid ]] || return 0
    kill -TERM "$driver_pid" 2>/dev/null || true
    local deadline=$((SECONDS + 20)) status=0
    while kill -0 "$driver_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if kill -0 "$driver_pid" 2>/dev/null; then
        kill -KILL "$driver_pid" 2>/dev/null || true
        wait "$driver_pid" 2>/dev/null || true
        driver_pid=""
        fail "the driver ignored SIGTERM for 20s"
    fi
    wait "$driver_pid" || status=$?
    driver_pid=""
    ((status == 0)) || fail "the driver exited with status $status on SIGTERM"
}

print_log_tails() {
    local log registered
    # Mounts fail with "Program is not available" when another ganesha on this machine (another
    # test run) registered over ours with the one rpcbind.
    registered=$(rpcinfo -p 127.0.0.1 2>/dev/null |
        awk '$1 == 100003 && $2 == 3 && $3 == "tcp" { print $4; exit }')
    echo "rpcbind's NFS v3 port: ${registered:-none} (this run's ganesha: ${nfs_port:-not started})" >&2
    if [[ -n ${nfs_port:-} && $registered != "$nfs_port" ]]; then
        echo "NOTE: another NFS server registered over this run's ganesha (a test running at the" \
            "same time on this machine?): mounts reach the wrong server." >&2
    fi
    for log in "$driver_log" "$dockerd_log" "$run_dir/g/ganesha.log"; do
        [[ -f $log ]] || continue
        echo "---- last lines of $log ----" >&2
        # Without the noise: ganesha's per-component log levels, dockerd's gRPC chatter.
        grep -v -e 'SetComponentLogLevel' -e 'module=grpc' "$log" | tail -n 40 >&2 || true
    done
    echo "----" >&2
}

# ---------------------------------------------------------------------------------------------
# Teardown: containers, the driver, FUSE mounts, dockerd, ganesha, the plugin socket, the
# directory. Each part is tried even when an earlier one failed.

# terminate PID NAME SECONDS: SIGTERM, SIGKILL if it is still there after SECONDS, then reap.
terminate() {
    local pid=$1 name=$2 seconds=$3 deadline
    kill -TERM "$pid" 2>/dev/null
    deadline=$((SECONDS + seconds))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "cleanup: $name ignored SIGTERM for ${seconds}s, killing it" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
}

cleanup() {
    local status=$?
    set +e
    trap - EXIT INT TERM
    if [[ -n $watchdog_pid ]]; then kill "$watchdog_pid" 2>/dev/null; fi
    if ((status != 0 && status != 77)); then print_log_tails; fi
    echo "== [${SECONDS}s] cleanup (the last step ran for $((SECONDS - step_started))s)"
    local deadline mount_point pid

    if ((swarm_joined)) && [[ -n $dockerd_pid ]] && kill -0 "$dockerd_pid" 2>/dev/null; then
        echo "cleanup [${SECONDS}s]: the swarm"
        timeout 60 "$docker_cli" swarm leave --force >/dev/null 2>&1
    fi
    if [[ -n $managed_plugin ]] && [[ -n $dockerd_pid ]] && kill -0 "$dockerd_pid" 2>/dev/null; then
        echo "cleanup [${SECONDS}s]: the managed plugin's volumes and the plugin"
        local volume
        for volume in $(timeout 30 "$docker_cli" volume ls -q --filter "driver=$managed_plugin:latest" 2>/dev/null); do
            timeout 60 "$docker_cli" volume rm -f "$volume" >/dev/null 2>&1
        done
        timeout 60 "$docker_cli" plugin rm -f "$managed_plugin" >/dev/null 2>&1
    fi
    echo "cleanup [${SECONDS}s]: containers"
    if [[ -n $dockerd_pid ]] && kill -0 "$dockerd_pid" 2>/dev/null; then
        local containers
        containers=$(timeout 30 "$docker_cli" ps -aq 2>/dev/null)
        # shellcheck disable=SC2086 # one id per word
        [[ -z $containers ]] || timeout 60 "$docker_cli" rm -f $containers >/dev/null 2>&1
    fi

    echo "cleanup [${SECONDS}s]: the driver"
    if [[ -n $driver_pid ]]; then
        terminate "$driver_pid" "the driver" 15
    fi

    # The volumes' FUSE mounts, deepest first. An nfsfuse daemon exits once its mount is gone;
    # one that does not (stuck on a dead server) is killed by pid.
    echo "cleanup [${SECONDS}s]: volume mounts"
    while read -r mount_point; do
        [[ $mount_point != "$volume_root" ]] || continue
        echo "cleanup: unmounting $mount_point"
        umount -l "$mount_point"
    done < <(mounts_below "$volume_root" | sort -r)
    # cow volumes: their shares, under the overlays just removed.
    while read -r mount_point; do
        echo "cleanup: unmounting $mount_point"
        umount -l "$mount_point"
    done < <(mounts_below "$state_dir/cow" | sort -r)
    deadline=$((SECONDS + 5))
    while [[ -n $(nfsfuse_pids_of_run) ]] && ((SECONDS < deadline)); do sleep 0.1; done
    for pid in $(nfsfuse_pids_of_run); do
        echo "cleanup: killing nfsfuse pid $pid"
        kill -KILL "$pid" 2>/dev/null
    done

    echo "cleanup [${SECONDS}s]: dockerd"
    if [[ -n $dockerd_pid ]]; then
        terminate "$dockerd_pid" dockerd 30
        # dockerd stops the containerd it started; after a SIGKILL it could not.
        for pid in $(pgrep -f -- "containerd --config $run_dir/x/containerd/containerd.toml"); do
            echo "cleanup: killing containerd pid $pid left by dockerd" >&2
            kill -KILL "$pid" 2>/dev/null
        done
    fi

    echo "cleanup [${SECONDS}s]: ganesha, the plugin socket, $run_dir"
    if ((ganesha_started)); then "$tools_dir/ganesha.sh" stop "$run_dir/g"; fi
    rm -f "$plugin_socket"
    # Whatever is still mounted below the run directory (the volume root's own bind mount,
    # anything dockerd left), deepest first; then the directory, never crossing into a mount.
    while read -r mount_point; do
        umount -l "$mount_point" || echo "cleanup: cannot unmount $mount_point" >&2
    done < <(mounts_below "$run_dir" | sort -r)
    if [[ -n $(mounts_below "$run_dir") ]]; then
        echo "cleanup: mounts remain below $run_dir; leaving it:" >&2
        mounts_below "$run_dir" >&2
        ((status != 0)) || status=1
    else
        rm -rf --one-file-system -- "$run_dir"
    fi
    echo "== [${SECONDS}s] cleanup done"
    if ((status == 0)); then echo "PASS: docker_e2e in ${SECONDS}s"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'fail "interrupted by SIGINT"' INT
trap 'fail "stopped by SIGTERM (over the run budget of ${RUN_BUDGET_S}s, or killed)"' TERM

# Sends this script SIGTERM once the budget is spent. Bash runs the trap when the current
# (bounded) command returns. Killed by cleanup; its sleep dies with it.
watchdog() {
    local sleep_pid
    sleep "$RUN_BUDGET_S" &
    sleep_pid=$!
    trap 'kill "$sleep_pid" 2>/dev/null; exit 0' TERM
    wait "$sleep_pid"
    kill -TERM "$1"
}
watchdog "$$" </dev/null >/dev/null 2>&1 &
watchdog_pid=$!

# ---------------------------------------------------------------------------------------------
step "start dockerd (private data root, exec root and socket in $run_dir)"

mkdir -p "$run_dir"/{d,x,g,v,s,img,client}
# No bridge, no iptables: the containers run with --network none and nothing else on this machine
# must change. dockerd starts its own containerd below the exec root.
dockerd --iptables=false --ip-masq=false --bridge=none \
    --data-root "$run_dir/d" --exec-root "$run_dir/x" -H "$DOCKER_HOST" \
    --pidfile "$run_dir/docker.pid" </dev/null >"$dockerd_log" 2>&1 &
dockerd_pid=$!
deadline=$((SECONDS + DOCKERD_START_TIMEOUT_S))
until timeout 10 "$docker_cli" version >/dev/null 2>&1; do
    if ! kill -0 "$dockerd_pid" 2>/dev/null || ((SECONDS >= deadline)); then
        echo "---- last lines of $dockerd_log ----" >&2
        tail -n 30 "$dockerd_log" >&2
        if kill -0 "$dockerd_pid" 2>/dev/null; then
            skip "dockerd did not answer 'docker version' within ${DOCKERD_START_TIMEOUT_S}s"
        fi
        skip "dockerd exited during start-up"
    fi
    sleep 0.25
done
docker version --format 'dockerd {{.Server.Version}}, client {{.Client.Version}} ('"$docker_cli"')'

step "import a busybox image as bb:local (no registry)"
mkdir -p "$run_dir/img"/{bin,data,tmp,proc,sys,dev,etc}
cp "$busybox_bin" "$run_dir/img/bin/busybox"
for applet in sh cat echo id ls sleep touch grep wc test '['; do
    ln -s busybox "$run_dir/img/bin/$applet"
done
tar -C "$run_dir/img" -c . | docker import - bb:local >/dev/null
output=$(run_container e2e-smoke bb:local sh -c 'echo ok')
expect_eq "$output" ok "a plain container's output"

step "start ganesha on free ports"
ports=$("$tools_dir/free-ports.sh" 2) || fail "no free ports"
read -r nfs_port mount_port <<<"$ports"
ganesha_started=1
ganesha_pid=$("$tools_dir/ganesha.sh" start "$run_dir/g" "$nfs_port" "$mount_port") ||
    fail "ganesha did not start"
echo "ganesha pid $ganesha_pid exports $export_dir on 127.0.0.1:$nfs_port (MOUNT $mount_port)"
# NFSv4.1, the default: one explicit port (no portmapper: this machine's one rpcbind answers for
# whichever ganesha registered last, and other test runs may start theirs meanwhile). Step 5b
# covers NFSv3, which also needs the MOUNT port.
share_options=(-o server=127.0.0.1 -o path="$export_dir" -o port="$nfs_port")

step "start the driver as plugin $plugin"
start_driver

# ---------------------------------------------------------------------------------------------
step "1. docker volume create and inspect"
created=$(docker volume create -d "$plugin" "${share_options[@]}" -o mode=fuse v1 2>&1) || fail "docker volume create v1 failed: $created"
expect_eq "$created" v1 "docker volume create's output"
is_listed v1 || fail "docker volume ls does not list v1 with driver $plugin: $(docker volume ls)"
expect_eq "$(docker volume inspect -f '{{.Driver}}' v1)" "$plugin" "v1's driver"
expect_eq "$(volume_status v1 mode)" fuse "Status.mode of v1"
expect_eq "$(volume_status v1 server)" 127.0.0.1 "Status.server of v1"
expect_eq "$(volume_status v1 mounted)" false "Status.mounted of v1 before any container"
expect_eq "$(volume_status v1 mount_count)" 0 "Status.mount_count of v1 before any container"
is_unmounted v1 || fail "v1 is mounted before any container uses it"

# ---------------------------------------------------------------------------------------------
step "2. a container's write lands on the NFS server; a server-side write reaches a container"
# The proof is read from ganesha's export directory on disk, not through the mountpoint: a write
# into the plain directory underneath a mount that dockerd did not see would not get there.
# /proc/mounts inside the container shows what /data really is.
output=$(run_container e2e-w1 -v v1:/data bb:local \
    sh -c 'echo from-container >/data/c.txt; grep " /data " /proc/mounts')
echo "inside the container: $output"
[[ $output == *" /data fuse"* ]] || fail "/data in the container is not a FUSE mount: $output"
[[ $output == *allow_other* ]] || fail "/data in the container is not mounted allow_other: $output"
[[ -f $export_dir/c.txt ]] ||
    fail "the container's /data/c.txt is not in the export $export_dir: $(ls -la "$export_dir")"
expect_eq "$(cat "$export_dir/c.txt")" from-container "c.txt on the NFS server's disk"

echo from-server >"$export_dir/s.txt"
output=$(run_container e2e-r1 -v v1:/data bb:local cat /data/s.txt)
expect_eq "$output" from-server "a server-side file read by a container"

# ---------------------------------------------------------------------------------------------
step "3. two containers use v1 at once: one mount, one nfsfuse process"
# They wait for a release file, so both are certainly running at the checks below; the reader
# (read-only) then waits for the writer's "done" mark. Both go through the one mount, so the
# host's release and the writer's files are seen at once.
docker run -d --name e2e-writer --network none -v v1:/data bb:local sh -c \
    'while [ ! -e /data/release ]; do sleep 0.1; done
     for i in 1 2 3; do echo writer-$i >>/data/log; done
     touch /data/writer-done' >/dev/null || fail "docker run e2e-writer failed"
docker run -d --name e2e-reader --network none -v v1:/data:ro bb:local sh -c \
    'while [ ! -e /data/writer-done ]; do sleep 0.1; done; cat /data/log' >/dev/null ||
    fail "docker run e2e-reader failed"
both_use_v1() {
    [[ $(docker inspect -f '{{.State.Running}}' e2e-writer e2e-reader | sort -u) == true &&
        $(volume_status v1 mount_count) == 2 ]]
}
wait_until "both containers running with v1's mount_count 2" "$SETTLE_TIMEOUT_S" both_use_v1
expect_eq "$(volume_status v1 mounted)" true "Status.mounted of v1 while in use"
expect_eq "$(volume_mountpoint v1)" "$volume_root/v1" "v1's Mountpoint while in use"
expect_eq "$(count_lines "$(mounts_below "$volume_root/v1")")" 1 \
    "mounts on $volume_root/v1 with two containers"
expect_eq "$(count_lines "$(nfsfuse_pids_for "$volume_root/v1")")" 1 \
    "nfsfuse processes serving $volume_root/v1 with two containers"
v1_options=$(nfsfuse_options_of "$(nfsfuse_pids_for "$volume_root/v1")")
[[ $v1_options == vers=4.1,* && $v1_options != *mountport* ]] ||
    fail "v1 (no vers option) is not mounted over NFSv4.1, the default: nfsfuse -o $v1_options"
touch "$volume_root/v1/release"
expect_exit_status e2e-writer 0
expect_exit_status e2e-reader 0
expect_eq "$(docker logs e2e-reader 2>&1)" $'writer-1\nwriter-2\nwriter-3' \
    "what the reader read of the writer's log"
expect_eq "$(cat "$export_dir/log")" $'writer-1\nwriter-2\nwriter-3' "log on the NFS server's disk"
docker rm e2e-writer e2e-reader >/dev/null || fail "docker rm of the two containers failed"

# ---------------------------------------------------------------------------------------------
step "4. a non-root container user (1000:1000) reads the volume (allow_other)"
output=$(run_container e2e-user --user 1000:1000 -v v1:/data bb:local sh -c \
    'id -u; cat /data/s.txt /data/c.txt; if touch /data/by-1000 2>/dev/null; then echo wrote; fi')
# The export's root belongs to root, mode 0755: the server must refuse uid 1000's write, since
# nfsfuse sends each caller's own credentials although it runs as root.
expect_eq "$output" $'1000\nfrom-server\nfrom-container' "what uid 1000 read (and no write)"
[[ ! -e $export_dir/by-1000 ]] || fail "uid 1000 created a file in the root-owned 0755 export"

# ---------------------------------------------------------------------------------------------
step "4b. on a root_squash export each container user is itself, and root is the anonymous user"
squashed_dir="$run_dir/g/squashed" # ganesha.sh exports it with root_squash (65534:65534)
chmod 0777 "$squashed_dir"
docker volume create -d "$plugin" -o server=127.0.0.1 -o path="$squashed_dir" \
    -o port="$nfs_port" -o mode=fuse squashed >/dev/null || fail "docker volume create squashed failed"
# nocopy: on a volume's first use dockerd copies the image's files into it and gives its root
# their mode, which the squashed root may not do (the same with a kernel mount; docs/DRIVER.md).
run_container e2e-squash-user --user 1000:1000 -v squashed:/data:nocopy bb:local \
    sh -c 'echo mine >/data/by-1000' >/dev/null
run_container e2e-squash-root -v squashed:/data:nocopy bb:local \
    sh -c 'echo squashed >/data/by-root' >/dev/null
expect_eq "$(stat -c %u:%g "$squashed_dir/by-1000")" 1000:1000 "owner of uid 1000's file on the server"
expect_eq "$(stat -c %u:%g "$squashed_dir/by-root")" 65534:65534 "owner of root's file on the server"
expect_eq "$(cat "$squashed_dir/by-1000")" mine "uid 1000's file on the server"
docker volume rm squashed >/dev/null || fail "docker volume rm squashed failed"

# ---------------------------------------------------------------------------------------------
step "5. the last Unmount unmounts; docker volume rm keeps the data on the server"
wait_until "v1 unmounted (no mount in /proc/self/mountinfo, no nfsfuse) once no container runs" \
    "$SETTLE_TIMEOUT_S" is_unmounted v1
expect_eq "$(volume_status v1 mounted)" false "Status.mounted of v1 after the containers"
expect_eq "$(volume_status v1 mount_count)" 0 "Status.mount_count of v1 after the containers"
output=$(docker volume rm v1 2>&1) || fail "docker volume rm v1 failed: $output"
if is_listed v1; then fail "v1 is still listed after docker volume rm"; fi
[[ ! -e $volume_root/v1 ]] || fail "$volume_root/v1 is still there after docker volume rm"
expect_eq "$(cat "$export_dir/c.txt" "$export_dir/s.txt")" $'from-container\nfrom-server' \
    "the files on the NFS server after docker volume rm"
expect_eq "$(wc -l <"$export_dir/log")" 3 "lines of the log on the server after docker volume rm"

# ---------------------------------------------------------------------------------------------
step "5b. an NFSv3 volume (vers=3 with the MOUNT port) works the same"
docker volume create -d "$plugin" "${share_options[@]}" -o vers=3 -o mountport="$mount_port" \
    -o mode=fuse v3 >/dev/null || fail "docker volume create v3 (vers=3, mountport) failed"
docker run -d --name e2e-v3 --network none -v v3:/data bb:local sh -c \
    'echo over-nfs3 >/data/v3.txt; sleep 3600' >/dev/null || fail "docker run e2e-v3 failed"
v3_written() {
    [[ $(volume_status v3 mount_count) == 1 && -s $export_dir/v3.txt ]]
}
wait_until "e2e-v3 running with v3's mount_count 1 and v3.txt on the server" \
    "$SETTLE_TIMEOUT_S" v3_written
expect_eq "$(cat "$export_dir/v3.txt")" over-nfs3 "v3.txt on the NFS server's disk"
v3_options=$(nfsfuse_options_of "$(nfsfuse_pids_for "$volume_root/v3")")
[[ $v3_options == vers=3,* && $v3_options == *",mountport=$mount_port"* ]] ||
    fail "v3 is not mounted over NFSv3 with its MOUNT port: nfsfuse -o $v3_options"
docker rm -f e2e-v3 >/dev/null || fail "docker rm -f e2e-v3 failed"
wait_until "v3 unmounted once e2e-v3 is gone" "$SETTLE_TIMEOUT_S" is_unmounted v3
output=$(docker volume rm v3 2>&1) || fail "docker volume rm v3 failed: $output"

# ---------------------------------------------------------------------------------------------
step "6. driver restart while a container uses a volume"
docker volume create -d "$plugin" "${share_options[@]}" -o mode=fuse v2 >/dev/null || fail "docker volume create v2 failed"
docker run -d --name e2e-long --network none -v v2:/data bb:local sleep 3600 >/dev/null ||
    fail "docker run e2e-long failed"
long_uses_v2() {
    [[ $(docker inspect -f '{{.State.Running}}' e2e-long) == true &&
        $(volume_status v2 mount_count) == 1 ]]
}
wait_until "e2e-long running with v2's mount_count 1" "$SETTLE_TIMEOUT_S" long_uses_v2
nfsfuse_before=$(nfsfuse_pids_for "$volume_root/v2")
expect_eq "$(count_lines "$nfsfuse_before")" 1 "nfsfuse processes serving v2 before the restart"

stop_driver
[[ ! -S $plugin_socket ]] || fail "the driver left $plugin_socket behind on SIGTERM"
[[ -n $(mounts_below "$volume_root/v2") ]] || fail "v2's mount went away with the driver"
kill -0 "$nfsfuse_before" 2>/dev/null || fail "v2's nfsfuse (pid $nfsfuse_before) died with the driver"
output=$(docker exec e2e-long sh -c 'echo while-down >/data/down.txt; cat /data/s.txt' 2>&1) ||
    fail "the container cannot use v2 while the driver is down: $output"
expect_eq "$output" from-server "what e2e-long read while the driver was down"

start_driver
is_listed v2 || fail "docker volume ls does not list v2 after the restart: $(docker volume ls)"
expect_eq "$(volume_status v2 mounted)" true "Status.mounted of v2 after the restart"
expect_eq "$(volume_status v2 mount_count)" 1 "Status.mount_count of v2 after the restart"
expect_eq "$(volume_mountpoint v2)" "$volume_root/v2" "v2's Mountpoint after the restart"
# Adopted, not mounted a second time on top.
expect_eq "$(nfsfuse_pids_for "$volume_root/v2")" "$nfsfuse_before" \
    "the nfsfuse pid serving v2 after the restart"
expect_eq "$(count_lines "$(mounts_below "$volume_root/v2")")" 1 "mounts on v2 after the restart"
output=$(docker exec e2e-long sh -c 'echo after-restart >/data/r.txt; cat /data/down.txt' 2>&1) ||
    fail "the container cannot use v2 after the restart: $output"
expect_eq "$output" while-down "what e2e-long read after the restart"
expect_eq "$(cat "$export_dir/r.txt")" after-restart "r.txt on the NFS server's disk"

# ---------------------------------------------------------------------------------------------
step "6b. the nfsfuse serving v2 is SIGKILLed while e2e-long runs: the container reads the share again"
kill -KILL "$nfsfuse_before" || fail "cannot SIGKILL v2's nfsfuse (pid $nfsfuse_before)"
# Informational: the driver checks every second, so this read may already see the new mount.
output=$(docker exec e2e-long cat /data/r.txt 2>&1) || true
echo "right after the kill the container read: $output"
v2_revived() {
    [[ $(volume_status v2 revivals) == 1 ]]
}
wait_until "the driver revived v2 (Status.revivals 1)" "$SETTLE_TIMEOUT_S" v2_revived
event=$(volume_status v2 last_event)
echo "Status.last_event of v2: $event"
[[ $event == *"stopped working"* ]] || fail "Status.last_event does not tell what happened: $event"
expect_eq "$(volume_status v2 last_error)" "" "Status.last_error of v2 after the revival"
echo revived-on-server >"$export_dir/revived.txt"
output=$(docker exec e2e-long sh -c 'cat /data/revived.txt; echo from-revived >/data/w.txt' 2>&1) ||
    fail "the running container cannot use v2 after the revival: $output"
expect_eq "$output" revived-on-server "what e2e-long read after the revival"
expect_eq "$(cat "$export_dir/w.txt")" from-revived "w.txt (written after the revival) on the server"
new_server=$(nfsfuse_pids_of_run | grep -vx "$nfsfuse_before" || true)
expect_eq "$(count_lines "$new_server")" 1 "nfsfuse processes of this run after the revival"
output=$(run_container e2e-after-revival -v v2:/data bb:local cat /data/w.txt)
expect_eq "$output" from-revived "what a new container reads from v2 after the revival"

docker stop -t 1 e2e-long >/dev/null || fail "docker stop e2e-long failed"
docker wait e2e-long >/dev/null || fail "docker wait e2e-long failed"
# The Unmount dockerd sends now reaches the restarted driver, which must unmount.
wait_until "v2 unmounted after e2e-long stopped (restarted driver)" "$SETTLE_TIMEOUT_S" \
    is_unmounted v2
expect_eq "$(volume_status v2 mount_count)" 0 "Status.mount_count of v2 after e2e-long stopped"
no_nfsfuse_left() {
    [[ -z $(nfsfuse_pids_of_run) ]]
}
# The revived nfsfuse runs with the driver's staging directory as its argument: it must go too.
wait_until "no nfsfuse process of this run left" "$SETTLE_TIMEOUT_S" no_nfsfuse_left
docker rm e2e-long >/dev/null || fail "docker rm e2e-long failed"
output=$(docker volume rm v2 2>&1) || fail "docker volume rm v2 failed: $output"

# ---------------------------------------------------------------------------------------------
step "6c. a cow volume: containers share its changes, the share is never written, a driver restart keeps them"
# The share (here its subdir golden) is mounted read-only under an overlay whose upper layer is in
# the state directory; every container of the volume sees the same merged tree.
mkdir -p "$export_dir/golden"
echo golden-original >"$export_dir/golden/g.txt"
cow_unmounted() {
    [[ -z $(mounts_below "$volume_root/$1") && -z $(mounts_below "$state_dir/cow/$1") &&
        -z $(nfsfuse_pids_for "$state_dir/cow/$1/lower") ]]
}
docker volume create -d "$plugin" "${share_options[@]}" -o mode=fuse -o subdir=golden \
    -o cow=true vc >/dev/null || fail "docker volume create vc (cow=true) failed"
output=$(run_container e2e-c1 -v vc:/data bb:local \
    sh -c 'echo changed >/data/g.txt; echo new >/data/n.txt; grep " /data " /proc/mounts')
echo "inside the container: $output"
[[ $output == *" /data overlay "* ]] || fail "/data of a cow volume is not an overlay: $output"
output=$(run_container e2e-c2 -v vc:/data bb:local cat /data/g.txt /data/n.txt)
expect_eq "$output" $'changed\nnew' "what a second container reads of vc"
expect_eq "$(cat "$export_dir/golden/g.txt")" golden-original "g.txt on the server after cow writes"
[[ ! -e $export_dir/golden/n.txt ]] || fail "n.txt, made in a cow volume, reached the server"
docker run -d --name e2e-cow-long --network none -v vc:/data bb:local sleep 3600 >/dev/null ||
    fail "docker run e2e-cow-long failed"
cow_long_uses_vc() {
    [[ $(docker inspect -f '{{.State.Running}}' e2e-cow-long) == true &&
        $(volume_status vc mount_count) == 1 ]]
}
wait_until "e2e-cow-long running with vc's mount_count 1" "$SETTLE_TIMEOUT_S" cow_long_uses_vc
stop_driver
start_driver
expect_eq "$(volume_status vc mounted)" true "Status.mounted of vc after the restart"
output=$(docker exec e2e-cow-long sh -c 'cat /data/g.txt; echo after >/data/a.txt' 2>&1) ||
    fail "the container cannot use vc after the restart: $output"
expect_eq "$output" changed "what e2e-cow-long read of vc after the restart"
((  $(volume_status vc upper_bytes) > 0 )) || fail "Status.upper_bytes of vc is not above 0"
expect_eq "$(volume_status vc upper_dir)" "$state_dir/cow/vc/upper" "Status.upper_dir of vc"
docker rm -f e2e-cow-long >/dev/null || fail "docker rm -f e2e-cow-long failed"
wait_until "vc unmounted once e2e-cow-long is gone" "$SETTLE_TIMEOUT_S" cow_unmounted vc
output=$(run_container e2e-c3 -v vc:/data bb:local cat /data/g.txt /data/a.txt)
expect_eq "$output" $'changed\nafter' "what a later container reads of vc (cow=true keeps changes)"
[[ ! -e $export_dir/golden/a.txt ]] || fail "a.txt, made in a cow volume, reached the server"
wait_until "vc unmounted after e2e-c3" "$SETTLE_TIMEOUT_S" cow_unmounted vc
output=$(docker volume rm vc 2>&1) || fail "docker volume rm vc failed: $output"
[[ ! -e $state_dir/cow/vc ]] || fail "docker volume rm vc left $state_dir/cow/vc"

step "6d. a volatile cow volume forgets its changes after its last container"
docker volume create -d "$plugin" "${share_options[@]}" -o mode=fuse -o subdir=golden \
    -o cow=true -o volatile=true vv >/dev/null || fail "docker volume create vv (volatile) failed"
output=$(run_container e2e-vv1 -v vv:/data bb:local sh -c 'echo scratch >/data/g.txt; cat /data/g.txt')
expect_eq "$output" scratch "what the container read of its own change to vv"
wait_until "vv unmounted after e2e-vv1" "$SETTLE_TIMEOUT_S" cow_unmounted vv
output=$(run_container e2e-vv2 -v vv:/data bb:local cat /data/g.txt)
expect_eq "$output" golden-original "what the next container reads of vv (volatile: changes gone)"
expect_eq "$(cat "$export_dir/golden/g.txt")" golden-original "g.txt on the server after vv"
wait_until "vv unmounted after e2e-vv2" "$SETTLE_TIMEOUT_S" cow_unmounted vv
output=$(docker volume rm vv 2>&1) || fail "docker volume rm vv failed: $output"

# ---------------------------------------------------------------------------------------------
step "7. bad input through docker"
if output=$(docker volume create -d "$plugin" -o bogus=1 bad 2>&1); then
    fail "docker volume create -o bogus=1 succeeded: $output"
fi
echo "refused as expected: $output"
[[ $output == *bogus* ]] || fail "the error for -o bogus=1 does not name the option: $output"
if is_listed bad; then fail "the refused volume 'bad' is listed"; fi

# Docker's own name rule ([a-zA-Z0-9][a-zA-Z0-9_.-]+) is only enforced by its local driver; for a
# plugin the name may reach the driver, which builds VOLUME_ROOT/NAME from it.
for name in .. ../e2e-escape a/../../e2e-escape; do
    if output=$(docker volume create -d "$plugin" "${share_options[@]}" "$name" 2>&1); then
        fail "docker volume create of the name '$name' succeeded: $output"
    fi
    echo "name '$name' refused as expected: $output"
    [[ $output == *name* ]] || fail "the error for the volume name '$name' does not say why: $output"
    if is_listed "$name"; then fail "the refused name '$name' is listed"; fi
done
[[ ! -e $run_dir/e2e-escape ]] || fail "a refused volume name created $run_dir/e2e-escape"
# Every volume is gone, and with it every mountpoint directory the driver made.
expect_eq "$(ls -A "$volume_root")" "" "what is left in the volume root $volume_root"
expect_eq "$(docker volume ls -q --filter "driver=$plugin" | wc -l)" 0 \
    "volumes of $plugin left at the end"
kill -0 "$driver_pid" 2>/dev/null || fail "the driver died during the bad-input step"

# ---------------------------------------------------------------------------------------------
step "8. Swarm (one node): a service's task writes through a volume its node creates"
# The driver reports Scope "local" (docs/DRIVER.md, "Swarm"): each node's driver knows the
# volumes made on that node. A service's mount therefore carries the volume's options, and every
# node that runs a task creates the volume itself, all of them pointing at the one NFS share.
swarm_port=$("$tools_dir/free-ports.sh" 1) || fail "no free port for the swarm"
output=$(docker swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$swarm_port" 2>&1) ||
    fail "docker swarm init failed: $output"
swarm_joined=1
expect_eq "$(docker info --format '{{.Swarm.LocalNodeState}}')" active "this node's swarm state"
expect_eq "$(docker info --format '{{json .Plugins.Volume}}' | grep -c "\"$plugin\"")" 1 \
    "plugin $plugin among the volume plugins dockerd knows"
svc_mount="type=volume,source=sv,target=/data,volume-driver=$plugin"
svc_mount+=",volume-opt=server=127.0.0.1,volume-opt=path=$export_dir,volume-opt=port=$nfs_port"
svc_mount+=",volume-opt=mode=fuse"
# --network host: this dockerd has no bridge (and swarm has no "none" network); the task uses none.
output=$(docker service create --detach --name e2e-svc --network host --restart-condition none \
    --mount "$svc_mount" bb:local sh -c 'echo "from-swarm $(id -u)" >/data/swarm.txt; sleep 3600' \
    2>&1) || fail "docker service create e2e-svc failed: $output"
svc_wrote() {
    [[ -s $export_dir/swarm.txt && $(volume_status sv mount_count) == 1 ]]
}
wait_until "the service's task running with sv's mount_count 1 and swarm.txt on the server" \
    "$SETTLE_TIMEOUT_S" svc_wrote
expect_eq "$(cat "$export_dir/swarm.txt")" "from-swarm 0" "swarm.txt on the NFS server's disk"
expect_eq "$(docker volume inspect -f '{{.Driver}} {{.Scope}}' sv)" "$plugin local" \
    "sv's driver and scope"
expect_eq "$(volume_status sv mode)" fuse "Status.mode of sv"
docker service rm e2e-svc >/dev/null || fail "docker service rm e2e-svc failed"
wait_until "sv unmounted once the service is gone" "$SETTLE_TIMEOUT_S" is_unmounted sv
# The task's container goes a moment after its service; until then the volume is in use.
sv_removed() {
    docker volume rm sv >/dev/null 2>&1
}
wait_until "docker volume rm sv (once the task's container is gone)" "$SETTLE_TIMEOUT_S" sv_removed
output=$(docker swarm leave --force 2>&1) || fail "docker swarm leave --force failed: $output"
swarm_joined=0
expect_eq "$(cat "$export_dir/swarm.txt")" "from-swarm 0" "swarm.txt on the server after the swarm"

# ---------------------------------------------------------------------------------------------
step "9. the managed plugin: its volumes work, and survive docker plugin disable and enable"
if [[ -z $plugin_dir ]]; then
    echo "step 9 NOT RUN: no plugin directory given (packaging/docker-plugin/build-plugin.sh)"
else
    managed_plugin="nfsfuse-managed-$$"
    output=$(docker plugin create "$managed_plugin" "$plugin_dir" 2>&1) ||
        fail "docker plugin create failed: $output"
    # The state directory on the host (config.json's mount "state") and the driver's flags.
    mkdir -p "$run_dir/ps"
    output=$(docker plugin set "$managed_plugin" state.source="$run_dir/ps" \
        args="--default-mode fuse --check-interval 1" 2>&1) || fail "docker plugin set failed: $output"
    output=$(docker plugin enable "$managed_plugin" 2>&1) || fail "docker plugin enable failed: $output"
    expect_eq "$(docker plugin inspect -f '{{.Enabled}}' "$managed_plugin")" true \
        "the managed plugin enabled"
    managed_driver="$managed_plugin:latest"
    docker volume create -d "$managed_driver" "${share_options[@]}" pv >/dev/null ||
        fail "docker volume create with the managed plugin failed"
    expect_eq "$(volume_status pv mode)" fuse "Status.mode of pv (--default-mode fuse in args)"
    output=$(run_container e2e-managed-w -v pv:/data bb:local \
        sh -c 'echo from-managed >/data/m.txt; grep " /data " /proc/mounts')
    [[ $output == *" /data fuse"* ]] || fail "/data on the managed plugin's volume is not FUSE: $output"
    expect_eq "$(cat "$export_dir/m.txt")" from-managed "m.txt (written via the managed plugin) on the server"
    [[ -s $run_dir/ps/state.json ]] || fail "the plugin's state is not in the host directory $run_dir/ps"
    pv_unmounted() {
        [[ $(volume_status pv mounted) == false ]]
    }
    wait_until "pv unmounted once its container is done" "$SETTLE_TIMEOUT_S" pv_unmounted
    # Docker counts every volume of a plugin as a use of it: with volumes, only -f disables it (as
    # for an upgrade). No container uses pv now.
    output=$(docker plugin disable -f "$managed_plugin" 2>&1) ||
        fail "docker plugin disable -f failed: $output"
    output=$(docker plugin enable "$managed_plugin" 2>&1) || fail "docker plugin enable (again) failed: $output"
    listing=$(docker volume ls --format '{{.Driver}} {{.Name}}')
    grep -qxF -- "$managed_driver pv" <<<"$listing" ||
        fail "pv is not listed after docker plugin disable and enable: $listing"
    output=$(run_container e2e-managed-r -v pv:/data bb:local cat /data/m.txt)
    expect_eq "$output" from-managed "what a container reads from pv after disable and enable"
    wait_until "pv unmounted once the reader is done" "$SETTLE_TIMEOUT_S" pv_unmounted
    docker volume rm pv >/dev/null || fail "docker volume rm pv failed"
    output=$(docker plugin disable "$managed_plugin" 2>&1) || fail "docker plugin disable failed: $output"
    output=$(docker plugin rm "$managed_plugin" 2>&1) || fail "docker plugin rm failed: $output"
    managed_plugin=""
fi

step "all checks passed"
