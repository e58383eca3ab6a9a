#!/usr/bin/env bash
# The vm tier's end-to-end check of kernel mode, run inside the test VM: a real dockerd (Debian's
# docker.io, from the host's root like everything else) runs a container on a volume of the
# driver's default mode, mounted by the guest kernel's NFS client.
#
#   tests/vm/run-in-vm.sh tests/vm/guest/docker_volume_checks.sh NFSFUSE_DRIVER NFSFUSE PLUGIN_DIR
#
# PLUGIN_DIR: the managed plugin (packaging/docker-plugin/build-plugin.sh: config.json, rootfs/).
#
#   8. dockerd starts in the guest and a busybox image is imported (there is no registry)
#   9. `docker volume create -d nfsfuse` without a mode, `docker run -v VOLUME:/data`: /data is an
#      nfs4 mount in the container, its write lands in the server's export directory, and the
#      volume is unmounted when the container is gone and removed by `docker volume rm`
#  10. the same through the managed plugin (docker plugin create/enable): its driver, in the
#      plugin's own namespaces, mounts with the guest kernel's NFS client
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=services.sh
source "$(dirname "$0")/services.sh"

readonly docker_dir=/run/vm-docker
export DOCKER_HOST="unix://$docker_dir/docker.sock"
readonly dockerd_log=$docker_dir/dockerd.log
service_logs+=("$dockerd_log")

docker_answers() {
    docker version >/dev/null 2>&1
}

check_dockerd() {
    command -v dockerd >/dev/null || fail "dockerd is not installed (packaging/install-deps.sh installs docker.io)"
    mkdir -p "$docker_dir"
    # The data root must be a tmpfs (/run is one): overlay2 refuses the guest's overlay root. No
    # bridge and no iptables: the guest has no network to give containers.
    dockerd --data-root "$docker_dir/data" --exec-root "$docker_dir/exec" -H "$DOCKER_HOST" \
        --pidfile "$docker_dir/dockerd.pid" --bridge=none --iptables=false --ip6tables=false \
        --ip-masq=false </dev/null >"$dockerd_log" 2>&1 &
    wait_until "dockerd answering on $DOCKER_HOST" 120 docker_answers
    note "$(docker version --format 'dockerd {{.Server.Version}} answers')"
    # The image is busybox and nothing else: static, so it runs alone.
    local image_dir=$docker_dir/image
    mkdir -p "$image_dir/bin"
    cp "$(command -v busybox)" "$image_dir/bin/busybox"
    tar -C "$image_dir" -c bin | docker import - bb:local >/dev/null
}

volume_unmounted() {
    ! awk -v mount_point="$volume_root/kvol" '$2 == mount_point { found = 1 } END { exit !found }' /proc/mounts
}

# expect_kernel_volume_serves_a_container DRIVER VOLUME UNMOUNTED: a volume of DRIVER created
# without a mode is a kernel-mode one; in a container /data is an nfs4 mount whose write lands in
# the server's export directory; once the container is gone dockerd's Unmount unmounts it (the
# command UNMOUNTED says so), and `docker volume rm` removes it.
expect_kernel_volume_serves_a_container() {
    local driver=$1 volume=$2 unmounted=$3 output
    expect_eq "$(docker volume create -d "$driver" -o server=127.0.0.1 -o path="$nfs_export" "$volume")" \
        "$volume" "docker volume create's output ($driver)"
    expect_eq "$(docker volume inspect -f '{{index .Status "mode"}}' "$volume")" kernel \
        "the mode of a volume of $driver created without one"
    output=$(docker run --rm --network none -v "$volume:/data" bb:local /bin/busybox sh -c \
        "echo from-$volume >/data/$volume.txt && /bin/busybox grep ' /data ' /proc/mounts") ||
        fail "docker run on $volume failed: $output"
    note "/data in the container ($driver): $output"
    [[ $output == *" /data nfs4 "* ]] || fail "/data in the container is not an nfs4 mount: $output"
    expect_eq "$(<"$nfs_export/$volume.txt")" "from-$volume" "$volume.txt in the server's export directory"
    wait_until "$volume unmounted after the container" 30 "$unmounted"
    docker volume rm "$volume" >/dev/null
}

check_container_on_kernel_volume() {
    expect_kernel_volume_serves_a_container nfsfuse kvol volume_unmounted
    expect_eq "$(docker volume ls -q --filter driver=nfsfuse)" "" "the nfsfuse volumes after docker volume rm"
}

# The managed plugin, by the name it gets here (the driver above answers to "nfsfuse").
readonly managed=nfsfuse-managed

managed_volume_unmounted() {
    [[ $(docker volume inspect -f '{{index .Status "mounted"}}' mvol) == false ]]
}

check_managed_plugin_in_kernel_mode() {
    local output
    # The plugin asks Docker for /dev/fuse (fuse mode), which exists once the module is loaded;
    # Docker refuses to enable a plugin whose device is missing (docs/DRIVER.md).
    modprobe fuse
    output=$(docker plugin create "$managed" "$plugin_dir" 2>&1) || fail "docker plugin create: $output"
    mkdir -p /run/vm-plugin-state
    output=$(docker plugin set "$managed" state.source=/run/vm-plugin-state 2>&1) ||
        fail "docker plugin set: $output"
    output=$(docker plugin enable "$managed" 2>&1) || fail "docker plugin enable: $output"
    # The plugin's mountpoints are in its propagated mount: its Status says whether it is mounted.
    expect_kernel_volume_serves_a_container "$managed" mvol managed_volume_unmounted
    output=$(docker plugin disable "$managed" 2>&1) || fail "docker plugin disable: $output"
    output=$(docker plugin rm "$managed" 2>&1) || fail "docker plugin rm: $output"
}

if (($# != 3)); then
    echo "usage: $0 NFSFUSE_DRIVER NFSFUSE PLUGIN_DIR" >&2
    exit 2
fi
plugin_dir=$(realpath -e "$3")
readonly plugin_dir
start_services "$1" "$2"
run_check "8. dockerd starts in the guest, an image is imported" check_dockerd
run_check "9. a container on a kernel-mode volume: its write reaches the server" check_container_on_kernel_volume
run_check "10. the managed plugin mounts a container's volume with the kernel client" \
    check_managed_plugin_in_kernel_mode
