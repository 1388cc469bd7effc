#!/usr/bin/env bash
# Lab test (DESIGN §7.3): hookpath bridges two network namespaces (deploy/lab.sh); real curl POSTs
# cross it to a real HTTP/1.1 server (deploy/lab_server.py), which must receive every body
# byte-for-byte; fragmented pings cross it and hookpath's counters (stats JSON) must show the
# reassembly and consistent rx/tx.
#
# HP_LAB_PMD=pcap (default, meson test lab_bridge) or af_packet (lab_bridge_af_packet). Under
# af_packet IPv4 fragments cannot cross (deploy/lab.sh header): the test says so in one line and
# asserts exactly that (no reply, one malformed drop per datagram), so a change shows up as a failure.
#
# Needs root and network namespaces (exit 77 = skipped otherwise). Uses its own lab id, DPDK
# file-prefix and state dir, so it does not disturb a lab brought up by hand or by demo.sh.
#   HOOKPATH=...          binary under test (meson passes it; default build/controlplane/hookpath)
#   HP_LAB_BRIDGE=testpmd check the lab itself with dpdk-testpmd (counter checks adapted)
#   HP_LAB_KEEP=1         keep the state dir (logs, stats, server log) even on success
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$REPO/deploy/lab.sh
BRIDGE=${HP_LAB_BRIDGE:-hookpath}
export HOOKPATH=${HOOKPATH:-$REPO/build/controlplane/hookpath}
export HP_LAB_PMD=${HP_LAB_PMD:-pcap}
PMD=$HP_LAB_PMD

skip() { echo "SKIP: $*"; echo "0 passed, 0 failed"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "lab test needs root (network namespaces, veths, af_packet/pcap on interfaces)"
probe=hplt-probe-$$
ip netns add "$probe" 2>/dev/null || skip "cannot create network namespaces here"
ip netns del "$probe"
for c in curl python3 ping ethtool ss; do
    command -v "$c" >/dev/null || skip "$c not installed (deploy/setup.sh installs the lab's tools)"
done
case "$PMD" in
    pcap | af_packet) ;;
    *) echo "not ok 1 - HP_LAB_PMD must be pcap or af_packet (got '$PMD')"; echo "0 passed, 1 failed"; exit 1 ;;
esac
if [ "$BRIDGE" = hookpath ] && [ ! -x "$HOOKPATH" ]; then
    echo "not ok 1 - hookpath binary not found at $HOOKPATH"
    echo "0 passed, 1 failed"
    exit 1
fi

# Lab id and DPDK file-prefix unique per run and per PMD (hptp<pid> / hpta<pid>, <= 12 characters),
# so lab_bridge and lab_bridge_af_packet can follow each other in any order, or overlap.
export HP_LAB_ID=hpt${PMD:0:1}$$
export HP_LAB_FILE_PREFIX=hp-labtest-$PMD-$$
export HP_LAB_STATE_DIR
HP_LAB_STATE_DIR=$(mktemp -d /tmp/hp-labtest.XXXXXX)
eval "$("$LAB" env)"
W=$HP_LAB_STATE_DIR
SRV_LOG=$W/server.jsonl
URL=http://$LAB_SERVER_IP:8080

# shellcheck source=lab_tap.sh
. "$REPO/tests/lab/lab_tap.sh"

t0=$SECONDS
echo "# lab test: bridge $BRIDGE$([ "$BRIDGE" = hookpath ] && echo " ($HOOKPATH)") on net_$PMD vdevs, lab id $HP_LAB_ID, state $W"

# 1. lab up (namespaces, veths, bridge forwarding a ping)
if "$LAB" up >"$W/up.log" 2>&1; then
    ok "lab up: $LAB_NS_CLIENT <-> $BRIDGE <-> $LAB_NS_SERVER ($((SECONDS - t0))s)"
else
    notok "lab up"
    sed 's/^/# /' "$W/up.log"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi

# 2. ARP across the bridge: the client resolved the server's MAC
mac=$(ip netns exec "$LAB_NS_CLIENT" ip neigh show "$LAB_SERVER_IP" dev "$LAB_IF_CLIENT" | awk '{print $3}')
smac=$(ip netns exec "$LAB_NS_SERVER" cat "/sys/class/net/$LAB_IF_SERVER/address")
check "ARP: client resolved $LAB_SERVER_IP to the server's MAC ($smac, got ${mac:-none})" [ "$mac" = "$smac" ]

# 3. HTTP server in the server namespace
start_lab_server

# 4. POST bodies of 1 B, 1 KB (JSON), 64 KB (random) and all 256 byte values, on one keep-alive
#    connection; then a 20 KB JSON body on a fresh connection.
python3 - "$W" <<'EOF'
import json, os, sys
w = sys.argv[1]
bodies = {
    "1b": b"x",
    "64k": os.urandom(65536),
    "bin": bytes(range(256)) * 3 + b"\r\n\r\n\x00\xff POST / HTTP/1.1\r\n",
    "20k": json.dumps({"id": "evt_20k", "items": [{"n": i, "email": f"u{i}@example.com"} for i in range(600)]}).encode(),
}
# make the 1 KB body exactly 1024 bytes of valid JSON
head = b'{"id":"evt_1k","type":"invoice.paid","data":{"pad":"'
bodies["1k"] = head + b"a" * (1024 - len(head) - 3) + b'"}}'
assert len(bodies["1k"]) == 1024 and json.loads(bodies["1k"])
for k, v in bodies.items():
    open(f"{w}/body.{k}", "wb").write(v)
EOF
names=(1b 1k 64k bin)
args=()
for n in "${names[@]}"; do
    [ ${#args[@]} -eq 0 ] || args+=(--next)
    args+=(-sS --max-time 20 -H "Content-Type: application/octet-stream" --data-binary "@$W/body.$n"
        -o "$W/resp.$n" -w "$n %{http_code} %{num_connects}\n" "$URL/lab/$n")
done
ip netns exec "$LAB_NS_CLIENT" curl "${args[@]}" >"$W/curl.out" 2>"$W/curl.err"
crc=$?
check "curl: 4 POSTs on one connection completed (exit $crc)" [ "$crc" = 0 ]
ip netns exec "$LAB_NS_CLIENT" curl -sS --max-time 20 -H "Content-Type: application/json" \
    --data-binary "@$W/body.20k" -o "$W/resp.20k" -w "20k %{http_code} %{num_connects}\n" "$URL/lab/20k" \
    >>"$W/curl.out" 2>>"$W/curl.err"
names+=(20k)
sed 's/^/# curl: /' "$W/curl.err"
for n in "${names[@]}"; do
    size=$(stat -c %s "$W/body.$n")
    code=$(awk -v n="$n" '$1 == n {print $2}' "$W/curl.out")
    want="{\"ok\":true,\"received\":$size}"
    got=$(cat "$W/resp.$n" 2>/dev/null || true)
    check "POST /lab/$n ($size B): HTTP ${code:-none}, body $got" all_eq "$code" 200 "$got" "$want" ||
        echo "#   expected 200 $want"
done
conns=$(awk '$1 != "20k" {s += $3} END {print s + 0}' "$W/curl.out")
check "keep-alive: the 4 POSTs used $conns TCP connection(s)" [ "$conns" = 1 ]

# 5. the server got exactly those bodies, byte for byte, once each
if python3 - "$SRV_LOG" "$W" "${names[@]}" <<'EOF'; then
import base64, hashlib, json, sys
log, w, names = sys.argv[1], sys.argv[2], sys.argv[3:]
recs = [json.loads(l) for l in open(log)]
posts = [r for r in recs if r["method"] == "POST"]
bad = 0
for n in names:
    want = open(f"{w}/body.{n}", "rb").read()
    got = [r for r in posts if r["path"] == f"/lab/{n}"]
    if len(got) != 1:
        print(f"#   /lab/{n}: {len(got)} records in the server log, want 1"); bad += 1; continue
    r = got[0]
    body = base64.b64decode(r["body_b64"])
    if not r["complete"] or body != want or r["body_sha256"] != hashlib.sha256(want).hexdigest():
        print(f"#   /lab/{n}: body differs (complete={r['complete']}, len {len(body)} vs {len(want)})"); bad += 1
if len(posts) != len(names):
    print(f"#   {len(posts)} POST records in the server log, want {len(names)}"); bad += 1
sys.exit(1 if bad else 0)
EOF
    ok "server log: each of the ${#names[@]} bodies arrived exactly once, sha256 and bytes equal"
else
    notok "server log: bodies differ from what curl sent"
fi

# 6. IP fragmentation across the bridge (1500 MTU): ICMP and UDP, IPv4 and IPv6
pn=$(ip netns exec "$LAB_NS_CLIENT" ping -c 3 -i 0.3 -W 2 -M "do" -s 1472 "$LAB_SERVER_IP" 2>&1 | grep -c 'bytes from')
check "ping -M do -s 1472 (IPv4, full 1500-byte packets, not fragmented): $pn/3 replies" [ "$pn" = 3 ]
p4=$(ip netns exec "$LAB_NS_CLIENT" ping -c 3 -i 0.3 -W 2 -s 3000 "$LAB_SERVER_IP" 2>&1 | grep -c 'bytes from')
FRAG4_SENT=4 # fragmented IPv4 datagrams the client sends: the 3 echo requests above and the UDP one below
if [ "$PMD" = af_packet ]; then
    echo "# KNOWN LIMITATION (af_packet): DPDK 22.11 net_af_packet always sets PACKET_FANOUT_FLAG_DEFRAG, so the kernel reassembles IPv4 fragments before hookpath sees them; the ~3 KB datagram is truncated to the 2048-byte ring frame (1982 bytes of packet) and dropped as malformed. Asserting that IPv4 fragments do NOT cross (IPv6 ones do)."
    check "af_packet: ping -s 3000 (IPv4 fragments) gets no reply: $p4/3 (known limitation)" [ "$p4" = 0 ]
else
    check "ping -s 3000 (IPv4, 3 fragments each): $p4/3 replies" [ "$p4" = 3 ]
fi
p6=$(ip netns exec "$LAB_NS_CLIENT" ping -6 -c 2 -i 0.3 -W 2 -s 3000 "$LAB_SERVER_IP6" 2>&1 | grep -c 'bytes from')
check "ping -6 -s 3000 (IPv6 fragments): $p6/2 replies" [ "$p6" = 2 ]
udp=$(ip netns exec "$LAB_NS_SERVER" python3 - "$LAB_SERVER_IP" "$LAB_CLIENT_IP" "$LAB_NS_CLIENT" <<'EOF'
import socket, subprocess, sys
srv, cli, ns = sys.argv[1:4]
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind((srv, 9999)); r.settimeout(3)
payload = bytes(i % 251 for i in range(4000))
subprocess.run(["ip", "netns", "exec", ns, "python3", "-c",
    "import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); "
    f"s.sendto(bytes(i % 251 for i in range(4000)), ('{srv}', 9999))"], check=True)
try:
    data, addr = r.recvfrom(65535)
    print("equal" if data == payload and addr[0] == cli else f"differs({len(data)})")
except socket.timeout:
    print("timeout")
EOF
)
if [ "$PMD" = af_packet ]; then
    check "af_packet: UDP 4000-byte datagram (IPv4 fragments) does not arrive: $udp (known limitation)" [ "$udp" = timeout ]
else
    check "UDP 4000-byte datagram (fragmented) arrived intact: $udp" [ "$udp" = equal ]
fi

# 7. down: hookpath exits on SIGTERM and writes its counters
if "$LAB" down >"$W/down.log" 2>&1; then ok "lab down"; else notok "lab down"; sed 's/^/# /' "$W/down.log"; fi
left=$(ip netns list | grep -cE "^($LAB_NS_CLIENT|$LAB_NS_SERVER)( |$)")
gone() { [ "$left" = 0 ] && ! ip link show "$LAB_IF_PORT0" >/dev/null 2>&1 && ! ip link show "$LAB_IF_PORT1" >/dev/null 2>&1 &&
    [ ! -e "/var/run/dpdk/$HP_LAB_FILE_PREFIX" ]; }
check "down removed namespaces ($left left), veths and the DPDK runtime dir" gone

: >"$W/counters.out"
if [ "$BRIDGE" = hookpath ]; then
    if [ -s "$LAB_STATS" ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$LAB_STATS" 2>/dev/null; then
        ok "stats JSON written on SIGTERM ($LAB_STATS)"
        python3 - "$LAB_STATS" "$PMD" "$FRAG4_SENT" "$((2 * p6))" >"$W/counters.out" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
pmd, frag4, ip6_datagrams = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c, ports = s.get("counters", {}), {p.get("port"): p for p in s.get("ports", [])}
def res(good, what):
    print(("ok" if good else "not ok") + " - " + what)
# af_packet known limitation (deploy/lab.sh header): each fragmented IPv4 datagram reaches hookpath
# once, already reassembled by the kernel and truncated to the ring frame, so its IPv4 total length
# exceeds the frame: exactly these counters, nothing else, and hookpath's own defrag sees only IPv6.
limitation = {}
if pmd == "af_packet":
    limitation = {"decode_errors": frag4, "malformed_dropped": frag4, "decode_err_ipv4_total_len": frag4}
    got = {k: c.get(k) for k in limitation}
    res(got == limitation, f"af_packet limitation: the {frag4} fragmented IPv4 datagrams arrived reassembled+truncated and were dropped as malformed: {got}")
    res(c.get("defrag_unguarded") == ip6_datagrams,
        f"af_packet: only the {ip6_datagrams} IPv6 datagrams reached hookpath's reassembly as fragments (defrag_unguarded {c.get('defrag_unguarded')}), no IPv4 fragment did")
res(c.get("defrag_fragments", 0) > 0, f"defrag_fragments = {c.get('defrag_fragments')} (> 0)")
# ICMP and UDP are not guarded: their fragments pass untouched once the first one is seen,
# never reassembled (docs/DEFRAG.md)
res(c.get("defrag_unguarded", 0) > 0 and c.get("defrag_reassembled", 0) == 0,
    f"fragmented ping/UDP passed unguarded: defrag_unguarded = {c.get('defrag_unguarded')} (> 0), defrag_reassembled = {c.get('defrag_reassembled')} (0)")
p0, p1 = ports.get(0, {}), ports.get(1, {})
rx0, tx0, rx1, tx1 = (p.get(k, -1) for p, k in ((p0, "rx_packets"), (p0, "tx_packets"), (p1, "rx_packets"), (p1, "tx_packets")))
res(rx0 > 0 and rx1 > 0 and tx0 > 0 and tx1 > 0, f"both ports received and sent: port0 rx {rx0} tx {tx0}, port1 rx {rx1} tx {tx1}")
res(tx1 <= rx0 and tx0 <= rx1, "a bridge sends on each port at most what it received on the other")
srx = sum(p.get("rx_packets", 0) for p in ports.values()); stx = sum(p.get("tx_packets", 0) for p in ports.values())
res(c.get("rx_packets") == srx and c.get("tx_packets") == stx,
    f"counters rx_packets/tx_packets ({c.get('rx_packets')}/{c.get('tx_packets')}) = sums over ports ({srx}/{stx})")
# clean traffic only in this test: everything received must have been forwarded, nothing dropped
# (af_packet: except the malformed drops of the known limitation, checked exactly above)
lost = limitation.get("malformed_dropped", 0)
res(c.get("rx_packets", -1) - lost == c.get("tx_packets", -2),
    f"every received packet was forwarded: rx_packets {c.get('rx_packets')}" + (f" - {lost} limitation drops" if lost else "") + f" = tx_packets {c.get('tx_packets')}")
bad = {k: v for k, v in c.items() if isinstance(v, int) and v and k != "decode_err_ok" and k not in limitation
       and ("drop" in k or "ring_full" in k or k.startswith("decode_err"))}
res(not bad, "no drop or decode-error counter is non-zero" + (" (besides the af_packet limitation's)" if limitation else "") + (f": {bad}" if bad else ""))
res(c.get("l3_ipv4", 0) > 0, f"l3_ipv4 = {c.get('l3_ipv4')} (> 0)")
EOF
    else
        notok "stats JSON written on SIGTERM ($LAB_STATS missing or not JSON)"
        tail -n 20 "$LAB_LOG" | sed 's/^/# /'
    fi
else
    # testpmd: per-port forward statistics printed on exit
    python3 - "$LAB_LOG" >"$W/counters.out" <<'EOF'
import re, sys
t = open(sys.argv[1], errors="replace").read()
st = {}
for m in re.finditer(r"Forward statistics for port (\d+).*?RX-packets: (\d+).*?TX-packets: (\d+)\s+TX-dropped: (\d+)", t, re.S):
    st[int(m.group(1))] = tuple(map(int, m.group(2, 3, 4)))
if 0 not in st or 1 not in st:
    print("not ok - testpmd printed no forward statistics"); sys.exit()
(rx0, tx0, dr0), (rx1, tx1, dr1) = st[0], st[1]
print(("ok" if rx0 > 0 and rx1 > 0 else "not ok") + f" - testpmd: port0 rx {rx0} tx {tx0}, port1 rx {rx1} tx {tx1}")
print(("ok" if rx0 == tx1 + dr1 and rx1 == tx0 + dr0 else "not ok") + " - testpmd: rx on one port = tx + tx-dropped on the other")
EOF
fi
while IFS= read -r line; do
    case "$line" in
        "ok - "*) ok "${line#ok - }" ;;
        "not ok - "*) notok "${line#not ok - }" ;;
        *) echo "$line" ;;
    esac
done <"$W/counters.out"
[ "$BRIDGE" = hookpath ] || skipped "defrag counters (testpmd bridge has none)"

echo "# lab test took $((SECONDS - t0))s"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
