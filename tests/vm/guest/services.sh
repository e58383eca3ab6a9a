# shellcheck shell=bash
# Sourced by each script of the guest side of the vm tier (with report.sh, which it sources): the
# NFS server and the driver inside the VM. They use fixed ports and the driver's default socket
# path, which is safe only in the throw-away guest, so sourcing this anywhere else stops the script.
#
#   start_services NFSFUSE_DRIVER NFSFUSE   the script's arguments: starts nfs-ganesha
#                                           (tests/tools/ganesha.sh) on 127.0.0.1, NFSv3 and
#                                           NFSv4.1, sharing $nfs_export (its path on the server
#                                           too), and the driver with its defaults but for the
#                                           directories
#   kill_driver                             SIGKILL, as a crash would
#   start_driver                            the driver again, on the same state directory

# shellcheck source-path=SCRIPTDIR source=report.sh
source "$(dirname "${BASH_SOURCE[0]}")/report.sh"

if [[ $(</proc/sys/kernel/hostname) != nfsfuse-vm ]]; then
    echo "$0 runs inside the test VM only (tests/vm/run-in-vm.sh $0 ...)" >&2
    exit 2
fi

guest_tools_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tools" && pwd)"
readonly guest_tools_dir
readonly nfs_server_dir=/run/vm-nfs
readonly nfs_export=$nfs_server_dir/export
# The standard ports, as a real server has them: a volume without port options reaches NFSv4.1 on
# 2049, and NFSv3 finds both through rpcbind (ganesha.sh starts it and ganesha registers there).
readonly nfs_port=2049 nfs_mount_port=20048
readonly plugin_socket=/run/docker/plugins/nfsfuse.sock
readonly driver_state_dir=/run/vm-driver/state
readonly volume_root=/run/vm-driver/volumes
readonly driver_log=/run/vm-driver/driver.log
driver_pid=""
driver_bin=""
nfsfuse_bin=""
# The logs print_service_logs shows when the script fails; a script adds those of its own services.
service_logs=("$driver_log" "$nfs_server_dir/ganesha.log")

# The last lines of the driver's and ganesha's logs when the script fails: the guest and its files
# are gone once it ends.
print_service_logs() {
    local status=$? log
    if ((status != 0)); then
        for log in "${service_logs[@]}"; do
            [[ -f $log ]] || continue
            echo "---- last lines of $log ----" >&2
            # Without ganesha's noise: per-component log levels, and no dbus and no Kerberos,
            # which the guest does not have and the tests do not use.
            grep -v -e SetComponentLogLevel -e ':DBUS :' -e krb5 "$log" | tail -n 30 >&2 || true
        done
    fi
    print_check_summary "$status"
}
trap print_service_logs EXIT

start_nfs_server() {
    local pid
    pid=$("$guest_tools_dir/ganesha.sh" start "$nfs_server_dir" "$nfs_port" "$nfs_mount_port") ||
        fail "ganesha did not start"
    note "ganesha (pid $pid) serves $nfs_export on 127.0.0.1:$nfs_port (MOUNT $nfs_mount_port)"
}

start_driver() {
    mkdir -p "${driver_log%/*}"
    echo "---- driver start ----" >>"$driver_log"
    # No --default-mode: kernel, the driver's default, is what the vm tier is about.
    "$driver_bin" --socket "$plugin_socket" --state-dir "$driver_state_dir" \
        --volume-root "$volume_root" --nfsfuse "$nfsfuse_bin" </dev/null >>"$driver_log" 2>&1 &
    driver_pid=$!
    wait_until "the driver answering on $plugin_socket" 30 driver_answers
    note "driver (pid $driver_pid) answers on $plugin_socket"
}

# Whether the driver answers Plugin.Activate; fails the check if it has exited.
driver_answers() {
    kill -0 "$driver_pid" 2>/dev/null || fail "the driver (pid $driver_pid) exited"
    curl -sf --unix-socket "$plugin_socket" -X POST --data '{}' http://plugin/Plugin.Activate >/dev/null
}

kill_driver() {
    kill -KILL "$driver_pid"
    wait "$driver_pid" 2>/dev/null || true
    driver_pid=""
}

start_services() {
    if (($# != 2)); then
        echo "usage: $0 NFSFUSE_DRIVER NFSFUSE" >&2
        exit 2
    fi
    driver_bin=$(realpath -e "$1")
    nfsfuse_bin=$(realpath -e "$2")
    note "guest kernel $(uname -r); nfs4 in /proc/filesystems before the driver starts: $(grep -cw nfs4 /proc/filesystems || true)"
    start_nfs_server
    start_driver
}
