#!/usr/bin/env bash
# The vm tier's proof of the driver's kernel mode, run inside the test VM, whose kernel has the
# NFS client the CI host lacks:
#
#   tests/vm/run-in-vm.sh tests/vm/guest/kernel_mode_checks.sh NFSFUSE_DRIVER NFSFUSE
#
# nfs-ganesha and nfsfuse-driver (the host's build, as it is) run in the guest, on its loopback;
# the checks speak the plugin API over the driver's real unix socket and read the kernel's own
# account of each mount (/proc/mounts) and the server's export directory on disk:
#   1. a volume without a mode option mounts NFSv4.1 with the kernel client, and what is written
#      through its mountpoint lands on the server
#   2. the same over NFSv3 (vers=3; rpcbind gives the kernel the ports)
#   3. nfsopts reach the kernel's mount options
#   4. mode=auto chooses the kernel client where the kernel has one
#   5. after a SIGKILL the restarted driver adopts the mounted volumes: listed, mounted once,
#      Path answers, another Mount/Unmount pair works
#   6. the last Unmount unmounts, Remove forgets the volume and keeps the data on the server
#   7. subdir: the driver creates it through a private kernel mount of the export root and mounts
#      it; a symbolic link on the way is refused, never followed on this host
#   7b. cow=true: the share is a read-only kernel mount under an overlay; changes made through the
#      volume stay in the upper layer (the server's files unchanged), survive a driver SIGKILL
#      (adopted), and Remove deletes them
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=services.sh
source "$(dirname "$0")/services.sh"
# shellcheck source-path=SCRIPTDIR source=plugin_api.sh
source "$(dirname "$0")/plugin_api.sh"

# The filesystem type and options of what is mounted on $1, from the kernel's mount table; fails
# unless exactly one filesystem is mounted there.
mount_entry() {
    local entries
    entries=$(awk -v mount_point="$1" '$2 == mount_point { print $3, $4 }' /proc/mounts)
    [[ -n $entries ]] || fail "nothing is mounted on $1"
    [[ $entries != *$'\n'* ]] || fail "more than one filesystem is mounted on $1: $entries"
    printf '%s\n' "$entries"
}

# expect_nfs_mount MOUNTPOINT TYPE VERSION: the kernel's NFS client (not FUSE) serves MOUNTPOINT.
expect_nfs_mount() {
    local entry
    entry=$(mount_entry "$1")
    note "/proc/mounts: $1 $entry"
    expect_eq "${entry%% *}" "$2" "the filesystem type of $1"
    [[ ,${entry#* }, == *,vers=$3,* ]] || fail "$1 is not mounted with vers=$3: ${entry#* }"
}

expect_not_mounted() {
    if awk -v mount_point="$1" '$2 == mount_point { found = 1 } END { exit !found }' /proc/mounts; then
        fail "$1 is still mounted: $(mount_entry "$1")"
    fi
}

# expect_data_reaches_server MOUNTPOINT FILE [SERVER_DIR]: what is written through MOUNTPOINT is in
# SERVER_DIR (default: the export directory) on the server's disk, not in a directory underneath a
# mount that is not there, and what the server has there is read through MOUNTPOINT.
expect_data_reaches_server() {
    local mount_point=$1 file=$2 server_dir=${3:-$nfs_export} payload
    payload="$file written through $mount_point at $(date +%s%N)"
    printf '%s\n' "$payload" >"$mount_point/$file"
    expect_eq "$(<"$server_dir/$file")" "$payload" "$file in $server_dir on the server"
    printf '%s\n' "server-side $payload" >"$server_dir/server-$file"
    expect_eq "$(<"$mount_point/server-$file")" "server-side $payload" \
        "server-$file, written on the server, read through $mount_point"
}

# A field of volume $1's Status (docker volume inspect shows the same).
volume_status() {
    api Get "$1" | jq -r --arg key "$2" '.Volume.Status[$key] | tostring'
}

# mount_volume NAME ID: Mount, and prints the mountpoint after checking it is where it should be.
mount_volume() {
    local mount_point
    mount_point=$(api Mount "$1" "ID=$2" | jq -r .Mountpoint)
    expect_eq "$mount_point" "$volume_root/$1" "the Mountpoint of $1"
    printf '%s\n' "$mount_point"
}

readonly share=(server=127.0.0.1 "path=$nfs_export")

check_default_mode() {
    api Create v41 "${share[@]}" >/dev/null
    expect_eq "$(volume_status v41 mode)" kernel "Status.mode of a volume created without a mode"
    local mount_point
    mount_point=$(mount_volume v41 m1)
    expect_nfs_mount "$mount_point" nfs4 4.1
    expect_data_reaches_server "$mount_point" v41.txt
}

check_nfs3() {
    api Create v3 "${share[@]}" vers=3 >/dev/null
    local mount_point
    mount_point=$(mount_volume v3 m1)
    expect_nfs_mount "$mount_point" nfs 3
    # The driver mounts NFSv3 without the NLM lock protocol, which needs rpc.statd on the host.
    [[ ,$(mount_entry "$mount_point"), == *,nolock,* ]] || fail "$mount_point is not mounted nolock"
    expect_data_reaches_server "$mount_point" v3.txt
}

check_nfsopts() {
    api Create tuned "${share[@]}" nfsopts=noac,rsize=65536 >/dev/null
    local mount_point options
    mount_point=$(mount_volume tuned m1)
    expect_nfs_mount "$mount_point" nfs4 4.1
    options=,$(mount_entry "$mount_point" | cut -d' ' -f2),
    [[ $options == *,noac,* ]] || fail "noac (from nfsopts) is not among the mount's options: $options"
    [[ $options == *,rsize=65536,* ]] || fail "rsize=65536 (from nfsopts) is not among the mount's options: $options"
    api Unmount tuned ID=m1 >/dev/null
    expect_not_mounted "$mount_point"
    api Remove tuned >/dev/null
}

check_auto_mode() {
    # The driver decided at its start, by a probe mount(2) when no NFS module was loaded yet.
    grep -q 'mode=auto uses the kernel' "$driver_log" ||
        fail "the driver's log does not say that mode=auto uses the kernel client"
    api Create chosen "${share[@]}" mode=auto >/dev/null
    expect_eq "$(volume_status chosen mode)" kernel "Status.mode of a mode=auto volume"
    expect_eq "$(volume_status chosen requested_mode)" auto "Status.requested_mode of a mode=auto volume"
    local mount_point
    mount_point=$(mount_volume chosen m1)
    expect_nfs_mount "$mount_point" nfs4 4.1
    expect_data_reaches_server "$mount_point" chosen.txt
    api Unmount chosen ID=m1 >/dev/null
    expect_not_mounted "$mount_point"
    api Remove chosen >/dev/null
}

# v41 and v3 are mounted (ID m1) when the driver dies.
check_restart_adoption() {
    kill_driver
    note "driver SIGKILLed"
    expect_nfs_mount "$volume_root/v41" nfs4 4.1
    start_driver
    expect_eq "$(listed_volumes | sort | paste -sd ' ')" "v3 v41" "the volumes List returns after the restart"
    local volume
    for volume in v41 v3; do
        expect_eq "$(volume_status "$volume" mounted)" true "Status.mounted of $volume after the restart"
        expect_eq "$(volume_status "$volume" mount_count)" 1 "Status.mount_count of $volume after the restart"
        expect_eq "$(api Path "$volume" | jq -r .Mountpoint)" "$volume_root/$volume" "Path of $volume"
    done
    # Adopted, not mounted again on top: still exactly one mount each.
    expect_nfs_mount "$volume_root/v41" nfs4 4.1
    expect_nfs_mount "$volume_root/v3" nfs 3
    mount_volume v41 m2 >/dev/null
    expect_eq "$(volume_status v41 mount_count)" 2 "Status.mount_count of v41 after a second Mount"
    expect_nfs_mount "$volume_root/v41" nfs4 4.1
    expect_data_reaches_server "$volume_root/v41" after-restart.txt
    api Unmount v41 ID=m2 >/dev/null
    # m1 still holds it.
    expect_nfs_mount "$volume_root/v41" nfs4 4.1
    expect_eq "$(volume_status v41 mount_count)" 1 "Status.mount_count of v41 after Unmount m2"
}

check_unmount_and_remove() {
    local volume
    for volume in v41 v3; do
        api Unmount "$volume" ID=m1 >/dev/null
        expect_not_mounted "$volume_root/$volume"
        expect_eq "$(volume_status "$volume" mounted)" false "Status.mounted of $volume after its last Unmount"
        api Remove "$volume" >/dev/null
    done
    expect_eq "$(listed_volumes)" "" "the volumes List returns after Remove"
    expect_eq "$(ls -A "$volume_root")" "" "what is left in the volume root"
    local file
    for file in v41.txt v3.txt after-restart.txt; do
        [[ -s $nfs_export/$file ]] || fail "$file is no longer on the server after Remove"
    done
}

check_subdir() {
    api Create sub "${share[@]}" subdir=volumes/sub >/dev/null
    local mount_point
    mount_point=$(mount_volume sub m1)
    expect_nfs_mount "$mount_point" nfs4 4.1
    expect_eq "$(awk -v mount_point="$mount_point" '$2 == mount_point { print $1 }' /proc/mounts)" \
        "127.0.0.1:$nfs_export/volumes/sub" "the source of the subdir volume's mount"
    expect_data_reaches_server "$mount_point" sub.txt "$nfs_export/volumes/sub"
    # The export root was mounted only while the driver made the subdir, in its state directory.
    expect_eq "$(awk -v dir="$driver_state_dir/" 'index($2, dir) == 1' /proc/mounts)" "" \
        "mounts left in the driver's state directory"
    api Unmount sub ID=m1 >/dev/null
    api Remove sub >/dev/null

    # On the server escape -> /etc: followed by the client, it would lead into this host's /etc.
    ln -s /etc "$nfs_export/escape"
    api Create escape "${share[@]}" subdir=escape/nfsfuse-vm-test >/dev/null
    local error
    error=$(api_error Mount escape ID=m1)
    note "Mount answered: $error"
    [[ $error == *"symbolic link"* ]] || fail "the Err does not say that escape is a symbolic link: $error"
    expect_not_mounted "$volume_root/escape"
    [[ ! -e /etc/nfsfuse-vm-test ]] || fail "the driver followed the link into this host's /etc"
    api Remove escape >/dev/null
}

check_cow() {
    printf 'original\n' >"$nfs_export/cow.txt"
    api Create golden "${share[@]}" cow=true >/dev/null
    local mount_point lower=$driver_state_dir/cow/golden/lower entry
    mount_point=$(mount_volume golden m1)
    entry=$(mount_entry "$mount_point")
    note "/proc/mounts: $mount_point $entry"
    expect_eq "${entry%% *}" overlay "the filesystem type of the cow volume's mountpoint"
    expect_nfs_mount "$lower" nfs4 4.1
    entry=$(mount_entry "$lower")
    [[ ,${entry#* }, == *,ro,* ]] || fail "the share under the overlay is not read-only: $entry"
    printf 'changed\n' >"$mount_point/cow.txt"
    printf 'new\n' >"$mount_point/new.txt"
    expect_eq "$(<"$nfs_export/cow.txt")" original "cow.txt on the server after a write in the volume"
    [[ ! -e $nfs_export/new.txt ]] || fail "new.txt, made in a cow volume, reached the server"

    kill_driver
    start_driver
    expect_eq "$(volume_status golden mounted)" true "Status.mounted of golden after the restart"
    expect_eq "$(volume_status golden revivals)" 0 "Status.revivals of golden (adopted)"
    expect_eq "$(<"$mount_point/cow.txt")" changed "cow.txt in the volume after the restart"
    (($(volume_status golden upper_bytes) > 0)) || fail "Status.upper_bytes of golden is 0"

    api Unmount golden ID=m1 >/dev/null
    expect_not_mounted "$mount_point"
    expect_not_mounted "$lower"
    api Remove golden >/dev/null
    [[ ! -e $driver_state_dir/cow/golden ]] || fail "Remove left $driver_state_dir/cow/golden"
    expect_eq "$(<"$nfs_export/cow.txt")" original "cow.txt on the server after Remove"
}

start_services "$@"
run_check "1. no mode option: NFSv4.1 with the kernel client, data reaches the server" check_default_mode
run_check "2. vers=3: NFSv3 with the kernel client, data reaches the server" check_nfs3
run_check "3. nfsopts reach the kernel mount" check_nfsopts
run_check "4. mode=auto chooses the kernel client" check_auto_mode
run_check "5. SIGKILL and restart: mounted volumes adopted, Mount/Unmount work" check_restart_adoption
run_check "6. last Unmount unmounts, Remove forgets the volume, the data stays" check_unmount_and_remove
run_check "7. subdir made through the kernel client; a symbolic link in it is refused" check_subdir
run_check "7b. cow=true: a read-only kernel mount under an overlay, changes kept locally" check_cow
