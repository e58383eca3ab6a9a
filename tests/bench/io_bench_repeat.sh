#!/usr/bin/env bash
# Runs io_bench.sh several times, one after another, and reports the spread of every ratio:
# the ratios are quoted from one run (the first), their min-max over all runs says how far one
# run can be trusted.
#
#   tests/bench/io_bench_repeat.sh [-n RUNS] [-o DIR] [-- io_bench.sh arguments]
#
#   -n RUNS   how many runs (default 3)
#   -o DIR    where the results go (default build/bench-results/<UTC time> in the checkout);
#             it must not exist yet or be empty
#
# The BENCH_* and NFSFUSE_BENCH_OPTS settings of io_bench.sh apply to every run (BENCH_OUT and
# BENCH_V41_FIRST are set here, per run: even runs take NFSv4.1's metadata and untar rows first). DIR gets, for each run I: run-I.json (BENCH_OUT), run-I.txt (the table) and
# run-I.log (progress); then spread.md (bench_report.py spread), ratios.svg and history.svg
# (plot_ratios.py). The first run's table and the spread are printed on stdout. Exit status 1
# when a run fails (its log's last lines are shown); the runs before it are kept.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$script_dir/../.." && pwd)
readonly script_dir repo
readonly python=/usr/bin/python3
# The result tools are imported from tests/bench: no __pycache__ left in the checkout by root.
export PYTHONDONTWRITEBYTECODE=1
runs=3
out_dir=""

die() {
    echo "io_bench_repeat: FAILED: $*" >&2
    exit 1
}

usage() {
    if ((${1:-2} == 0)); then
        sed -n '6,10p' "$0" | sed 's/^# \{0,1\}//'
    else
        sed -n '6,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    fi
    exit "${1:-2}"
}

while (($# > 0)); do
    case $1 in
    -n) runs=${2:?}; shift 2 ;;
    -o) out_dir=${2:?}; shift 2 ;;
    --) shift; break ;;
    -h | --help) usage 0 ;;
    *) echo "io_bench_repeat: unknown argument '$1'" >&2; usage ;;
    esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "-n must be a positive number, not '$runs'"
[[ -z ${BENCH_OUT:-} ]] || die "BENCH_OUT is set per run here; use -o DIR"
[[ -z ${BENCH_V41_FIRST:-} ]] || die "BENCH_V41_FIRST is set per run here (runs take turns)"
out_dir=${out_dir:-$repo/build/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out_dir" || die "cannot create $out_dir"
[[ -z $(ls -A "$out_dir") ]] || die "$out_dir is not empty"
out_dir=$(cd "$out_dir" && pwd)

results=()
for ((run = 1; run <= runs; run++)); do
    echo "io_bench_repeat: run $run of $runs (progress in $out_dir/run-$run.log)" >&2
    # The metadata and untar rows take turns at running NFSv4.1 first (BENCH_V41_FIRST).
    if ! BENCH_OUT="$out_dir/run-$run.json" BENCH_V41_FIRST=$(((run + 1) % 2)) \
        "$script_dir/io_bench.sh" "$@" \
        >"$out_dir/run-$run.txt" 2>"$out_dir/run-$run.log"; then
        tail -n 20 "$out_dir/run-$run.log" >&2
        die "run $run failed; the results so far are in $out_dir"
    fi
    results+=("$out_dir/run-$run.json")
done

"$python" "$script_dir/bench_report.py" spread "${results[@]}" >"$out_dir/spread.md" ||
    die "bench_report.py spread failed"
"$python" "$script_dir/plot_ratios.py" -o "$out_dir/ratios.svg" "${results[@]}" ||
    die "plot_ratios.py failed"
"$python" "$script_dir/plot_ratios.py" --history -o "$out_dir/history.svg" "${results[@]}" ||
    die "plot_ratios.py --history failed"

cat "$out_dir/run-1.txt"
echo
echo "The spread over the $runs runs (run 1 is the one quoted above):"
echo
cat "$out_dir/spread.md"
echo
echo "Results, tables, logs and plots: $out_dir"
