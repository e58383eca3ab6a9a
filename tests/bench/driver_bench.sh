#!/usr/bin/env bash
# Benchmarks nfsfuse-driver (the Docker volume plugin) over its real unix socket against a private
# nfs-ganesha, with N fuse-mode volumes, and prints one table: per-call latency percentiles, the
# memory of the nfsfuse processes and of the driver, the time to mount all N volumes (one after
# another and from concurrent clients), and a restart of the driver with all N mounted.
#
#   tests/bench/driver_bench.sh [-n N] [-c CLIENTS] [--driver PATH] [--nfsfuse PATH]
#
#   -n N, BENCH_VOLUMES=N        volumes (default 100)
#   -c C, BENCH_CLIENTS=C        concurrent clients for the parallel mount (default 8)
#   --driver PATH                default build/driver/nfsfuse-driver (built if missing)
#   --nfsfuse PATH               default build/fusefs/nfsfuse (built if missing)
#
# Runs as root (the driver mounts). The table goes to stdout, progress to stderr. Exit status 0
# only if every call succeeded and every check held; otherwise 1 with the cause and the end of the
# driver's log, and no table. Everything it starts is stopped again on exit (see cleanup).
# The calls are made and timed by driver_bench.py (next to this script); see README.md here.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$script_dir/../.." && pwd)
readonly script_dir repo
# The system Python: the standard library is all the client needs, and a pyenv or venv python
# first on PATH must not change what runs.
readonly python=/usr/bin/python3

volumes=${BENCH_VOLUMES:-100}
clients=${BENCH_CLIENTS:-8}
driver_bin=""
nfsfuse_bin=""

# usage [STATUS]: the usage lines of the header above; on stderr unless asked for (-h).
usage() {
    if ((${1:-2} == 0)); then
        sed -n '7,12p' "$0" | sed 's/^# \{0,1\}//'
    else
        sed -n '7,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    fi
    exit "${1:-2}"
}

die() {
    echo "driver_bench: $*" >&2
    exit 1
}

while (($# > 0)); do
    case $1 in
    -n | --volumes) volumes=${2:?}; shift 2 ;;
    -c | --clients) clients=${2:?}; shift 2 ;;
    --driver) driver_bin=${2:?}; shift 2 ;;
    --nfsfuse) nfsfuse_bin=${2:?}; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "driver_bench: unknown argument '$1'" >&2; usage ;;
    esac
done
[[ $volumes =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, not '$volumes'"
[[ $clients =~ ^[1-9][0-9]*$ ]] || die "the client count must be a positive number, not '$clients'"
(($(id -u) == 0)) || die "run as root: the driver mounts volumes"
[[ -x $python ]] || die "$python is missing (apt-get install python3)"

# ---- binaries -----------------------------------------------------------------------------------

if [[ -z $driver_bin && -z $nfsfuse_bin &&
    (! -x $repo/build/driver/nfsfuse-driver || ! -x $repo/build/fusefs/nfsfuse) ]]; then
    echo "driver_bench: building nfsfuse and nfsfuse-driver in $repo/build" >&2
    cmake -S "$repo" -B "$repo/build" -DNFSFUSE_WERROR=ON >&2
    # Only the two programs: a test that does not compile must not stop the benchmark.
    cmake --build "$repo/build" -j2 --target nfsfuse-driver nfsfuse >&2
fi
driver_bin=${driver_bin:-$repo/build/driver/nfsfuse-driver}
nfsfuse_bin=${nfsfuse_bin:-$repo/build/fusefs/nfsfuse}
[[ -x $driver_bin ]] || die "no driver at $driver_bin (build it, or pass --driver)"
[[ -x $nfsfuse_bin ]] || die "no nfsfuse at $nfsfuse_bin (build it, or pass --nfsfuse)"

if ! command -v ganesha.nfsd >/dev/null; then
    echo "driver_bench: ganesha.nfsd is missing; running packaging/install-deps.sh" >&2
    "$repo/packaging/install-deps.sh" >&2
fi

# ---- scratch space and cleanup ------------------------------------------------------------------

# Everything of this run lives here: the binaries, ganesha's export, the driver's socket (kept
# short: a unix socket path has at most 107 bytes), state and volume root, and the logs.
tmp=$(mktemp -d /tmp/nfsfuse-bench.XXXXXX)
readonly tmp
readonly socket=$tmp/p.sock state_dir=$tmp/state volume_root=$tmp/volumes
readonly server_dir=$tmp/srv driver_log=$tmp/driver.log pidfile=$tmp/driver.pid
ganesha_started=false

# Mount points below $1 from /proc/self/mountinfo (field 5, octal escapes undone), deepest first.
mounts_below() {
    local prefix=$1 mount_point
    while read -r _ _ _ _ mount_point _; do
        mount_point=$(printf '%b' "${mount_point//\\/\\0}")
        [[ $mount_point == "$prefix" || $mount_point == "$prefix"/* ]] && printf '%s\n' "$mount_point"
    done </proc/self/mountinfo | sort -r
}

# pids of live nfsfuse processes running this run's copy of the binary.
our_nfsfuse_pids() {
    local proc argv0
    for proc in /proc/[0-9]*; do
        argv0=$(tr '\0' '\n' 2>/dev/null <"$proc/cmdline" | head -n 1) || continue
        [[ $argv0 == "$tmp/bin/nfsfuse" ]] && echo "${proc#/proc/}"
    done
    return 0
}

driver_pid() {
    [[ -s $pidfile ]] && cat "$pidfile"
}

# True while PID runs. A zombie counts as gone: the restarted driver is no child of this shell, and
# an init that is slow to reap orphans must not look like a driver ignoring SIGTERM.
pid_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) } # the state letter follows the last ")"
    [[ ${stat:0:1} != Z ]]
}

print_driver_log_tail() {
    [[ -f $driver_log ]] || return 0
    echo "---- last 40 lines of the driver log ($driver_log) ----" >&2
    tail -n 40 "$driver_log" >&2
    echo "----" >&2
}

# Runs on every exit, success or not: volumes away through the API, then the driver stopped, then
# whatever is still mounted detached, leftover nfsfuse processes ended, ganesha stopped and the
# scratch directory removed. Each step is best effort so one failure does not skip the rest.
cleanup() {
    local status=$? pid mount_point
    set +e
    # Once: a second ^C (or a closed stdout) must not cut the cleanup short; its commands inherit
    # the ignoring too.
    trap - EXIT
    trap '' HUP INT PIPE TERM
    if ((status != 0)); then
        print_driver_log_tail
        # With a driver that has no mountport option, nfsfuse finds the MOUNT port through the
        # one rpcbind. Another ganesha on this machine (the integration tests start many)
        # re-registers it when it starts and unregisters it when it stops: then this run's mounts
        # ask the wrong server or none.
        local registered
        registered=$(rpcinfo -p 127.0.0.1 2>/dev/null |
            awk '$1 == 100005 && $2 == 3 && $3 == "tcp" { print $4; exit }')
        if [[ -n ${mount_port:-} && $registered != "$mount_port" ]]; then
            echo "driver_bench: note: rpcbind has ${registered:-no} MOUNT v3 port, not this run's" \
                "ganesha's $mount_port: another NFS server (re)registered or unregistered" \
                "meanwhile (this matters only if the volumes used the portmapper, as said above)" >&2
        fi
    fi
    pid=$(driver_pid)
    if [[ -n $pid ]] && pid_alive "$pid"; then
        "$python" "$script_dir/driver_bench.py" cleanup --socket "$socket" --pidfile "$pidfile" ||
            echo "driver_bench: cleanup through the API was incomplete; unmounting directly" >&2
        kill -TERM "$pid" 2>/dev/null
        for _ in {1..100}; do pid_alive "$pid" || break; sleep 0.1; done
        if pid_alive "$pid"; then
            echo "driver_bench: the driver (pid $pid) ignored SIGTERM for 10 s; SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    # Lazily, so a busy or dead mount cannot block; this includes the volume root's bind mount.
    while read -r mount_point; do
        [[ -n $mount_point ]] && umount -l "$mount_point"
    done < <(mounts_below "$tmp")
    # A detached FUSE mount ends its nfsfuse process; anything still running after 5 s is ended.
    for _ in {1..50}; do [[ -z $(our_nfsfuse_pids) ]] && break; sleep 0.1; done
    for pid in $(our_nfsfuse_pids); do
        echo "driver_bench: nfsfuse pid $pid still running after cleanup; SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null
    done
    if $ganesha_started; then "$repo/tests/tools/ganesha.sh" stop "$server_dir"; fi
    if [[ -z $(mounts_below "$tmp") ]]; then
        rm -rf --one-file-system "$tmp"
    else
        echo "driver_bench: $tmp still has mounts; leaving it" >&2
    fi
    exit "$status"
}
# A signal without a trap would kill the shell without running the EXIT trap; this includes
# SIGPIPE when stdout is a pipe closed early (| head).
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

# Private copies of the binaries: a rebuild during the run (make replaces the files) must not
# change the program under test, and the copy's path tells this run's nfsfuse processes apart.
mkdir -p "$tmp/bin"
cp "$driver_bin" "$tmp/bin/nfsfuse-driver"
cp "$nfsfuse_bin" "$tmp/bin/nfsfuse"

# ---- NFS server ---------------------------------------------------------------------------------

ports=$("$repo/tests/tools/free-ports.sh" 2)
read -r nfs_port mount_port <<<"$ports"
ganesha_started=true
ganesha_pid=$("$repo/tests/tools/ganesha.sh" start "$server_dir" "$nfs_port" "$mount_port")
export_dir=$(cd "$server_dir/export" && pwd -P)
echo "driver_bench: ganesha (pid $ganesha_pid) serves $export_dir on 127.0.0.1:$nfs_port" >&2

# ---- the driver ---------------------------------------------------------------------------------

driver_argv=("$tmp/bin/nfsfuse-driver" --socket "$socket" --state-dir "$state_dir"
    --volume-root "$volume_root" --default-mode fuse --nfsfuse "$tmp/bin/nfsfuse")
# A background job of a non-interactive shell ignores SIGINT: a ^C stops this script, whose
# cleanup then takes the volumes away and stops the driver in order.
"${driver_argv[@]}" </dev/null >>"$driver_log" 2>&1 &
echo $! >"$pidfile"

# ---- measure ------------------------------------------------------------------------------------

# What was measured: the binaries (with their build time) and the checkout's commit.
revision="$(realpath "$driver_bin") (built $(date -u -r "$driver_bin" '+%F %T UTC'))"
revision+=", $(realpath "$nfsfuse_bin")"$'\n'"checkout: $repo at commit"
revision+=" $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n $(git -C "$repo" status --porcelain -- driver src fusefs 2>/dev/null) ]]; then
    revision+=", with uncommitted changes in driver/, src/ or fusefs/"
fi

echo "driver_bench: $volumes volumes, $clients concurrent clients; work directory $tmp" >&2
started=$SECONDS
if ! "$python" "$script_dir/driver_bench.py" run --socket "$socket" --pidfile "$pidfile" \
    --volume-root "$volume_root" --export "$export_dir" --nfs-port "$nfs_port" \
    --mount-port "$mount_port" --nfsfuse "$tmp/bin/nfsfuse" \
    --volumes "$volumes" --clients "$clients" --log "$driver_log" --revision "$revision" \
    -- "${driver_argv[@]}"; then
    exit 1
fi
# Warnings and errors the driver logged during a run where every call succeeded.
problems=$(grep -cE '\[(warning|error|critical)\]' "$driver_log" || true)
echo "driver log: $problems warning/error line(s); measuring took $((SECONDS - started)) s," \
    "the whole script $SECONDS s before cleanup"
if ((problems > 0)); then grep -E '\[(warning|error|critical)\]' "$driver_log" | head -n 20; fi
