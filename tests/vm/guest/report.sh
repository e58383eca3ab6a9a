# shellcheck shell=bash
# Sourced by the guest side of the vm tier: numbered checks with their durations, and a summary
# at the end however the script ends. A failed expectation ends the whole script (later checks
# build on the state earlier ones leave), naming the check and what was expected.
#
#   run_check "1. what it proves" FUNCTION   runs FUNCTION as one check and prints PASS and its time
#   fail MESSAGE                             the current check failed
#   expect_eq ACTUAL EXPECTED WHAT           fails unless ACTUAL is EXPECTED
#   wait_until WHAT SECONDS COMMAND...      polls COMMAND until it succeeds; fails after SECONDS
#   note MESSAGE                             prints MESSAGE with the time since the script started

report_started=$(date +%s%N)
current_check="setting up"
check_results=()

# Seconds since $1 (date +%s%N), with one decimal.
seconds_since() {
    local elapsed_ms=$((($(date +%s%N) - $1) / 1000000))
    printf '%d.%d' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100))
}

note() {
    echo "[+$(seconds_since "$report_started")s] $*"
}

fail() {
    echo "FAIL [+$(seconds_since "$report_started")s] in '$current_check': $*" >&2
    exit 1
}

expect_eq() {
    [[ $1 == "$2" ]] || fail "$3: expected '$2', got '$1'"
}

wait_until() {
    local what=$1 timeout_s=$2
    local deadline=$((SECONDS + timeout_s))
    shift 2
    until "$@"; do
        ((SECONDS < deadline)) || fail "$what: not the case after ${timeout_s}s"
        sleep 0.2
    done
}

run_check() {
    local name=$1 check=$2 started
    current_check=$name
    started=$(date +%s%N)
    note "== check $name"
    "$check"
    check_results+=("PASS  $name ($(seconds_since "$started")s)")
    note "PASS check $name"
}

# The summary; $1: the script's exit status (default: that of the last command).
print_check_summary() {
    local status=${1:-$?} result
    echo "======== summary of $(basename "$0") ========"
    for result in "${check_results[@]}"; do echo "$result"; done
    if ((status != 0)); then echo "FAIL  $current_check"; fi
    echo "total $(seconds_since "$report_started")s in the guest, exit status $status"
}
trap print_check_summary EXIT
