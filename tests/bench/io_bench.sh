#!/usr/bin/env bash
# Compares the I/O of four clients of one private nfs-ganesha export on loopback and prints one
# table: nfsfuse over NFSv3 and over NFSv4.1 (two FUSE mounts), raw libnfs (raw_libnfs_bench:
# libnfs's synchronous NFSv3 API, no FUSE) and the local disk (the export's directory, which
# ganesha serves). Workloads: sequential write and read (cold and warm), random 4 KiB reads (1 and
# 4 jobs), metadata (create, stat, list, delete) and the untar of a source tree.
#
#   tests/bench/io_bench.sh [--nfsfuse PATH] [--raw PATH]
#
#   BENCH_SIZE_MIB=N           sequential file size in MiB (default 1024)
#   BENCH_FILES=N              files of the metadata workload (default 10000)
#   BENCH_RUNTIME_S=N          seconds of each random read run (default 10)
#   BENCH_ROUNDS=N             rounds of nfsfuse's sequential write and read rows (default 4)
#   BENCH_TAR_SOURCE=DIR       the tree to untar (default /usr/include)
#   NFSFUSE_BENCH_OPTS=A,B     extra nfsfuse -o options of every mount (default none),
#                              e.g. io_uring=off
#   BENCH_V41_FIRST=1          the metadata and untar rows run NFSv4.1 before NFSv3 (default
#                              0: v3 first); io_bench_repeat.sh takes turns
#   BENCH_OUT=FILE             also write the results as JSON to FILE (bench_results.py reads it)
#   --nfsfuse PATH, --raw PATH the binaries (default build/fusefs/nfsfuse and
#                              build/tests/bench/raw_libnfs_bench, built when missing)
#
# Runs as root (FUSE mounts, drop_caches). The table goes to stdout, progress to stderr. Exit
# status 0 only if every step succeeded and every check held; otherwise 1 with what failed and no
# table. Everything it starts is stopped again on exit, also on failure and ^C (see cleanup).
# io_bench_repeat.sh runs it several times and reports the spread of each ratio.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$script_dir/../.." && pwd)
readonly script_dir repo
# The system Python (fio's JSON, the metadata workload): a venv first on PATH must not matter.
readonly python=/usr/bin/python3
# The result tools are imported from tests/bench: no __pycache__ left in the checkout by root.
export PYTHONDONTWRITEBYTECODE=1

size_mib=${BENCH_SIZE_MIB:-1024}
files=${BENCH_FILES:-10000}
runtime_s=${BENCH_RUNTIME_S:-10}
rounds=${BENCH_ROUNDS:-4}
tar_source=${BENCH_TAR_SOURCE:-/usr/include}
extra_opts=${NFSFUSE_BENCH_OPTS:-}
v41_first=${BENCH_V41_FIRST:-0}
results_out=${BENCH_OUT:-}
# A step that takes longer than this is hung (a FUSE request that never returns): fail, not wait.
readonly step_timeout_s=${BENCH_STEP_TIMEOUT_S:-1800}
nfsfuse_bin=""
raw_bin=""

usage() {
    if ((${1:-2} == 0)); then
        sed -n '8,23p' "$0" | sed 's/^# \{0,1\}//'
    else
        sed -n '8,23p' "$0" | sed 's/^# \{0,1\}//' >&2
    fi
    exit "${1:-2}"
}

die() {
    echo "io_bench: FAILED: $*" >&2
    exit 1
}

log() {
    echo "io_bench: $*" >&2
}

while (($# > 0)); do
    case $1 in
    --nfsfuse) nfsfuse_bin=${2:?}; shift 2 ;;
    --raw) raw_bin=${2:?}; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "io_bench: unknown argument '$1'" >&2; usage ;;
    esac
done
for setting in size_mib files runtime_s rounds; do
    [[ ${!setting} =~ ^[1-9][0-9]*$ ]] || die "$setting must be a positive number, not '${!setting}'"
done
[[ $extra_opts =~ ^[^[:space:]]*$ ]] || die "NFSFUSE_BENCH_OPTS must not contain spaces"
[[ $v41_first == [01] ]] || die "BENCH_V41_FIRST must be 0 or 1, not '$v41_first'"
# The other settings are BENCH_*: a run meant to compare mount options must not silently run
# with none because of the name.
[[ -z ${BENCH_NFSFUSE_OPTS+set} ]] ||
    die "BENCH_NFSFUSE_OPTS is not a setting; the extra nfsfuse options are NFSFUSE_BENCH_OPTS"
if [[ -n $results_out ]]; then
    results_out=$(realpath -m -- "$results_out")
    [[ -d $(dirname "$results_out") && -w $(dirname "$results_out") ]] ||
        die "BENCH_OUT: cannot write into $(dirname "$results_out")"
fi
[[ -d $tar_source ]] || die "BENCH_TAR_SOURCE $tar_source is not a directory"
(($(id -u) == 0)) || die "run as root: FUSE mounts and /proc/sys/vm/drop_caches need it"
[[ -x $python ]] || die "$python is missing (apt-get install python3)"

# ---- tools and binaries -------------------------------------------------------------------------

if ! command -v ganesha.nfsd >/dev/null || ! command -v fio >/dev/null; then
    log "ganesha.nfsd or fio is missing; running packaging/install-deps.sh"
    "$repo/packaging/install-deps.sh" >&2
fi
for tool in fio dd tar fusermount3 ganesha.nfsd timeout; do
    command -v "$tool" >/dev/null || die "$tool is not installed (packaging/install-deps.sh)"
done

# Only what is missing is built: a rebuild of an existing nfsfuse would measure whatever the
# source holds right now, and a test that does not compile must not stop the benchmark.
targets=()
[[ -z $nfsfuse_bin && ! -x $repo/build/fusefs/nfsfuse ]] && targets+=(nfsfuse)
[[ -z $raw_bin && ! -x $repo/build/tests/bench/raw_libnfs_bench ]] && targets+=(raw_libnfs_bench)
if ((${#targets[@]} > 0)); then
    log "building ${targets[*]} in $repo/build"
    cmake -S "$repo" -B "$repo/build" -DNFSFUSE_WERROR=ON >&2 || die "cmake configure failed"
    cmake --build "$repo/build" -j2 --target "${targets[@]}" >&2 || die "building ${targets[*]} failed"
fi
nfsfuse_bin=${nfsfuse_bin:-$repo/build/fusefs/nfsfuse}
raw_bin=${raw_bin:-$repo/build/tests/bench/raw_libnfs_bench}
[[ -x $nfsfuse_bin ]] || die "no nfsfuse at $nfsfuse_bin (build it, or pass --nfsfuse)"
[[ -x $raw_bin ]] || die "no raw_libnfs_bench at $raw_bin (build it, or pass --raw)"

# ---- scratch space and cleanup ------------------------------------------------------------------

# On disk, not tmpfs: the local-disk column and ganesha's export must be a real filesystem.
tmp=$(mktemp -d /var/tmp/nfsfuse-iobench.XXXXXX)
readonly tmp
readonly server_dir=$tmp/srv mnt=$tmp/mnt mnt4=$tmp/mnt4 bin=$tmp/bin
ganesha_started=false

# Whether something is mounted exactly at $1 (field 5 of mountinfo; our paths need no escapes).
is_mounted() {
    awk -v mp="$1" '$5 == mp { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# our_nfsfuse_pids [MOUNTPOINT]: pids of live nfsfuse processes running this run's copy of the
# binary (only those serving MOUNTPOINT when given).
our_nfsfuse_pids() {
    local proc argv
    for proc in /proc/[0-9]*; do
        argv=$(tr '\0' '\n' 2>/dev/null <"$proc/cmdline") || continue
        [[ $(head -n 1 <<<"$argv") == "$bin/nfsfuse" ]] || continue
        if [[ -z ${1:-} ]] || grep -qxF -- "$1" <<<"$argv"; then echo "${proc#/proc/}"; fi
    done
    return 0
}

# Runs on every exit, success or not; each step is best effort so one failure skips nothing.
cleanup() {
    local status=$? pid mountpoint
    set +e
    # Once: a second ^C must not cut the cleanup short.
    trap - EXIT
    trap '' HUP INT PIPE TERM
    for mountpoint in "$mnt" "$mnt4"; do
        if is_mounted "$mountpoint"; then
            fusermount3 -u "$mountpoint" || umount -l "$mountpoint"
        fi
    done
    # An unmounted FUSE filesystem ends its nfsfuse process; anything left after 10 s is ended.
    for _ in {1..100}; do [[ -z $(our_nfsfuse_pids) ]] && break; sleep 0.1; done
    for pid in $(our_nfsfuse_pids); do
        echo "io_bench: nfsfuse pid $pid still running after the unmount; SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null
    done
    if $ganesha_started; then "$repo/tests/tools/ganesha.sh" stop "$server_dir"; fi
    if is_mounted "$mnt" || is_mounted "$mnt4"; then
        echo "io_bench: $mnt or $mnt4 is still mounted; leaving $tmp" >&2
    else
        rm -rf --one-file-system "$tmp"
    fi
    exit "$status"
}
# A signal without a trap would kill the shell without running the EXIT trap.
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

[[ $(stat -f -c %T "$tmp") != tmpfs ]] || die "$tmp is on tmpfs; the benchmark needs a disk"
# Four sequential files at once (one per client), plus the tarball and its two extractions.
source_mib=$(du -sm "$tar_source" | cut -f1)
need_mib=$((4 * size_mib + 3 * source_mib + 1024))
avail_mib=$(df --output=avail -m "$tmp" | tail -n 1 | tr -d ' ')
((avail_mib >= need_mib)) ||
    die "$tmp has $avail_mib MiB free; this run needs $need_mib MiB (lower BENCH_SIZE_MIB?)"

# Private copies: a rebuild during the run must not change what is measured, and the copy's path
# tells this run's nfsfuse processes from others.
mkdir -p "$bin" "$mnt" "$mnt4"
nfsfuse_built=$(date -u -r "$nfsfuse_bin" '+%F %T UTC')
cp "$nfsfuse_bin" "$bin/nfsfuse" || die "cannot copy $nfsfuse_bin"
cp "$raw_bin" "$bin/raw_libnfs_bench" || die "cannot copy $raw_bin"

# ---- NFS server ---------------------------------------------------------------------------------

# Two free ports in 21000-32000, the range the test harness uses too.
ports=$("$repo/tests/tools/free-ports.sh" 2) || die "no free ports"
read -r nfs_port mount_port <<<"$ports"
ganesha_started=true
ganesha_pid=$("$repo/tests/tools/ganesha.sh" start "$server_dir" "$nfs_port" "$mount_port")
export_dir=$(cd "$server_dir/export" && pwd -P)
readonly export_dir
log "ganesha (pid $ganesha_pid) serves $export_dir on 127.0.0.1:$nfs_port (MOUNT $mount_port)"
# One directory per client in the one export; the disk column works in disk/ directly.
mkdir "$export_dir/fuse" "$export_dir/fuse4" "$export_dir/raw" "$export_dir/disk"
# NFSv4 names the export by its path in the server's pseudo filesystem, whatever ganesha.sh
# configures as Pseudo (a fixed name or the real path). The first export is the one benchmarked
# (ganesha.sh adds others, e.g. a root-squashed one for the identity tests).
pseudo_path=$(sed -n 's/^[[:space:]]*Pseudo[[:space:]]*=[[:space:]]*\([^;[:space:]]*\).*/\1/p' \
    "$server_dir/ganesha.conf" | head -n 1)
[[ $pseudo_path == /* ]] || die "no Pseudo path in $server_dir/ganesha.conf"
readonly pseudo_path

# The two nfsfuse mounts, by client name: fuse (NFSv3) and fuse4 (NFSv4.1). Ports always given:
# rpcbind may name another ganesha on this machine (tests start many); NFSv4 needs no MOUNT port.
declare -A mountpoint_of=([fuse]=$mnt [fuse4]=$mnt4)
declare -A source_of=([fuse]=127.0.0.1:$export_dir [fuse4]=127.0.0.1:$pseudo_path)
# The nfsfuse process serving each mount (set by mount_nfsfuse): its CPU time is measured.
declare -A nfsfuse_pid_of
declare -A options_of=(
    [fuse]="vers=3,port=$nfs_port,mountport=$mount_port${extra_opts:+,$extra_opts}"
    [fuse4]="vers=4.1,port=$nfs_port${extra_opts:+,$extra_opts}"
)

# ---- helpers ------------------------------------------------------------------------------------

# Runs a measured command with the step timeout. In the foreground process group, so ^C reaches
# it (and then this script's INT trap).
bounded() {
    timeout --foreground --kill-after=10 "$step_timeout_s" "$@"
}

# mount_nfsfuse CLIENT [OPTION,...]: CLIENT's mount (fuse or fuse4) with the run's options plus
# these (later ones win).
mount_nfsfuse() {
    local mountpoint=${mountpoint_of[$1]}
    # nfsfuse daemonizes once the mount is live.
    "$bin/nfsfuse" "${source_of[$1]}" "$mountpoint" -o "${options_of[$1]}${2:+,$2}" \
        >>"$tmp/nfsfuse.log" 2>&1 || die "nfsfuse mount failed: $(tail -n 5 "$tmp/nfsfuse.log")"
    is_mounted "$mountpoint" || die "nfsfuse returned but $mountpoint is not mounted"
    local pids
    pids=$(our_nfsfuse_pids "$mountpoint")
    [[ $pids =~ ^[0-9]+$ ]] || die "not exactly one nfsfuse process serves $mountpoint: '$pids'"
    nfsfuse_pid_of[$1]=$pids
}

# unmount_nfsfuse CLIENT: unmounts and waits for its nfsfuse process to end, so the next mount
# starts with nothing cached by the last one (neither in the kernel nor in nfsfuse).
unmount_nfsfuse() {
    local mountpoint=${mountpoint_of[$1]} i
    fusermount3 -u "$mountpoint" || die "fusermount3 -u $mountpoint failed"
    for ((i = 0; i < 150; i++)); do
        [[ -z $(our_nfsfuse_pids "$mountpoint") ]] && return 0
        sleep 0.1
    done
    die "nfsfuse still runs 15 s after unmounting $mountpoint"
}

# remount_nfsfuse CLIENT [OPTION,...]
remount_nfsfuse() {
    unmount_nfsfuse "$1"
    mount_nfsfuse "$1" "${2:-}"
}

# Empties the page cache, dentries and inodes of the whole machine: the cold reads of all four
# clients then also find the server's copy (ganesha reading ext4) cold.
drop_caches() {
    sync || die "sync failed"
    echo 3 >/proc/sys/vm/drop_caches || die "cannot write /proc/sys/vm/drop_caches"
}

# Reads FILE once so the server's (or the local) page cache holds it.
warm_server_cache() {
    cat "$1" >/dev/null || die "cannot read $1"
}

# ---- CPU time ----
# What each process spent is read before and after a measured step: nfsfuse's and ganesha's from
# /proc/PID/stat (all threads), dd's and raw_libnfs_bench's from the shell's own account of its
# children (the builtin times), since they are children of the step.
clock_ticks=$(getconf CLK_TCK)
readonly clock_ticks

# cpu_seconds_of PID: user + system CPU seconds of process PID (all its threads) so far.
cpu_seconds_of() {
    local stat fields
    stat=$(<"/proc/$1/stat") || die "process $1 is gone"
    # The command name, in parentheses, may hold spaces: the fields after it start with the
    # state (field 3), so utime (field 14) and stime (15) are the 12th and 13th of these.
    read -r -a fields <<<"${stat##*) }"
    awk -v t="$((fields[11] + fields[12]))" -v hz="$clock_ticks" 'BEGIN { printf "%.3f", t / hz }'
}

# children_cpu_seconds: user + system CPU seconds of the children this shell has waited for
# (and of theirs), in the variable children_cpu. Not through $(...): that would be a new shell
# without children.
children_cpu_seconds() {
    local file=$tmp/times.$BASHPID
    times >"$file"
    # times' second line: the children's user and system time, as "1m2.345s 0m0.678s".
    children_cpu=$(awk 'NR == 2 {
        total = 0
        for (i = 1; i <= 2; i++) {
            gsub(",", ".", $i) # a decimal comma, in some locales
            split($i, t, /[ms]/)
            total += t[1] * 60 + t[2]
        }
        printf "%.3f", total }' "$file") || die "cannot read the CPU time of children from $file"
    rm -f "$file"
}

# CPU seconds and bytes per (row, client, process), summed over the runs of the row:
# cpu_secs[ROW,CLIENT,PROCESS] and cpu_bytes[ROW,CLIENT,PROCESS]. PROCESS: client (the nfsfuse
# process or raw_libnfs_bench), server (ganesha) or app (dd, which reads or writes the file).
declare -A cpu_secs cpu_bytes
add_cpu() {
    local key=$1,$2,$3
    cpu_secs[$key]=$(awk -v a="${cpu_secs[$key]:-0}" -v b="$4" 'BEGIN { print a + b }')
    cpu_bytes[$key]=$((${cpu_bytes[$key]:-0} + $5))
}

# cpu_sample_start CLIENT: notes what CLIENT's nfsfuse process (fuse, fuse4) and ganesha (not
# for disk) have spent so far; cpu_sample_end ROW CLIENT BYTES adds what they spent since.
cpu_sample_start() {
    sample_client="" sample_server=""
    if [[ $1 == fuse || $1 == fuse4 ]]; then
        sample_client=$(cpu_seconds_of "${nfsfuse_pid_of[$1]}")
    fi
    if [[ $1 != disk ]]; then sample_server=$(cpu_seconds_of "$ganesha_pid"); fi
}
# spent_since BEFORE PID: CPU seconds PID spent since it had spent BEFORE.
spent_since() {
    awk -v a="$1" -v b="$(cpu_seconds_of "$2")" 'BEGIN { print b - a }'
}
cpu_sample_end() {
    local row=$1 client=$2 bytes=$3
    if [[ -n $sample_client ]]; then
        add_cpu "$row" "$client" client "$(spent_since "$sample_client" "${nfsfuse_pid_of[$client]}")" "$bytes"
    fi
    if [[ -n $sample_server ]]; then
        add_cpu "$row" "$client" server "$(spent_since "$sample_server" "$ganesha_pid")" "$bytes"
    fi
}

# dd ARG...: runs dd, prints "BYTES SECONDS CPU_SECONDS" from its summary line and its CPU time.
dd_measure() {
    local out line
    out=$(LC_ALL=C bounded dd "$@" 2>&1) || die "dd $* failed: $out"
    children_cpu_seconds # this shell's only child so far was that dd (a $(...) of its own)
    line=$(tail -n 1 <<<"$out")
    [[ $line =~ ^([0-9]+)\ bytes.*copied,\ ([0-9.e+-]+)\ s, ]] || die "cannot parse dd's '$line'"
    echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} $children_cpu"
}

# raw COMMAND ARG...: runs raw_libnfs_bench against the export, prints its "key value" lines and
# "cpu_seconds", the CPU time it took.
raw() {
    local out
    out=$(bounded "$bin/raw_libnfs_bench" --server 127.0.0.1 --export "$export_dir" \
        --nfs-port "$nfs_port" --mount-port "$mount_port" "$@" 2>&1) ||
        die "raw_libnfs_bench $* failed: $out"
    children_cpu_seconds # this shell's only child was that raw_libnfs_bench (in its $(...))
    echo "$out"
    echo "cpu_seconds $children_cpu"
}

# value KEY [N]: the Nth (default 1st) value of KEY in the "key value" lines on stdin.
value() {
    local lines
    lines=$(cat)
    awk -v key="$1" -v n="${2:-1}" '$1 == key && ++seen == n { print $2; found = 1; exit }
        END { exit !found }' <<<"$lines" || die "no value '$1' (#${2:-1}) in: $lines"
}

# rate COUNT SECONDS FORMAT: COUNT / SECONDS, printf'd with FORMAT; both must be positive.
rate() {
    awk -v n="$1" -v s="$2" -v f="$3" 'BEGIN { if (!(n > 0 && s > 0)) exit 1; printf f, n / s }' ||
        die "no rate from count '$1' and seconds '$2'"
}

# megabytes_per_s BYTES SECONDS
megabytes_per_s() {
    rate "$(awk -v b="$1" 'BEGIN { print b / 1e6 }')" "$2" %.1f
}

# per_s COUNT SECONDS
per_s() {
    rate "$1" "$2" %.0f
}

# raw_rate OUTPUT N: MB/s of the Nth "bytes"/"seconds" pair in raw_libnfs_bench's OUTPUT.
raw_rate() {
    local bytes seconds
    bytes=$(value bytes "$2" <<<"$1")
    seconds=$(value seconds "$2" <<<"$1")
    megabytes_per_s "$bytes" "$seconds"
}

expect_size() {
    local actual
    actual=$(stat -c %s "$1") || die "cannot stat $1"
    ((actual == $2)) || die "$1 has $actual bytes, expected $2"
}

# fio_randread FILE JOBS: fio's IOPS. invalidate=0: the file stays in the page cache it is in
# (for the disk column: warm, like the server's copy for the NFS clients).
fio_randread() {
    local file=$1 jobs=$2 json=$tmp/fio.json
    bounded fio --name=r --rw=randread --bs=4k --size="${size_mib}m" --runtime="$runtime_s" \
        --time_based --numjobs="$jobs" --group_reporting --filename="$file" --ioengine=psync \
        --direct=0 --invalidate=0 --output-format=json --output="$json" >"$tmp/fio.err" 2>&1 ||
        die "fio on $file with $jobs job(s) failed: $(tail -n 5 "$tmp/fio.err")"
    "$python" - "$json" <<'PY' || die "fio on $file: bad result ($json): $(head -c 300 "$json")"
import json, sys
job = json.load(open(sys.argv[1]))["jobs"][0]
if job["error"] != 0 or job["read"]["io_bytes"] <= 0:
    sys.exit(f"error {job['error']}, {job['read']['io_bytes']} bytes read")
print(f"{job['read']['iops']:.0f}")
PY
}

# meta_posix DIR COUNT: the metadata workload through the kernel (nfsfuse mount or local disk),
# the same steps and output keys as raw_libnfs_bench's meta.
meta_posix() {
    bounded "$python" - "$1" "$2" <<'PY' || die "metadata workload in $1 failed"
import os, sys, time
directory, count = sys.argv[1], int(sys.argv[2])
names = [f"f{i:06d}" for i in range(count)]  # as raw_libnfs_bench names them
paths = [os.path.join(directory, name) for name in names]
os.mkdir(directory)

start = time.perf_counter()
for path in paths:
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
print(f"create_seconds {time.perf_counter() - start:.6f}")

start = time.perf_counter()
for path in paths:
    if os.stat(path).st_size != 0:
        sys.exit(f"{path} is not empty")
print(f"stat_seconds {time.perf_counter() - start:.6f}")

start = time.perf_counter()
listed = os.listdir(directory)
print(f"list_seconds {time.perf_counter() - start:.6f}")
if sorted(listed) != names:
    sys.exit(f"listing {directory} gave {len(listed)} names, not exactly the {count} created")

start = time.perf_counter()
for path in paths:
    os.unlink(path)
print(f"unlink_seconds {time.perf_counter() - start:.6f}")
os.rmdir(directory)  # fails unless every unlink happened
print(f"files {count}")
PY
}

# What a tree holds, independent of the filesystem: type, mode, path, and the size of files and
# the target of symlinks (directory sizes differ between filesystems and orders of creation).
manifest() {
    (
        cd "$1" || exit 1
        find . -type f -printf 'f %m %s %p\n' && find . ! -type f -printf '%y %m %p %l\n'
    ) | LC_ALL=C sort
}

# untar_seconds DEST CHECK_DIR: extracts the tarball into DEST (through whichever client), then
# syncs DEST's filesystem, timed together; checks the tree at CHECK_DIR (the same directory seen
# on the export's disk) against the source.
untar_seconds() {
    local dest=$1 check_dir=$2 start end
    warm_server_cache "$tmp/source.tar" # reading the tarball is not what is measured
    mkdir "$dest" || die "mkdir $dest failed"
    start=$(date +%s.%N)
    bounded tar -C "$dest" -xf "$tmp/source.tar" || die "untar into $dest failed"
    bounded sync -f "$dest" || die "sync -f $dest failed"
    end=$(date +%s.%N)
    manifest "$check_dir/$source_name" >"$tmp/untarred.manifest" ||
        die "cannot list $check_dir/$source_name"
    cmp -s "$tmp/source.manifest" "$tmp/untarred.manifest" ||
        die "the tree untarred into $dest differs from $tar_source:" \
            "$(diff "$tmp/source.manifest" "$tmp/untarred.manifest" | head -n 5)"
    rm -rf "$check_dir" || die "cannot remove $check_dir"
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}

# Results: result[ROW,CLIENT]; rows in the table's order.
declare -A result
rows=()
add_row() {
    rows+=("$1")
    result[$1,label]=$2
    result[$1,unit]=$3
}

# ---- the workloads ------------------------------------------------------------------------------

size_bytes=$((size_mib * 1024 * 1024))
readonly fuse_file=$mnt/fuse/seq.dat fuse4_file=$mnt4/fuse4/seq.dat raw_file=/raw/seq.dat
readonly disk_file=$export_dir/disk/seq.dat
# The same files seen on the export's disk: the server's copies.
readonly fuse_file_on_disk=$export_dir/fuse/seq.dat fuse4_file_on_disk=$export_dir/fuse4/seq.dat
readonly raw_file_on_disk=$export_dir/raw/seq.dat

source_name=$(basename "$tar_source")
log "making the tarball of $tar_source"
tar -C "$(dirname "$tar_source")" -cf "$tmp/source.tar" "$source_name" || die "tar of $tar_source failed"
manifest "$tar_source" >"$tmp/source.manifest" || die "cannot list $tar_source"
tar_entries=$(tar -tf "$tmp/source.tar" | wc -l)
tar_mb=$(($(stat -c %s "$tmp/source.tar") / 1000000))
# The check compares with the tree as it is now; the tarball must hold the same.
((tar_entries == $(wc -l <"$tmp/source.manifest"))) ||
    die "$tar_source changed while it was archived ($tar_entries entries archived)"

started=$SECONDS
mount_nfsfuse fuse
mount_nfsfuse fuse4
out=$(raw info)
raw_readmax=$(value readmax <<<"$out")
raw_writemax=$(value writemax <<<"$out")

log "sequential write, $size_mib MiB"
add_row seq_write "sequential write ${size_mib} MiB + fsync" MB/s
# add_run ROW CLIENT BYTES SECONDS: one more run of ROW by CLIENT; its result is the rate over all
# of them (total bytes / total seconds).
# Each run's rate is kept too (run_rates[ROW,CLIENT], in order), for the JSON results.
declare -A run_bytes run_secs run_rates
add_run() {
    local key=$1,$2 this_run
    this_run=$(megabytes_per_s "$3" "$4")
    run_bytes[$key]=$((${run_bytes[$key]:-0} + $3))
    run_secs[$key]=$(awk -v a="${run_secs[$key]:-0}" -v b="$4" 'BEGIN { print a + b }')
    run_rates[$key]="${run_rates[$key]:-}${run_rates[$key]:+ }$this_run"
    result[$key]=$(megabytes_per_s "${run_bytes[$key]}" "${run_secs[$key]}")
    log "  $1, $2: this run $this_run MB/s"
}
# dd_write CLIENT FILE FILE_ON_DISK. Every timed write (raw's too) starts from the same state of
# the machine's memory: sync and drop_caches first. Without that, how the run before left the page
# cache decided the rate: a new file written right after another write cost ganesha 2-5x the CPU
# of one written after drop_caches (measured in the kernel's copy into the page cache and spinning
# on the file's lock), for NFSv3 and NFSv4.1 alike, and whichever slot a client happened to get
# decided its row.
# The CPU time of the client's process, ganesha and dd is taken around the dd alone.
dd_write() {
    local measured bytes secs dd_cpu
    drop_caches
    cpu_sample_start "$1"
    measured=$(dd_measure if=/dev/zero of="$2" bs=1M count="$size_mib" conv=fsync)
    read -r bytes secs dd_cpu <<<"$measured"
    cpu_sample_end seq_write "$1" "$bytes"
    add_cpu seq_write "$1" app "$dd_cpu" "$bytes"
    expect_size "$3" "$size_bytes"
    add_run seq_write "$1" "$bytes" "$secs"
}
# The first large write of each protocol costs the fresh server extra (measured: ganesha's first
# 1 GiB over NFSv3 took 1.5-2x the CPU of the next ones, over NFSv4.1 2-3x, whichever file):
# a start-up cost of the server, not what the rows compare. One untimed write each first.
for client in fuse fuse4; do
    warm_up=${mountpoint_of[$client]}/$client/warm-up.dat
    bounded dd if=/dev/zero of="$warm_up" bs=1M count="$size_mib" conv=fsync status=none ||
        die "warm-up write through $client failed"
    rm -f "$warm_up"
done
# nfsfuse_rounds: the nfsfuse mounts in the order of the sequential rows, `rounds` rounds of one
# run each, v3 first in odd rounds and v4.1 first in even ones: a run right after another one
# shares the server's disk with that one's writeback, and the server's disk alone moves one run's
# rate by up to 2x. Each prints its run's rate on stderr, so the spread is seen.
nfsfuse_rounds() {
    local round
    for ((round = 1; round <= rounds; round++)); do
        if ((round % 2)); then echo fuse fuse4; else echo fuse4 fuse; fi
    done
}
for client in $(nfsfuse_rounds); do
    if [[ $client == fuse ]]; then
        dd_write fuse "$fuse_file" "$fuse_file_on_disk"
    else
        dd_write fuse4 "$fuse4_file" "$fuse4_file_on_disk"
    fi
done
# raw_measured ROW COMMAND ARG...: runs raw_libnfs_bench (its output in raw_out) and adds its
# CPU time and ganesha's to ROW, for the bytes of its first pass (the command must have one).
raw_measured() {
    local row=$1
    shift
    cpu_sample_start raw
    raw_out=$(raw "$@")
    cpu_sample_end "$row" raw "$(value bytes <<<"$raw_out")"
    add_cpu "$row" raw client "$(value cpu_seconds <<<"$raw_out")" "$(value bytes <<<"$raw_out")"
}
drop_caches
raw_measured seq_write write "$raw_file" "$size_mib"
expect_size "$raw_file_on_disk" "$size_bytes"
result[seq_write,raw]=$(raw_rate "$raw_out" 1)
dd_write disk "$disk_file" "$disk_file"

log "sequential read, cold and warm"
add_row read_cold "sequential read, cold" MB/s
add_row read_warm "sequential read, warm (again at once)" MB/s
# dd_read CLIENT FILE: cold then warm; the reads must return exactly the bytes written.
# The CPU time is taken for the cold read.
dd_read() {
    local client=$1 file=$2 pass row measured bytes secs dd_cpu
    drop_caches
    for pass in cold warm; do
        row=read_$pass
        if [[ $pass == cold ]]; then cpu_sample_start "$client"; fi
        measured=$(dd_measure if="$file" of=/dev/null bs=1M)
        read -r bytes secs dd_cpu <<<"$measured"
        if [[ $pass == cold ]]; then
            cpu_sample_end "$row" "$client" "$bytes"
            add_cpu "$row" "$client" app "$dd_cpu" "$bytes"
        fi
        ((bytes == size_bytes)) || die "read $bytes bytes of $file ($pass), wrote $size_bytes"
        add_run "$row" "$client" "$bytes" "$secs"
    done
}
# nfsfuse over each version in rounds, as for the writes.
for client in $(nfsfuse_rounds); do
    remount_nfsfuse "$client" # nothing cached in the kernel or in nfsfuse
    if [[ $client == fuse ]]; then dd_read fuse "$fuse_file"; else dd_read fuse4 "$fuse4_file"; fi
done
# Cold and warm in two runs of one pass each, so the CPU time is the cold read's alone (a new
# connection for the warm read: libnfs caches nothing, so all it costs is a MOUNT).
drop_caches
raw_measured read_cold read "$raw_file" 1 # the raw client checks the byte count against the size
result[read_cold,raw]=$(raw_rate "$raw_out" 1)
out=$(raw read "$raw_file" 1)
result[read_warm,raw]=$(raw_rate "$out" 1)
dd_read disk "$disk_file"

for jobs in 1 4; do
    log "random 4 KiB reads, $jobs job(s), $runtime_s s"
    row=rand$jobs
    # With 4 jobs raw libnfs has 4 connections (one per job): both nfsfuse mounts get
    # nconnect=4 then (an nfsfuse without nconnect for NFSv4.1 logs a warning in nfsfuse.log and
    # uses one connection, its session's slots in parallel).
    connections=$((jobs == 1 ? 1 : 4))
    add_row "$row" "random read 4 KiB, $jobs job(s), $connections conn., ${runtime_s} s" IOPS
    # The server's copy warm for all, each client's own cache empty (nfsfuse remounted).
    warm_server_cache "$fuse_file_on_disk"
    remount_nfsfuse fuse "nconnect=$connections"
    result[$row,fuse]=$(fio_randread "$fuse_file" "$jobs")
    warm_server_cache "$fuse4_file_on_disk"
    remount_nfsfuse fuse4 "nconnect=$connections"
    result[$row,fuse4]=$(fio_randread "$fuse4_file" "$jobs")
    warm_server_cache "$raw_file_on_disk"
    out=$(raw randread "$raw_file" "$jobs" "$runtime_s")
    iops=$(value iops <<<"$out")
    result[$row,raw]=$(printf '%.0f' "$iops")
    warm_server_cache "$disk_file"
    result[$row,disk]=$(fio_randread "$disk_file" "$jobs")
done
rm -f "$fuse_file_on_disk" "$fuse4_file_on_disk" "$raw_file_on_disk" "$disk_file" ||
    die "cannot remove the files"
remount_nfsfuse fuse
remount_nfsfuse fuse4

log "metadata, $files files"
add_row create "create $files empty files" files/s
add_row stat "stat each" files/s
add_row list "list the directory" files/s
add_row unlink "delete each" files/s
# meta_results CLIENT OUTPUT: files/s of each phase.
meta_results() {
    local client=$1 out=$2 phase count seconds
    count=$(value files <<<"$out")
    ((count == files)) || die "metadata workload of $client: $count files, not $files"
    for phase in create stat list unlink; do
        seconds=$(value "${phase}_seconds" <<<"$out")
        result[$phase,$client]=$(per_s "$files" "$seconds")
    done
}
# The nfsfuse mounts in the order of the metadata and untar rows: ext4 under the server creates
# files more slowly for a while after many deletes, which the second one pays for.
nfsfuse_order() {
    if ((v41_first)); then echo fuse4 fuse; else echo fuse fuse4; fi
}
for client in $(nfsfuse_order); do
    out=$(meta_posix "${mountpoint_of[$client]}/$client/meta" "$files")
    meta_results "$client" "$out"
done
out=$(raw meta /raw/meta "$files")
meta_results raw "$out"
out=$(meta_posix "$export_dir/disk/meta" "$files")
meta_results disk "$out"

log "untar of $tar_source ($tar_entries entries, $tar_mb MB)"
add_row untar "untar $tar_source ($tar_entries entries) + syncfs" seconds
for client in $(nfsfuse_order); do
    result[untar,$client]=$(untar_seconds "${mountpoint_of[$client]}/$client/untar" \
        "$export_dir/$client/untar")
done
result[untar,raw]=n/a
result[untar,disk]=$(untar_seconds "$export_dir/disk/untar" "$export_dir/disk/untar")

log "metadata and untar again with cache=none over NFSv3 (what the caches and write-behind gain)"
unmount_nfsfuse fuse4
remount_nfsfuse fuse cache=none
out=$(meta_posix "$mnt/fuse/meta" "$files")
meta_results none "$out"
result[untar,none]=$(untar_seconds "$mnt/fuse/untar" "$export_dir/fuse/untar")

unmount_nfsfuse fuse
measured_s=$((SECONDS - started))

# ---- the results -------------------------------------------------------------------------------

ratio() {
    local fuse=$1 raw=$2
    if [[ $raw == n/a || $fuse == n/a ]]; then
        echo n/a
    else
        awk -v f="$fuse" -v r="$raw" 'BEGIN { if (r > 0) printf "%.2f", f / r; else print "n/a" }'
    fi
}
# speedup ROW COLUMN BASE_COLUMN: how much faster COLUMN is than BASE (empty when either has no
# value); seconds (untar) are inverted so > 1 is faster.
speedup() {
    local row=$1 value=${result[$1,$2]:-} base=${result[$1,$3]:-}
    if [[ -z $base || -z $value ]]; then
        echo ""
    elif [[ ${result[$row,unit]} == seconds ]]; then
        ratio "$base" "$value"
    else
        ratio "$value" "$base"
    fi
}
# The ratios of every row, NAME:COLUMN:BASE_COLUMN, in result[ROW,ratio NAME]. Each is COLUMN's
# speed against BASE's: > 1 means COLUMN is faster.
readonly ratio_specs=(v3/raw:fuse:raw v4.1/raw:fuse4:raw v4.1/v3:fuse4:fuse v3/disk:fuse:disk
    v4.1/disk:fuse4:disk full/none:fuse:none)
for row in "${rows[@]}"; do
    for spec in "${ratio_specs[@]}"; do
        IFS=: read -r name column base <<<"$spec"
        result[$row,ratio $name]=$(speedup "$row" "$column" "$base")
    done
done

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
ram_gib=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
commit_full=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)
commit_date=$(git -C "$repo" log -1 --format=%cI HEAD 2>/dev/null || echo unknown)
dirty=""
if [[ -n $(git -C "$repo" status --porcelain -- src fusefs 2>/dev/null) ]]; then
    dirty=" (with uncommitted changes in src/ or fusefs/)"
fi
disk=$(findmnt -n -o FSTYPE,SOURCE -T "$export_dir" | awk '{ print $1 " (" $2 ")" }')
finished=$(date -u '+%FT%TZ')
libnfs_version=$(pkg-config --modversion libnfs 2>/dev/null || echo '?')
ganesha_version=$(dpkg-query -W -f='${Version}' nfs-ganesha 2>/dev/null || echo '?')

# ---- machine-readable results: tab-separated lines, made into JSON by bench_results.py ----------

declare -A client_name=([fuse]=v3 [fuse4]=v4.1 [raw]=raw [disk]=disk [none]="v3 cache=none")
readonly clients=(fuse fuse4 raw disk none)
tsv() {
    local IFS=$'\t'
    echo "$*"
}
{
    tsv setting finished "$finished"
    tsv setting commit "$commit"
    tsv setting commit_full "$commit_full"
    tsv setting commit_date "$commit_date"
    tsv setting uncommitted_changes "$([[ -n $dirty ]] && echo yes || echo no)"
    tsv setting nfsfuse_binary "$(realpath "$nfsfuse_bin")"
    tsv setting nfsfuse_built "$nfsfuse_built"
    tsv setting NFSFUSE_BENCH_OPTS "$extra_opts"
    tsv setting v3_options "${options_of[fuse]}"
    tsv setting v4.1_options "${options_of[fuse4]}"
    tsv setting BENCH_SIZE_MIB "$size_mib"
    tsv setting BENCH_FILES "$files"
    tsv setting BENCH_RUNTIME_S "$runtime_s"
    tsv setting BENCH_ROUNDS "$rounds"
    tsv setting BENCH_V41_FIRST "$v41_first"
    tsv setting BENCH_TAR_SOURCE "$tar_source"
    tsv setting tar_entries "$tar_entries"
    tsv setting tar_mb "$tar_mb"
    tsv setting cpus "$(nproc)"
    tsv setting cpu_model "${cpu_model:-unknown}"
    tsv setting kernel "$(uname -r)"
    tsv setting ram_gib "$ram_gib"
    tsv setting export_filesystem "$disk"
    tsv setting ganesha "$ganesha_version"
    tsv setting libnfs "$libnfs_version"
    tsv setting fio "$(fio --version)"
    tsv setting server_readmax "$raw_readmax"
    tsv setting server_writemax "$raw_writemax"
    tsv setting measured_seconds "$measured_s"
    for row in "${rows[@]}"; do
        tsv row "$row" "${result[$row,unit]}" "${result[$row,label]}"
        for client in "${clients[@]}"; do
            [[ -n ${result[$row,$client]:-} ]] || continue
            tsv value "$row" "${client_name[$client]}" "${result[$row,$client]}"
            if [[ -n ${run_rates[$row,$client]:-} ]]; then
                tsv runs "$row" "${client_name[$client]}" "${run_rates[$row,$client]}"
            fi
        done
        for spec in "${ratio_specs[@]}"; do
            name=${spec%%:*}
            [[ -z ${result[$row,ratio $name]} ]] || tsv ratio "$row" "$name" "${result[$row,ratio $name]}"
        done
    done
    for key in "${!cpu_secs[@]}"; do
        IFS=, read -r row client process <<<"$key"
        tsv cpu "$row" "${client_name[$client]}" "$process" "${cpu_secs[$key]}" "${cpu_bytes[$key]}"
    done
} >"$tmp/results.tsv"
"$python" "$script_dir/bench_results.py" from-tsv "$tmp/results.tsv" >"$tmp/results.json" ||
    die "bench_results.py could not make JSON of $tmp/results.tsv"
if [[ -n $results_out ]]; then
    cp "$tmp/results.json" "$results_out" || die "cannot write $results_out"
    log "results written to $results_out"
fi

# ---- the table ----------------------------------------------------------------------------------

echo "nfsfuse I/O benchmark, $(date -u -d "$finished" '+%F %T UTC')"
echo "machine:  $(nproc) CPUs (${cpu_model:-unknown}), kernel $(uname -r), $ram_gib GiB RAM"
echo "checkout: $repo at commit $commit$dirty"
echo "nfsfuse:  $(realpath "$nfsfuse_bin") (built $nfsfuse_built)"
echo "          v3:   ${source_of[fuse]} -o ${options_of[fuse]}"
echo "          v4.1: ${source_of[fuse4]} -o ${options_of[fuse4]}   (NFSFUSE_BENCH_OPTS='$extra_opts')"
echo "raw:      libnfs $libnfs_version, synchronous" \
    "API, one connection per job, requests of at most 1 MiB"
echo "          (the server allows READ $((raw_readmax / 1024)) KiB, WRITE" \
    "$((raw_writemax / 1024)) KiB; libnfs 4.0 cannot set them, nfs_set_readmax is newer)"
echo "server:   nfs-ganesha $ganesha_version" \
    "(VFS) on 127.0.0.1, export on $disk; $(fio --version)"
echo "sizes:    BENCH_SIZE_MIB=$size_mib BENCH_FILES=$files BENCH_RUNTIME_S=$runtime_s" \
    "BENCH_TAR_SOURCE=$tar_source ($tar_mb MB)"
echo
label_width=8
for row in "${rows[@]}"; do
    ((${#result[$row,label]} > label_width)) && label_width=${#result[$row,label]}
done
table_row() {
    printf "%-${label_width}s  %-8s %10s %12s %11s %11s %12s %8s %8s %11s %10s\n" "$@"
}
table_row workload unit "nfsfuse v3" "nfsfuse v4.1" "raw libnfs" "local disk" nfsfuse/raw \
    v4.1/raw v4.1/v3 "cache=none" full/none
for row in "${rows[@]}"; do
    table_row "${result[$row,label]}" "${result[$row,unit]}" "${result[$row,fuse]}" \
        "${result[$row,fuse4]}" "${result[$row,raw]}" "${result[$row,disk]}" \
        "${result[$row,ratio v3/raw]}" "${result[$row,ratio v4.1/raw]}" \
        "${result[$row,ratio v4.1/v3]}" "${result[$row,none]:-}" "${result[$row,ratio full/none]}"
done
echo
"$python" "$script_dir/bench_report.py" targets "$tmp/results.json" ||
    die "bench_report.py could not check the targets"
echo
echo "nfsfuse/raw: nfsfuse v3's result divided by raw libnfs's (v4.1/raw: nfsfuse v4.1's); for"
echo "  MB/s, IOPS and files/s below 1 means nfsfuse is slower. MB = 10^6 bytes. Everything ran one"
echo "  after another, once, but the sequential writes and reads of nfsfuse v3 and v4.1: $rounds rounds"
echo "  (BENCH_ROUNDS), v3 first in odd ones, v4.1 in even ones (a run right after another pays for"
echo "  its writeback), the rate over all runs, after one untimed write of the same size through"
echo "  each (the server's first costs it extra)."
echo "v4.1/v3: nfsfuse over NFSv4.1 against nfsfuse over NFSv3 (seconds inverted): > 1 means"
echo "  NFSv4.1 is faster. Both mounts take the same NFSFUSE_BENCH_OPTS and, but for the random"
echo "  reads with 4 jobs, one connection each (v4.1: the server's session slots). The metadata and"
echo "  untar rows ran $(nfsfuse_order | sed 's/fuse4/v4.1/; s/fuse\b/v3/; s/ / then /') (BENCH_V41_FIRST)."

echo "cold reads: sync + echo 3 > /proc/sys/vm/drop_caches right before each, for all four, so the"
echo "  server's ext4 copy is cold too; nfsfuse is also unmounted and mounted again first."
echo "random reads: the server's copy is in the page cache (read just before) for all four;"
echo "  the clients' own caches start empty (nfsfuse remounted, fresh libnfs connections); fio"
echo "  --invalidate=0, so the local disk column reads the page cache."
echo "nfsfuse's warm reads and stats include what the kernel caches for the FUSE mount (page cache"
echo "  kept across opens, attribute and entry timeouts), as far as nfsfuse's options allow it."
echo "metadata: nfsfuse and disk via Python os calls on one mount; raw libnfs resolves each path"
echo "  from the export's root (one LOOKUP per component) and has its directory cache off."
echo "untar: tar -x as root (owners, modes, times set) then sync -f, checked against the source."
echo "cache=none: the metadata and untar rows again on an nfsfuse v3 mount with -o cache=none (no"
echo "  attribute, name or data cache, every write FILE_SYNC); full/none > 1: the default is faster."
echo "random reads with 4 jobs: both nfsfuse mounts with nconnect=4, as raw libnfs has 4 connections"
echo "  (an nfsfuse whose NFSv4.1 has no nconnect yet warns in its log and uses one)."
echo "CPU seconds per GiB: user + system time around each timed dd (raw: its whole run, connecting"
echo "  included), summed over the runs, per GiB moved: nfsfuse's process and ganesha's from"
echo "  /proc/PID/stat, dd's and raw_libnfs_bench's from the shell's times. The kernel's FUSE copies"
echo "  count to whichever side makes them: nfsfuse's replies to nfsfuse, dd's reads to dd."
echo "measuring took $measured_s s, the whole script $SECONDS s."
