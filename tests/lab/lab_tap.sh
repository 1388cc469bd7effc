# Sourced by the lab tests: TAP-style results, cleanup of the lab and its state dir, and the
# HTTP server in the server namespace. Expects LAB (deploy/lab.sh), W (state dir) and, after
# `lab.sh env`, the LAB_* variables.
PASS=0 FAIL=0 N=0
ok() { N=$((N + 1)); PASS=$((PASS + 1)); echo "ok $N - $*"; }
notok() { N=$((N + 1)); FAIL=$((FAIL + 1)); echo "not ok $N - $*"; }
skipped() { N=$((N + 1)); echo "ok $N - $* # SKIP"; }
check() { # description command...
    local d=$1; shift
    if "$@"; then ok "$d"; else notok "$d"; return 1; fi
}
all_eq() { # a1 b1 [a2 b2 ...]: every pair equal
    while [ $# -ge 2 ]; do [ "$1" = "$2" ] || return 1; shift 2; done
}

# On exit: lab down; the state dir is kept when something failed or HP_LAB_KEEP=1.
lab_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    "$LAB" down >"$W/down.log" 2>&1 || cat "$W/down.log"
    if [ "$FAIL" -gt 0 ] || [ "${HP_LAB_KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
        echo "# state kept in $W (bridge log ${LAB_LOG:-?}, server log ${SRV_LOG:-?})"
    else
        rm -rf "$W"
    fi
}
trap lab_cleanup EXIT
trap 'echo "# interrupted"; exit 130' INT TERM

# deploy/lab_server.py on $LAB_SERVER_IP:8080 in the server namespace, logging to $SRV_LOG.
start_lab_server() {
    local up=0
    ip netns exec "$LAB_NS_SERVER" python3 "$REPO/deploy/lab_server.py" --host "$LAB_SERVER_IP" --port 8080 \
        --log "$SRV_LOG" >"$W/server.out" 2>&1 &
    for _ in $(seq 50); do
        ip netns exec "$LAB_NS_SERVER" ss -Hltn "sport = :8080" | grep -q 8080 && { up=1; break; }
        sleep 0.1
    done
    check "lab_server listening on $LAB_SERVER_IP:8080" [ "$up" = 1 ]
}
