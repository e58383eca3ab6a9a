#!/usr/bin/env bash
# The whole test suite, from a fresh machine: the README's test command, and what CI runs (.ci/run).
# Runs as root (apt-get, FUSE mounts, a test user), with no network but Debian's mirror:
#   1. installs the build and test dependencies (packaging/install-deps.sh),
#   2. makes /dev/fuse usable (module loaded, mode 0666 as Debian's udev rule sets it),
#   3. builds everything with -Werror into build/,
#   4. builds the core and unit tests with ASan+UBSan into build-asan/ and runs them (label unit),
#   5. runs every test of the -Werror build: ctest --test-dir build --output-on-failure,
# and prints a summary of every stage. A failed stage fails the run; the stages that do not depend
# on it still run, so one run shows every problem.
set -euo pipefail
# shellcheck disable=SC2317 # the stage functions are called through stage()

cd "$(dirname "$0")/.."
readonly repo_root=$PWD
jobs=$(nproc)
readonly jobs

summary=()
failed=0

banner() {
    printf '\n======== %s ========\n' "$*"
}

# stage NAME COMMAND...: runs one stage and records its result and duration.
stage() {
    local name=$1 started=$SECONDS status=0
    shift
    banner "$name"
    "$@" || status=$?
    local took=$((SECONDS - started))
    if ((status == 0)); then
        summary+=("PASS  $name (${took}s)")
    else
        summary+=("FAIL  $name (exit $status after ${took}s)")
        failed=1
    fi
    return "$status"
}

skip() {
    summary+=("SKIP  $1 (because $2 failed)")
}

print_summary() {
    banner "summary"
    local line
    for line in "${summary[@]}"; do echo "$line"; done
    if ((failed)); then
        echo "run-all: FAILED"
    else
        echo "run-all: all stages passed"
    fi
}

# Whatever happens, leave no test mount or test ganesha behind on this machine.
cleanup_leftovers() {
    "$repo_root/tests/tools/cleanup-leftovers.sh" || true
}
trap cleanup_leftovers EXIT

install_packages() {
    "$repo_root/packaging/install-deps.sh"
}

prepare_fuse_device() {
    modprobe fuse || true # built in, or already loaded: /dev/fuse below is what counts
    if [[ ! -c /dev/fuse ]]; then
        echo "/dev/fuse does not exist: this machine cannot run FUSE filesystems" >&2
        return 1
    fi
    # Debian's udev rule makes it 0666; without udev it is 0600 and only root could mount.
    chmod 0666 /dev/fuse || return
    ls -l /dev/fuse
}

check_format() {
    local files
    mapfile -t files < <(git ls-files -co --exclude-standard -- '*.cpp' '*.h')
    ((${#files[@]} > 0)) || return 0
    clang-format --dry-run --Werror "${files[@]}"
}

build_main() {
    cmake -S . -B build -DNFSFUSE_WERROR=ON &&
        cmake --build build -j "$jobs"
}

build_asan() {
    cmake -S . -B build-asan -DNFSFUSE_UNIT_ONLY=ON -DNFSFUSE_SANITIZE=ON -DNFSFUSE_WERROR=ON &&
        cmake --build build-asan -j "$jobs"
}

unit_tests_asan() {
    ctest --test-dir build-asan -L unit --output-on-failure --no-tests=error
}

# CI stops the whole run at 90 minutes and then shows nothing of it; a normal run of this stage
# takes about 10. Stopping ourselves well before leaves time for the summary and the cleanup.
readonly all_tests_budget_s=${NFSFUSE_TEST_BUDGET_S:-3600}

# Every label (unit and integration) of the -Werror build.
all_tests() {
    local status=0
    timeout --kill-after=60 "$all_tests_budget_s" \
        ctest --test-dir build --output-on-failure --no-tests=error || status=$?
    if ((status == 124 || status == 137)); then
        echo "run-all: ctest did not finish within ${all_tests_budget_s}s and was stopped" >&2
    fi
    return "$status"
}

echo "CI=${CI:-} on $(. /etc/os-release && echo "$PRETTY_NAME"), $(nproc) cores, as $(id -un)"

if ! stage "install packages" install_packages; then
    print_summary
    exit 1
fi
stage "FUSE device" prepare_fuse_device || true
cleanup_leftovers # of an earlier run on this machine that was killed
stage "clang-format check" check_format || true

if stage "build (-Werror)" build_main; then
    main_built=1
else
    main_built=0
fi
if stage "build with ASan+UBSan (unit only)" build_asan; then
    stage "unit tests under ASan+UBSan" unit_tests_asan || true
else
    skip "unit tests under ASan+UBSan" "the sanitizer build"
fi
if ((main_built)); then
    stage "all tests (unit + integration): ctest --test-dir build" all_tests || true
else
    skip "all tests" "the -Werror build"
fi

print_summary
exit "$failed"
