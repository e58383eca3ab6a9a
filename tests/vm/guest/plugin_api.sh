# shellcheck shell=bash disable=SC2154 # plugin_socket: services.sh
# Sourced by the guest side of the vm tier: Docker's VolumeDriver API, spoken to the driver over
# its unix socket as dockerd does (HTTP POST, JSON; docs/DRIVER.md). Requests are built by jq from
# arguments, never by pasting text into JSON. Needs report.sh (fail) and services.sh
# ($plugin_socket) sourced first.
#
#   api ENDPOINT NAME [KEY=VALUE...]   calls /VolumeDriver.ENDPOINT for volume NAME (KEY=VALUE are
#                                      Create's Opts, or ID=... for Mount and Unmount) and prints
#                                      the reply; fails the check on an Err
#   api_error ENDPOINT NAME [KEY=VALUE...]
#                                      the same call when it must fail: prints the Err, and fails
#                                      the check if there is none
#   listed_volumes                     the names List returns, one a line

readonly api_call_timeout_s=120 # a kernel mount of an unreachable server gives up after 60 s

# The request body for volume NAME: {"Name": NAME}, with "ID" (ID=...) or "Opts" (KEY=VALUE...).
request_body() {
    local name=$1
    shift
    case ${1:-} in
    "") jq -nc --arg name "$name" '{Name: $name}' ;;
    ID=*) jq -nc --arg name "$name" --arg id "${1#ID=}" '{Name: $name, ID: $id}' ;;
    *) jq -nc --arg name "$name" '{Name: $name, Opts: ([$ARGS.positional[]
            | capture("^(?<key>[^=]+)=(?<value>.*)$") | {(.key): .value}] | add)}' --args "$@" ;;
    esac
}

# post ENDPOINT BODY: the reply of /ENDPOINT.
post() {
    curl -sS --fail --max-time "$api_call_timeout_s" --unix-socket "$plugin_socket" \
        -H 'Content-Type: application/json' -X POST --data "$2" "http://plugin/$1" ||
        fail "POST /$1 $2: no reply from the driver"
}

api() {
    local endpoint=$1 body reply error
    shift
    body=$(request_body "$@")
    reply=$(post "VolumeDriver.$endpoint" "$body")
    error=$(jq -r '.Err // ""' <<<"$reply")
    [[ -z $error ]] || fail "VolumeDriver.$endpoint $body answered Err: $error"
    printf '%s\n' "$reply"
}

api_error() {
    local endpoint=$1 body error
    shift
    body=$(request_body "$@")
    error=$(post "VolumeDriver.$endpoint" "$body" | jq -r '.Err // ""')
    [[ -n $error ]] || fail "VolumeDriver.$endpoint $body succeeded; it should have failed"
    printf '%s\n' "$error"
}

listed_volumes() {
    post VolumeDriver.List '{}' | jq -r '.Volumes[]?.Name'
}
