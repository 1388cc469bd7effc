# Sourced first by the lab tests that push curl webhooks through the bridge: paths, and the
# checks they all make before touching anything (root, network namespaces, tools, the binary).
# skip() exits 77, which meson counts as skipped.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$REPO/deploy/lab.sh
SIGN=$REPO/pktgen-scripts/hp_sign.py
export HOOKPATH=${HOOKPATH:-$REPO/build/controlplane/hookpath}
export HP_LAB_PMD=${HP_LAB_PMD:-pcap}

skip() { echo "SKIP: $*"; echo "0 passed, 0 failed"; exit 77; }

lab_require() { # probe-name: a network namespace name to try
    [ "$(id -u)" -eq 0 ] || skip "lab test needs root"
    ip netns add "$1" 2>/dev/null || skip "cannot create network namespaces here"
    ip netns del "$1"
    for c in curl ss; do command -v "$c" >/dev/null || skip "$c not installed"; done
    [ -x "$HOOKPATH" ] || { echo "not ok 1 - hookpath binary not found at $HOOKPATH"; echo "0 passed, 1 failed"; exit 1; }
}

# Bring the lab up with the config file $1 appended (endpoints: ...) and start the HTTP server
# in the server namespace: sets the LAB_* variables, SRV_LOG, URL and the TAP helpers of
# lab_tap.sh (its EXIT trap takes the lab down). $2: the test's name, $3: the lab-up result line.
lab_up_with() {
    export HP_LAB_EXTRA_CONFIG=$1
    eval "$("$LAB" env)"
    SRV_LOG=$W/server.jsonl
    URL=http://$LAB_SERVER_IP:8080
    # shellcheck source=lab_tap.sh
    . "$REPO/tests/lab/lab_tap.sh"
    echo "# $2: $HOOKPATH on net_$HP_LAB_PMD, state $W"
    if "$LAB" up >"$W/up.log" 2>&1; then ok "$3"; else
        notok "lab up"; sed 's/^/# /' "$W/up.log"; echo "$PASS passed, $FAIL failed"; exit 1; fi
    start_lab_server
}
