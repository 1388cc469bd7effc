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
