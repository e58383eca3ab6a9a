#!/usr/bin/env bash
# Starts and stops a private nfs-ganesha (VFS FSAL, NFSv3 + NFSv4) on 127.0.0.1 for the tests.
#
#   ganesha.sh start DIR PORT MNTPORT [NLMPORT]
#                                       exports DIR/export under that same path for v3 and v4
#                                       (its v4 pseudo path equals the real one, as with Linux
#                                       knfsd), and DIR/squashed likewise with root_squash;
#                                       serves NFSv3 locks (NLM) on NLMPORT when given (and
#                                       starts rpc.statd if none runs), none without it;
#                                       prints the pid once PORT, MNTPORT (and NLMPORT) listen
#   ganesha.sh stop DIR                 stops the instance whose pidfile is DIR/ganesha.pid
#
# NFSFUSE_GANESHA_LEASE=N (optional, at start): an NFSv4 lease of N seconds instead of ganesha's
# 60, for tests of what happens when a client's lease runs out.
# NFSFUSE_GANESHA_GRACE=N (optional, at start): a grace period of N seconds after every start, in
# which clients reclaim their state, instead of none (Graceless), for the tests of lock reclaim.
# ganesha 4.3 takes 0 to 180; keep it at least the lease (a reclaiming client has a lease to
# notice the restart in) and give a short lease with it.
#
# Everything of one instance lives in DIR (config, log, pidfile, v4 recovery state), so several
# instances on different ports and directories can run at once. A stop followed by a start with the
# same arguments brings the same export back on the same ports (the outage tests rely on that).
set -euo pipefail

readonly START_TIMEOUT_S=15
readonly STOP_TIMEOUT_S=15
# Every ganesha registers NFS v3 and MOUNT with the one rpcbind, unregistering first, and
# unregisters again when it stops. Two starts at once make one fail ("Cannot register NFS V3 on
# TCP") and exit; a stop during a start deletes the new registration. Starts and stops take turns.
readonly REGISTRATION_LOCK=/run/lock/nfsfuse-tests-ganesha.lock
# Below the harness's 45 s limit for the whole script, so a stuck lock is reported by name.
readonly LOCK_TIMEOUT_S=30

# Holds REGISTRATION_LOCK until this script exits. Every daemon started while it is held must get
# `{lock_fd}>&-`: a daemon that inherits the descriptor holds the lock for its whole life.
take_registration_lock() {
    exec {lock_fd}>"$REGISTRATION_LOCK"
    flock -w "$LOCK_TIMEOUT_S" "$lock_fd" ||
        die "$REGISTRATION_LOCK still locked after ${LOCK_TIMEOUT_S}s; held by: $(lock_holders)"
}

# The processes with REGISTRATION_LOCK open, for the error message.
lock_holders() {
    local fd holders=""
    for fd in /proc/[0-9]*/fd/*; do
        if [[ $(readlink "$fd" 2>/dev/null) == "$REGISTRATION_LOCK" ]]; then
            local pid=${fd#/proc/}
            pid=${pid%%/*}
            [[ $pid == "$$" || $pid == "$BASHPID" ]] || holders+="$pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)) "
        fi
    done
    echo "${holders:-nobody}"
}

usage() {
    echo "usage: $0 start DIR PORT MNTPORT [NLMPORT] | $0 stop DIR" >&2
    exit 2
}

die() {
    echo "ganesha.sh: $*" >&2
    exit 1
}

is_port_number() {
    [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 > 0 && 10#$1 < 65536))
}

# True while something listens on 127.0.0.1:PORT (ganesha binds the v4-mapped address).
port_listens() {
    ss -Hltn "sport = :$1" | grep -q .
}

# A zombie counts as gone: its ports are closed, and an init that is slow to reap must not make
# stop wait for nothing.
pid_alive() {
    [[ -n $1 ]] || return 1
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) } # the state letter follows the last ")" (the command name may hold spaces)
    [[ ${stat:0:1} != Z ]]
}

# ganesha writes its pidfile itself after daemonizing; an empty or stale file reads as "".
read_pid() {
    local pidfile=$1/ganesha.pid pid=""
    if [[ -s $pidfile ]]; then read -r pid <"$pidfile" || true; fi
    if [[ $pid =~ ^[0-9]+$ ]]; then echo "$pid"; fi
}

print_log_tail() {
    local log=$1/ganesha.log
    if [[ -f $log ]]; then
        echo "---- last lines of $log ----" >&2
        # ganesha logs one line per component when it sets log levels: skip that noise.
        grep -v 'SetComponentLogLevel' "$log" | tail -n 30 >&2
        echo "----" >&2
    else
        echo "(no log at $log)" >&2
    fi
}

# The TCP port rpcbind has for NFS v3, or "" when none is registered.
registered_nfs3_port() {
    rpcinfo -p 127.0.0.1 2>/dev/null | awk '$1 == 100003 && $2 == 3 && $3 == "tcp" { print $4; exit }'
}

# ganesha refuses to serve NFSv3 when it cannot register with the portmapper.
ensure_rpcbind() {
    if port_listens 111; then return; fi
    command -v rpcbind >/dev/null || die "rpcbind is not installed (apt-get install rpcbind)"
    # rpcbind daemonizes and would otherwise keep the registration lock for ever.
    rpcbind -w {lock_fd}>&- || die "rpcbind -w failed"
    local i
    for ((i = 0; i < 50; i++)); do
        port_listens 111 && return
        sleep 0.1
    done
    die "rpcbind started but port 111 does not listen"
}

# True while rpc.statd (NSM, program 100024) is registered with the local rpcbind.
statd_registered() {
    rpcinfo -p 127.0.0.1 2>/dev/null | awk '$1 == 100024 { found = 1 } END { exit !found }'
}

# ganesha's NLM asks the local statd (NSM) to monitor every client that takes a lock
# (nsm_monitor); with no statd it refuses every lock with NLM4_DENIED_NOLOCKS. One statd serves
# every instance. --no-notify: this host did not reboot, nobody is to be told so. A statd that
# will not start costs only the locks (their tests fail saying NOLOCKS), not the whole server.
ensure_statd() {
    if statd_registered; then return; fi
    if ! command -v rpc.statd >/dev/null; then
        echo "ganesha.sh: rpc.statd is not installed (apt-get install nfs-common): NLM will refuse every lock" >&2
        return
    fi
    # rpc.statd daemonizes and would otherwise keep the registration lock for ever.
    rpc.statd --no-notify {lock_fd}>&- || echo "ganesha.sh: rpc.statd failed to start" >&2
    local i
    for ((i = 0; i < 50; i++)); do
        statd_registered && return
        sleep 0.1
    done
    echo "ganesha.sh: rpc.statd is not registered with rpcbind: NLM will refuse every lock" >&2
}

# The NFS_CORE_PARAM lines for NLM: on at NLMPORT, or off.
nlm_config() {
    local nlmport=$1
    if [[ -z $nlmport ]]; then
        echo "    Enable_NLM = false;"
    else
        echo "    Enable_NLM = true;"
        echo "    NLM_Port = $nlmport;"
    fi
}

# The NFSV4 block's lease line, or nothing: ganesha's default lease.
lease_config() {
    local lease=${NFSFUSE_GANESHA_LEASE:-}
    [[ -n $lease ]] || return 0
    if ! [[ $lease =~ ^[0-9]+$ ]] || ((10#$lease < 1 || 10#$lease > 120)); then
        die "NFSFUSE_GANESHA_LEASE '$lease' is not a lease of 1 to 120 seconds"
    fi
    echo "    Lease_Lifetime = $((10#$lease));"
}

# The NFSV4 block's grace lines: none at all (Graceless), or a grace period of
# NFSFUSE_GANESHA_GRACE seconds.
grace_config() {
    local grace=${NFSFUSE_GANESHA_GRACE:-}
    if [[ -z $grace ]]; then
        echo "    Graceless = true;"
        return 0
    fi
    if ! [[ $grace =~ ^[0-9]+$ ]] || ((10#$grace < 1 || 10#$grace > 180)); then
        die "NFSFUSE_GANESHA_GRACE '$grace' is not a grace period of 1 to 180 seconds"
    fi
    echo "    Graceless = false;"
    echo "    Grace_Period = $((10#$grace));"
}

# One EXPORT block: ID, PATH, SQUASH.
export_block() {
    local id=$1 path=$2 squash=$3
    cat <<BLOCK
EXPORT {
    Export_Id = $id;
    Path = $path;
    # The same SOURCE (server:/real/path) then mounts over both versions, as with Linux knfsd.
    Pseudo = $path;
    Access_Type = RW;
    Squash = $squash;
    Anonymous_Uid = 65534;
    Anonymous_Gid = 65534;
    Protocols = 3, 4;
    Transports = TCP;
    SecType = sys;
    FSAL { Name = VFS; }
    # The tests change files on the export's disk behind ganesha's back, standing in for other
    # clients: ganesha must not answer GETATTR from its own attribute cache (60 s by default).
    Attr_Expiration_Time = 0;
}
BLOCK
}

write_config() {
    local dir=$1 port=$2 mntport=$3 nlmport=$4 lease grace
    lease=$(lease_config)
    grace=$(grace_config)
    # RecoveryBackend=fs with a private RecoveryRoot and Graceless: ganesha 4.3 on Debian otherwise
    # wants a shared recovery database and starts every run with a 90 s grace period. The
    # private RecoveryRoot also keeps the clients that may reclaim after a restart.
    cat >"$dir/ganesha.conf" <<CONF
NFS_CORE_PARAM {
    Protocols = 3, 4;
    NFS_Port = $port;
    MNT_Port = $mntport;
$(nlm_config "$nlmport")
    Enable_RQUOTA = false;
    Enable_UDP = false;
    Bind_addr = 127.0.0.1;
}
NFSV4 {
$grace
    RecoveryBackend = fs;
    RecoveryRoot = $dir/rec;
    Allow_Numeric_Owners = true;
    Only_Numeric_Owners = true;
$lease
}
NFS_KRB5 { Active_krb5 = false; }
$(export_block 1 "$dir/export" No_Root_Squash)
# The same directory tree's squashed/ as an export of its own with root_squash: what the kernel
# client and nfsfuse send as root arrives as the anonymous user 65534, and other users as
# themselves (the identity tests).
$(export_block 2 "$dir/squashed" Root_Squash)
LOG { Default_Log_Level = WARN; }
CONF
}

start() {
    local dir=$1 port=$2 mntport=$3 nlmport=${4:-}
    is_port_number "$port" || die "PORT '$port' is not a port number"
    is_port_number "$mntport" || die "MNTPORT '$mntport' is not a port number"
    [[ -z $nlmport ]] || is_port_number "$nlmport" || die "NLMPORT '$nlmport' is not a port number"
    command -v ganesha.nfsd >/dev/null ||
        die "ganesha.nfsd is not installed (apt-get install nfs-ganesha nfs-ganesha-vfs)"

    mkdir -p "$dir/export" "$dir/squashed" "$dir/rec"
    dir=$(cd "$dir" && pwd -P) # ganesha needs absolute paths in its config
    local old_pid
    old_pid=$(read_pid "$dir")
    if pid_alive "$old_pid"; then
        die "an instance already runs from $dir (pid $old_pid); stop it first"
    fi
    rm -f "$dir/ganesha.pid"
    local p
    for p in "$port" "$mntport" $nlmport; do
        port_listens "$p" && die "port $p is already in use: $(ss -Hltnp "sport = :$p")"
    done

    take_registration_lock
    ensure_rpcbind
    [[ -z $nlmport ]] || ensure_statd
    write_config "$dir" "$port" "$mntport" "$nlmport"
    # Daemonizes: returns once the child is forked, the child writes the pidfile. The lock stays
    # with this script: a daemon inheriting it would hold it forever.
    ganesha.nfsd -L "$dir/ganesha.log" -f "$dir/ganesha.conf" -p "$dir/ganesha.pid" {lock_fd}>&- ||
        {
            print_log_tail "$dir"
            die "ganesha.nfsd exited with status $?"
        }

    local deadline=$((SECONDS + START_TIMEOUT_S)) pid="" listening_since=""
    while ((SECONDS < deadline)); do
        pid=$(read_pid "$dir")
        if [[ -n $pid ]] && ! pid_alive "$pid"; then
            print_log_tail "$dir"
            die "ganesha (pid $pid) exited during start-up"
        fi
        if [[ -n $pid ]] && port_listens "$port" && port_listens "$mntport" &&
            { [[ -z $nlmport ]] || port_listens "$nlmport"; }; then
            : "${listening_since:=$SECONDS}"
            # Registered too, so the next instance may start (see REGISTRATION_LOCK). Someone
            # outside this script may have registered over us since; then do not wait forever.
            if [[ $(registered_nfs3_port) == "$port" ]] || ((SECONDS - listening_since >= 3)); then
                echo "$pid"
                return 0
            fi
        fi
        sleep 0.1
    done
    print_log_tail "$dir"
    if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    die "ganesha did not listen on ports $port $mntport $nlmport within ${START_TIMEOUT_S}s"
}

stop() {
    local dir=$1 pid
    pid=$(read_pid "$dir")
    if ! pid_alive "$pid"; then
        rm -f "$dir/ganesha.pid"
        return 0 # already stopped: stop is idempotent so teardown can always call it
    fi
    take_registration_lock
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT_S))
    while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if pid_alive "$pid"; then
        echo "ganesha.sh: pid $pid ignored SIGTERM for ${STOP_TIMEOUT_S}s, sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 5))
        while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
        pid_alive "$pid" && die "pid $pid survived SIGKILL"
    fi
    rm -f "$dir/ganesha.pid"
}

(($# >= 1)) || usage
case $1 in
start)
    (($# == 4 || $# == 5)) || usage
    start "$2" "$3" "$4" "${5:-}"
    ;;
stop)
    (($# == 2)) || usage
    stop "$2"
    ;;
*) usage ;;
esac
