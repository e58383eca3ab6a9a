#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/*_fuzzer.cpp) with clang in a build of their own and
# runs each for a bounded time, starting from its seeds in tests/fuzz/corpus/<target>/.
#
#   tests/fuzz/run-fuzzers.sh [BUILD_DIR]      (default: build-fuzz)
#
#   NFSFUSE_FUZZ_SECONDS   seconds per target (default 20: eight targets in about 3 minutes)
#   NFSFUSE_FUZZ_TARGETS   which targets, e.g. "fattr4 xdr_rpc" (default: all)
#
# Prints per target the executions, executions per second and what it found, and exits 1 when a
# target crashed, leaked, hung (10 s for one input), allocated more than 512 MiB at once or grew
# past 2 GiB. The input that did it is kept in BUILD_DIR/fuzz-findings/<target>/ (crash-*,
# leak-*, timeout-*, oom-*, slow-unit-*), libFuzzer's log in BUILD_DIR/fuzz-logs/<target>.log, and
# the line printed says how to replay it. Inputs found along the way grow BUILD_DIR/fuzz-corpus/
# (the seeds in the repository are never written). Exits 77 (ctest: "Skipped") only when this
# machine has no clang with libFuzzer (Debian: clang, libclang-rt-14-dev; packaging/install-deps.sh
# installs them).
set -euo pipefail

build_dir=$(realpath -m "${1:-$(dirname "$0")/../../build-fuzz}")  # before the cd
readonly build_dir
cd "$(dirname "$0")/../.."
readonly repo_root=$PWD
readonly seconds=${NFSFUSE_FUZZ_SECONDS:-20}
readonly default_targets=(compound_reply fattr4 xdr_rpc nfs3_replies nlm_mount_replies
    mount_options volume_options plugin_api)
read -r -a targets <<<"${NFSFUSE_FUZZ_TARGETS:-${default_targets[*]}}"

# clang, its libFuzzer runtime and its sanitizers: a trivial target must build.
have_libfuzzer() {
    command -v clang >/dev/null && command -v clang++ >/dev/null || return 1
    local probe
    probe=$(mktemp -d)
    echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
        >"$probe/probe.cpp"
    clang++ -fsanitize=fuzzer,address,undefined "$probe/probe.cpp" -o "$probe/probe" \
        >"$probe/log" 2>&1
    local status=$?
    ((status == 0)) || cat "$probe/log" >&2
    rm -rf "$probe"
    return "$status"
}

if ! have_libfuzzer; then
    echo "run-fuzzers: SKIPPED: no clang with libFuzzer here (Debian: apt-get install clang" \
        "libclang-rt-14-dev, as packaging/install-deps.sh does)" >&2
    exit 77
fi

echo "run-fuzzers: building the fuzz targets with clang into $build_dir"
cmake -S "$repo_root" -B "$build_dir" -DNFSFUSE_FUZZ=ON -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j "$(nproc)"  # all targets, also those not run: they must build

mkdir -p "$build_dir/fuzz-logs"
# The plugin API's target writes a state file (with fsync) per request: on tmpfs it runs about
# fifty times faster than on a disk.
if [[ -d /dev/shm && -w /dev/shm ]]; then
    export TMPDIR=/dev/shm
fi
results=()
failed=0
for target in "${targets[@]}"; do
    binary=$build_dir/tests/fuzz/fuzz_$target
    seeds=$repo_root/tests/fuzz/corpus/$target
    corpus=$build_dir/fuzz-corpus/$target
    findings=$build_dir/fuzz-findings/$target
    log=$build_dir/fuzz-logs/$target.log
    mkdir -p "$corpus" "$findings"
    echo "run-fuzzers: $target for ${seconds}s"
    status=0
    # -rss_limit_mb and -malloc_limit_mb: a decoder that allocates what an untrusted length says
    # is a finding, not a slow run. New inputs go to the first directory only.
    "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
        -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$seeds" >"$log" 2>&1 ||
        status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    if ((status == 0)); then
        verdict="nothing found"
    else
        failed=1
        kind=$(grep -m1 -o -E 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer): [a-z-]+' "$log" ||
            grep -m1 -o -E 'runtime error: .*|ALARM: working on the last Unit for [0-9]+ seconds|==[0-9]+== ERROR: .*' "$log" ||
            echo "exit status $status")
        verdict="FOUND: $kind; input: ${artifact:-none written}; replay: $binary ${artifact:-}; log: $log"
        tail -n 40 "$log" >&2
    fi
    results+=("$(printf '%-17s %10s execs %8s/s  %s' "$target" "${executions:-?}" "${per_second:-?}" "$verdict")")
done

echo
echo "run-fuzzers: ${seconds}s per target"
printf '%s\n' "${results[@]}"
if ((failed)); then
    echo "run-fuzzers: FAILED (inputs in $build_dir/fuzz-findings/)"
    exit 1
fi
echo "run-fuzzers: nothing found"
