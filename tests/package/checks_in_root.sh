#!/bin/bash
# Runs inside the clean root of package_test.sh, after apt installed nfsfuse and nfsfuse-driver:
# the installed files are where the packages say, the programs run with their dependencies from
# the archive, and the driver serves Docker's plugin API on a socket it binds itself and on one
# passed to it as systemd's socket activation passes it.
#   checks_in_root.sh VERSION
set -euo pipefail
readonly version=$1
readonly work=/tmp/driver-check

fail() {
    echo "checks_in_root: FAIL: $*" >&2
    exit 1
}
pass() {
    echo "checks_in_root: ok: $*"
}

# expect_status STATUS COMMAND...: runs it, output in $output, and checks its exit status.
expect_status() {
    local expected=$1 status=0
    shift
    output=$("$@" 2>&1) || status=$?
    ((status == expected)) || fail "$* exited $status, not $expected: $output"
}

# fusermount3 and mount.fuse (what `mount -t fuse.nfsfuse` runs) come from the fuse3 dependency.
for path in /usr/bin/nfsfuse /usr/sbin/nfsfuse-driver /usr/bin/fusermount3 /sbin/mount.fuse \
    /lib/systemd/system/nfsfuse-driver.service /lib/systemd/system/nfsfuse-driver.socket \
    /usr/share/man/man8/nfsfuse.8.gz /usr/share/man/man8/nfsfuse-driver.8.gz; do
    [[ -e $path ]] || fail "$path is not installed"
done
grep -q '^ExecStart=/usr/sbin/nfsfuse-driver ' /lib/systemd/system/nfsfuse-driver.service ||
    fail "the service does not start /usr/sbin/nfsfuse-driver"
# postinst enabled the units (systemd itself does not run in this root).
[[ -L /etc/systemd/system/sockets.target.wants/nfsfuse-driver.socket ]] ||
    fail "nfsfuse-driver.socket was not enabled"
pass "files installed, units enabled"

expect_status 0 nfsfuse --version
[[ $output == *"$version"* ]] || fail "nfsfuse --version says '$output', not $version"
expect_status 0 nfsfuse --help
[[ $output == *"vers="* ]] || fail "nfsfuse --help shows no option table: $output"
expect_status 2 nfsfuse server:/export /mnt -o vers=3,no_such_option
[[ $output == *no_such_option* ]] || fail "the option error does not name the option: $output"
pass "nfsfuse: --version ($version), --help, an unknown option refused with status 2"

expect_status 0 nfsfuse-driver --help
[[ $output == *--default-mode* ]] || fail "nfsfuse-driver --help: $output"
expect_status 2 nfsfuse-driver --no-such-flag
pass "nfsfuse-driver: --help, an unknown flag refused with status 2"

# start_driver NAME COMMAND...: starts it in the background, its log in $work/NAME.log.
start_driver() {
    local name=$1
    shift
    "$@" --state-dir "$work/$name-state" --volume-root "$work/$name-volumes" \
        >"$work/$name.log" 2>&1 &
    driver_pid=$!
}
stop_driver() {
    kill -TERM "$driver_pid"
    wait "$driver_pid" || fail "the driver exited with status $? on SIGTERM: $(cat "$work/$1.log")"
}
expect_activation() {
    local reply
    reply=$(python3 /tmp/plugin_socket.py activate "$1") ||
        fail "no answer on $1: $(cat "$work"/*.log)"
    [[ $reply == *'"Implements":["VolumeDriver"]'* ]] || fail "/Plugin.Activate answered $reply"
}

mkdir -p "$work"
start_driver bound nfsfuse-driver --socket "$work/bound.sock"
expect_activation "$work/bound.sock"
stop_driver bound
[[ ! -e $work/bound.sock ]] || fail "the driver left its own socket file behind"
pass "nfsfuse-driver --socket: /Plugin.Activate answered, socket removed at exit"

# As systemd runs it from nfsfuse-driver.socket: the socket exists before the driver starts, is
# passed as fd 3, and stays when the driver stops (it belongs to the socket unit).
start_driver activated python3 /tmp/plugin_socket.py systemd "$work/activated.sock" \
    /usr/sbin/nfsfuse-driver --socket "$work/activated.sock"
expect_activation "$work/activated.sock"
stop_driver activated
grep -q "the socket systemd passed" "$work/activated.log" ||
    fail "the driver did not serve the passed socket: $(cat "$work/activated.log")"
[[ -S $work/activated.sock ]] || fail "the driver removed the socket systemd owns"
pass "socket activation: /Plugin.Activate answered on the passed socket, socket kept at exit"

# A socket unit and a command line that disagree on the path: refused, not served.
expect_status 2 python3 /tmp/plugin_socket.py systemd "$work/unit.sock" \
    /usr/sbin/nfsfuse-driver --socket "$work/other.sock" --state-dir "$work/mismatch-state" \
    --volume-root "$work/mismatch-volumes"
[[ $output == *"but --socket names"* ]] || fail "a mismatched --socket: $output"
pass "socket activation: a --socket naming another path is refused with status 2"
