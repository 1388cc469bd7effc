#!/usr/bin/env bash
# deploy/lab.sh: the namespace lab of DESIGN §7.3.
#
#   hp-client netns                root netns                        hp-server netns
#   hp-c1 198.18.0.1/24  <-veth->  hp-c0 ==[ hookpath bridge ]== hp-s0  <-veth->  hp-s1 198.18.0.2/24
#         fd00:198:18::1/64        (port 0)                (port 1)              fd00:198:18::2/64
#
# Usage: deploy/lab.sh up|down|status|env      (as root)
#   up      create namespaces and veths (idempotent), start the bridge in the background and wait
#           until the client can ping the server through it
#   down    SIGTERM the bridge (its summary and stats JSON are written), stop anything left in the
#           lab namespaces, delete namespaces and veths, remove the DPDK runtime dir; idempotent,
#           also cleans up after a crash
#   status  what exists and whether it forwards (exit 0 = up and forwarding)
#   env     print the lab's names and paths as shell assignments (eval "$(deploy/lab.sh env)")
#
# Environment:
#   HOOKPATH             hookpath binary (default: build/controlplane/hookpath)
#   HP_LAB_BRIDGE        hookpath (default) | testpmd (dpdk-testpmd io forwarding) | none
#   HP_LAB_CONFIG        hookpath config file (default: deploy/lab.yaml)
#   HP_LAB_EXTRA_CONFIG  YAML file appended to the config (extra top-level keys, e.g. endpoints:)
#   HP_LAB_ARGS          extra hookpath app options (after --), e.g. "--exit-idle-ms 60000"
#   HP_LAB_EAL_ARGS      extra EAL options
#   HP_LAB_PMD           pcap (default: net_pcap iface=) | af_packet (net_af_packet iface=); see below
#   HP_LAB_VDEV_OPTS     extra vdev options appended to both, e.g. ",framecnt=256" for af_packet
#   HP_LAB_ID            name prefix (default hp): netns $ID-client/$ID-server, veths $ID-c0/c1/s0/s1
#   HP_LAB_FILE_PREFIX   DPDK --file-prefix (default $ID-lab)
#   HP_LAB_STATE_DIR     pid/log/config/stats files (default deploy/.lab); files are named $ID.*
#   HP_LAB_LCORES        EAL -l (default 0,1);  HP_LAB_MEM: EAL -m in MB (default 512)
#   HP_LAB_TIMEOUT       seconds to wait for forwarding on up (default 30)
#
# Why net_pcap by default: DPDK 22.11's net_af_packet always joins its sockets to a PACKET_FANOUT
# group with PACKET_FANOUT_FLAG_DEFRAG, so the kernel reassembles IPv4 fragments before the PMD sees
# them. A ~3 KB datagram is then truncated to the 2048-byte ring frame and hookpath drops it as
# malformed (a larger framesz does not fit hookpath's 2048-byte mbufs). IPv4 fragments never cross an
# af_packet bridge; IPv6 fragments do (meson test lab_bridge_af_packet asserts both). net_pcap
# (libpcap on the live interface, inbound only) passes every frame as it was on the wire.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ID=${HP_LAB_ID:-hp}
if ! [[ $ID =~ ^[A-Za-z0-9_-]{1,12}$ ]]; then
    echo "lab: HP_LAB_ID must be 1-12 characters of [A-Za-z0-9_-] (veth names are limited to 15)" >&2
    exit 2
fi
NS_C=$ID-client
NS_S=$ID-server
VC0=$ID-c0   # root side, client segment (DPDK port 0)
VC1=$ID-c1   # in $NS_C
VS0=$ID-s0   # root side, server segment (DPDK port 1)
VS1=$ID-s1   # in $NS_S
C_IP=198.18.0.1
S_IP=198.18.0.2
C_IP6=fd00:198:18::1
S_IP6=fd00:198:18::2
C_MAC=02:00:c6:12:00:01
S_MAC=02:00:c6:12:00:02
VC0_MAC=02:00:c6:12:01:01
VS0_MAC=02:00:c6:12:01:02

BRIDGE=${HP_LAB_BRIDGE:-hookpath}
HOOKPATH=${HOOKPATH:-$REPO/build/controlplane/hookpath}
CONFIG_SRC=${HP_LAB_CONFIG:-$REPO/deploy/lab.yaml}
FILE_PREFIX=${HP_LAB_FILE_PREFIX:-$ID-lab}
STATE=${HP_LAB_STATE_DIR:-$REPO/deploy/.lab}
LCORES=${HP_LAB_LCORES:-0,1}
MEM=${HP_LAB_MEM:-512}
TIMEOUT=${HP_LAB_TIMEOUT:-30}
PMD=${HP_LAB_PMD:-pcap}
VDEV_OPTS=${HP_LAB_VDEV_OPTS:-}

PIDFILE=$STATE/$ID.pid
KINDFILE=$STATE/$ID.bridge
LOG=$STATE/$ID.log
CFG=$STATE/$ID.yaml
STATS=$STATE/$ID.stats.json

log() { echo "lab: $*"; }
warn() { echo "lab: warning: $*" >&2; }
die() { echo "lab: error: $*" >&2; exit 1; }

need_root() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, veths, packet sockets)"
}

ns_exists() { [ -e "/run/netns/$1" ]; }
link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
in_c() { ip netns exec "$NS_C" "$@"; }
in_s() { ip netns exec "$NS_S" "$@"; }

# pid is alive and not a zombie
alive() {
    local st
    [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Processes of this lab's bridge: hookpath/testpmd processes whose command line holds our exact
# --file-prefix (the recorded pid, or one left over when the pid file was lost).
bridge_pids() {
    local f p
    local -A seen=()
    # -z: NUL-separated arguments; -x: a whole argument equals the prefix (or --file-prefix=X)
    # shellcheck disable=SC2013 # /proc/N/cmdline paths have no spaces
    for f in $(grep -lzxF -e "$FILE_PREFIX" -e "--file-prefix=$FILE_PREFIX" /proc/[0-9]*/cmdline 2>/dev/null); do
        p=${f#/proc/}; p=${p%/cmdline}
        case "$(cat "/proc/$p/comm" 2>/dev/null)" in
            hookpath* | dpdk-testpmd* | testpmd*) alive "$p" && seen[$p]=1 ;;
        esac
    done
    echo "${!seen[@]}"
}

# Turn every offload veth exposes off, one feature at a time (unknown/fixed ones are skipped),
# then check that the ones af_packet cares about really are off.
offloads_off() {
    local dev=$1; shift
    local f bad
    for f in rx tx sg tso gso gro lro ufo rxvlan txvlan rxhash ntuple; do
        "$@" ethtool -K "$dev" "$f" off >/dev/null 2>&1 || true
    done
    # then whatever else this kernel's veth still has on and changeable (tunnel segmentation,
    # gro-list, stag vlan, ...); highdma and friends do not touch packet contents
    for f in $("$@" ethtool -k "$dev" | awk -F': ' '$2 == "on" {gsub(/^[ \t]+/, "", $1); print $1}'); do
        case "$f" in highdma | tx-nocache-copy | netns-local | loopback) continue ;; esac
        "$@" ethtool -K "$dev" "$f" off >/dev/null 2>&1 || true
    done
    bad=$("$@" ethtool -k "$dev" | grep -E '^(rx-checksumming|tx-checksumming|scatter-gather|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload|large-receive-offload|rx-vlan-offload|tx-vlan-offload):' |
        grep -v ': off' || true)
    [ -z "$bad" ] || warn "$dev: offloads still on: $(echo "$bad" | tr '\n' ' ')"
}

set_sysctl() { # [cmd prefix...] path value   (written via the prefix so it lands in that netns)
    local v=${*: -1} p=${*: -2:1}
    local n=$(($# - 2))
    "${@:1:n}" sh -c "[ -w '$p' ] && echo '$v' > '$p'" 2>/dev/null || true
}

root_end_up() { # dev mac
    local dev=$1 mac=$2
    # No IPv6 on the root-side ends: no router solicitations/MLD/DAD from the host on the bridge.
    set_sysctl "/proc/sys/net/ipv6/conf/$dev/disable_ipv6" 1
    ip link set dev "$dev" address "$mac" mtu 1500 arp off promisc on multicast off
    offloads_off "$dev"
    ip link set dev "$dev" up
}

ns_end_up() { # ns dev mac ip ip6
    local ns=$1 dev=$2 mac=$3 ip4=$4 ip6=$5
    local x=(ip netns exec "$ns")
    "${x[@]}" ip link set dev lo up
    "${x[@]}" ip link set dev "$dev" address "$mac" mtu 1500
    offloads_off "$dev" "${x[@]}"
    set_sysctl "${x[@]}" "/proc/sys/net/ipv6/conf/$dev/disable_ipv6" 0
    set_sysctl "${x[@]}" "/proc/sys/net/ipv6/conf/$dev/accept_dad" 0
    set_sysctl "${x[@]}" "/proc/sys/net/ipv6/conf/$dev/router_solicitations" 0
    "${x[@]}" ip addr replace "$ip4/24" dev "$dev"
    "${x[@]}" ip -6 addr replace "$ip6/64" dev "$dev" nodad 2>/dev/null ||
        warn "$ns: could not add $ip6 (IPv6 disabled?)"
    "${x[@]}" ip link set dev "$dev" up
}

create_topology() {
    ns_exists "$NS_C" || ip netns add "$NS_C"
    ns_exists "$NS_S" || ip netns add "$NS_S"
    link_exists "$VC0" || ip link add "$VC0" type veth peer name "$VC1" netns "$NS_C"
    link_exists "$VS0" || ip link add "$VS0" type veth peer name "$VS1" netns "$NS_S"
    root_end_up "$VC0" "$VC0_MAC"
    root_end_up "$VS0" "$VS0_MAC"
    ns_end_up "$NS_C" "$VC1" "$C_MAC" "$C_IP" "$C_IP6"
    ns_end_up "$NS_S" "$VS1" "$S_MAC" "$S_IP" "$S_IP6"
}

write_config() {
    [ -r "$CONFIG_SRC" ] || die "config $CONFIG_SRC not readable"
    {
        echo "# generated by deploy/lab.sh from $CONFIG_SRC"
        cat "$CONFIG_SRC"
        if [ -n "${HP_LAB_EXTRA_CONFIG:-}" ]; then
            [ -r "$HP_LAB_EXTRA_CONFIG" ] || die "HP_LAB_EXTRA_CONFIG $HP_LAB_EXTRA_CONFIG not readable"
            echo
            echo "# --- appended from $HP_LAB_EXTRA_CONFIG"
            cat "$HP_LAB_EXTRA_CONFIG"
        fi
    } >"$CFG"
}

start_bridge() {
    local cmd=() vdevs
    case "$PMD" in
        pcap) vdevs=(--vdev "net_pcap0,iface=$VC0$VDEV_OPTS" --vdev "net_pcap1,iface=$VS0$VDEV_OPTS") ;;
        af_packet) vdevs=(--vdev "net_af_packet0,iface=$VC0$VDEV_OPTS" --vdev "net_af_packet1,iface=$VS0$VDEV_OPTS") ;;
        *) die "HP_LAB_PMD must be pcap or af_packet (got '$PMD')" ;;
    esac
    # shellcheck disable=SC2206
    local eal_extra=(${HP_LAB_EAL_ARGS:-}) app_extra=(${HP_LAB_ARGS:-})
    case "$BRIDGE" in
        hookpath)
            [ -x "$HOOKPATH" ] || die "hookpath binary not found at $HOOKPATH (meson setup build && ninja -C build; or HP_LAB_BRIDGE=testpmd)"
            write_config
            rm -f "$STATS"
            cmd=("$HOOKPATH" --no-huge -m "$MEM" --file-prefix "$FILE_PREFIX" -l "$LCORES" --no-pci
                "${vdevs[@]}" "${eal_extra[@]}" -- -c "$CFG" --stats-file "$STATS" "${app_extra[@]}")
            ;;
        testpmd)
            command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd not installed"
            # Non-interactive testpmd reads stdin to exit; with --stats-period it loops until a
            # signal instead, so it can run from /dev/null in the background.
            cmd=(dpdk-testpmd --no-huge -m "$((MEM > 1024 ? MEM : 1024))" --file-prefix "$FILE_PREFIX"
                -l "$LCORES" --no-pci "${vdevs[@]}" "${eal_extra[@]}" --
                --forward-mode=io --total-num-mbufs=16384 --auto-start --stats-period 3600)
            ;;
        none) return 0 ;;
        *) die "HP_LAB_BRIDGE must be hookpath, testpmd or none (got '$BRIDGE')" ;;
    esac
    [ -f "$LOG" ] && mv -f "$LOG" "$LOG.1"
    echo "\$ ${cmd[*]}" >"$LOG"
    # setsid: the bridge gets its own session, so a CTRL-C meant for the caller does not hit it;
    # it is stopped by 'lab.sh down'. (In a non-interactive shell setsid execs in place: $! is it.)
    # stdbuf: line-buffered stdout, so the periodic stats lines reach the log as they are printed.
    setsid stdbuf -oL -eL "${cmd[@]}" </dev/null >>"$LOG" 2>&1 &
    local pid=$!
    echo "$pid" >"$PIDFILE"
    echo "$BRIDGE" >"$KINDFILE"
    log "started $BRIDGE on net_$PMD vdevs (pid $pid), log $LOG"
}

ping_ok() { in_c ping -c1 -W1 -q "$S_IP" >/dev/null 2>&1; }

wait_forwarding() {
    local pid deadline=$((SECONDS + TIMEOUT))
    pid=$(cat "$PIDFILE")
    while :; do
        if ! alive "$pid"; then
            echo "---- tail of $LOG" >&2
            tail -n 30 "$LOG" >&2 || true
            die "$BRIDGE (pid $pid) exited during start-up (lab left as is for debugging; '$0 down' cleans up)"
        fi
        ping_ok && break
        [ "$SECONDS" -lt "$deadline" ] || {
            echo "---- tail of $LOG" >&2
            tail -n 30 "$LOG" >&2 || true
            die "no ping from $NS_C to $S_IP through $BRIDGE within ${TIMEOUT}s ('$0 down' cleans up)"
        }
        sleep 0.2
    done
    log "forwarding: $NS_C ($C_IP) -> $NS_S ($S_IP) ping ok after $((SECONDS + TIMEOUT - deadline))s"
    if in_c ping -6 -c1 -W2 -q "$S_IP6" >/dev/null 2>&1; then
        log "forwarding: IPv6 $C_IP6 -> $S_IP6 ping ok"
    else
        warn "IPv6 ping $C_IP6 -> $S_IP6 failed"
    fi
}

# 0: namespaces, veths, bridge process all present and pings get through
lab_up_and_forwarding() {
    ns_exists "$NS_C" && ns_exists "$NS_S" && link_exists "$VC0" && link_exists "$VS0" || return 1
    if [ "$BRIDGE" != none ]; then
        [ -n "$(bridge_pids)" ] || return 1
    fi
    ping_ok
}

stop_pids() { # timeout pid...
    local t=$1; shift
    local p deadline
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    deadline=$((SECONDS + t))
    for p in "$@"; do
        while alive "$p" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
        if alive "$p"; then
            warn "pid $p did not exit within ${t}s of SIGTERM; SIGKILL"
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
}

cmd_up() {
    need_root
    mkdir -p "$STATE"
    if lab_up_and_forwarding; then
        log "already up ($(cat "$KINDFILE" 2>/dev/null || echo "$BRIDGE") pid $(bridge_pids)); nothing to do"
        return 0
    fi
    # Partial or stale lab (crash, half-finished up): start from a clean slate.
    if ns_exists "$NS_C" || ns_exists "$NS_S" || link_exists "$VC0" || link_exists "$VS0" ||
        [ -n "$(bridge_pids)" ] || [ -e "/var/run/dpdk/$FILE_PREFIX" ]; then
        log "cleaning up a partial/stale lab first"
        cmd_down
    fi
    create_topology
    log "namespaces $NS_C ($C_IP, $C_IP6) and $NS_S ($S_IP, $S_IP6); root-side veths $VC0 (port 0), $VS0 (port 1)"
    [ "$BRIDGE" = none ] && { log "HP_LAB_BRIDGE=none: no bridge started"; return 0; }
    start_bridge
    wait_forwarding
}

cmd_down() {
    need_root
    local pids p
    pids=$(bridge_pids)
    if [ -n "$pids" ]; then
        log "stopping bridge (pid $pids)"
        # shellcheck disable=SC2086
        stop_pids "${HP_LAB_STOP_TIMEOUT:-20}" $pids
        [ -f "$LOG" ] && log "bridge stopped; log $LOG"
    fi
    rm -f "$PIDFILE"
    # Anything still running inside the lab namespaces (servers, clients) belongs to the lab.
    for ns in "$NS_C" "$NS_S"; do
        if ns_exists "$ns"; then
            pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
            # shellcheck disable=SC2086 # a list of pids
            [ -z "${pids// /}" ] || { log "stopping processes in $ns: $pids"; stop_pids 3 $pids; }
            ip netns del "$ns" 2>/dev/null || warn "could not delete netns $ns"
        fi
    done
    # Deleting a netns removes its veth ends (and their peers) unless something kept it alive.
    for l in "$VC0" "$VS0"; do
        link_exists "$l" && { ip link del "$l" 2>/dev/null || warn "could not delete $l"; }
    done
    if [ -e "/var/run/dpdk/$FILE_PREFIX" ] && [ -z "$(bridge_pids)" ]; then
        rm -rf "/var/run/dpdk/$FILE_PREFIX"
    fi
    log "down"
}

cmd_status() {
    local rc=0 pids
    printf '%-10s %s\n' netns "$NS_C: $(ns_exists "$NS_C" && echo present || echo absent), $NS_S: $(ns_exists "$NS_S" && echo present || echo absent)"
    printf '%-10s %s\n' veths "$VC0: $(link_exists "$VC0" && echo present || echo absent), $VS0: $(link_exists "$VS0" && echo present || echo absent)"
    pids=$(bridge_pids)
    printf '%-10s %s\n' bridge "$(cat "$KINDFILE" 2>/dev/null || echo "$BRIDGE"): $([ -n "$pids" ] && echo "running, pid $pids" || echo "not running") (file-prefix $FILE_PREFIX)"
    if ns_exists "$NS_C" && ping_ok; then
        printf '%-10s %s\n' ping "$C_IP -> $S_IP ok"
    else
        printf '%-10s %s\n' ping "$C_IP -> $S_IP FAILS"
        rc=1
    fi
    if [ -f "$LOG" ]; then
        printf '%-10s %s\n' log "$LOG"
        tail -n 3 "$LOG" | sed 's/^/           /'
    fi
    [ -f "$STATS" ] && printf '%-10s %s\n' stats "$STATS"
    if ! ns_exists "$NS_C" && ! ns_exists "$NS_S" && [ -z "$pids" ]; then
        return 3
    fi
    [ -n "$pids" ] || [ "$BRIDGE" = none ] || rc=1
    return $rc
}

cmd_env() {
    cat <<EOF
LAB_ID=$ID
LAB_NS_CLIENT=$NS_C
LAB_NS_SERVER=$NS_S
LAB_IF_CLIENT=$VC1
LAB_IF_SERVER=$VS1
LAB_IF_PORT0=$VC0
LAB_IF_PORT1=$VS0
LAB_CLIENT_IP=$C_IP
LAB_SERVER_IP=$S_IP
LAB_CLIENT_IP6=$C_IP6
LAB_SERVER_IP6=$S_IP6
LAB_BRIDGE=$BRIDGE
LAB_PMD=$PMD
LAB_FILE_PREFIX=$FILE_PREFIX
LAB_STATE_DIR=$STATE
LAB_PIDFILE=$PIDFILE
LAB_LOG=$LOG
LAB_CONFIG=$CFG
LAB_STATS=$STATS
EOF
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *)
        sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
