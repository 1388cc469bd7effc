#!/usr/bin/env bash
# Lab test of verdicts (issue 5): hookpath bridges two network namespaces (deploy/lab.sh) with
# a stripe and a github endpoint; curl in the client namespace sends signed webhooks (headers
# from pktgen-scripts/hp_sign.py) to a real HTTP server (deploy/lab_server.py).
#   - valid webhooks reach the server and curl gets the server's 200;
#   - tampered, unsigned, stale and wrong-secret ones never reach the server application (its
#     log has no such request) and curl gets hookpath's 401 with the reason, at once;
#   - a replay within the TTL gets 409 and does not reach the server;
#   - an oversized body gets 413; an unrouted request passes (unrouted: pass);
#   - unsigned requests to /%73tripe/events and //stripe/events (a server that decodes or merges
#     slashes routes them to its stripe handler), to /other with X-Original-URL: /stripe/events
#     (IIS, Symfony) and for Host other.example with X-Forwarded-Host: hooks.lab.example or
#     Forwarded: host=hooks.lab.example (a framework behind a proxy it trusts) are
#     stripe-lab's: refused with 401;
#   - an unsigned request to /stripe/events for Host other.example (a single-site server, like
#     the lab's, ignores Host and takes it as a stripe webhook) is refused with 404
#     foreign_host;
#   - a forged request smuggled with TCP urgent data (python's socket, MSG_OOB on the last 0 of
#     "Content-Length: 40": the server's kernel takes that byte out of the stream, so it
#     reads "Content-Length: 4" and a complete request from bytes hookpath has not verified)
#     never reaches the server application, and stream_urgent counts it.
# Needs root and network namespaces (exit 77 = skipped otherwise).
#   HOOKPATH=...   binary under test;  HP_LAB_KEEP=1 keeps the state dir
#   HP_LAB_URGENT=inline  run with dataplane.reassembly.urgent: inline (the explicit fail-open):
#                  the smuggled request then reaches the server and the test fails, which
#                  shows that the attack is real on this kernel
#   HP_LAB_FOREIGN=pass  run with foreign_host: pass (the explicit fail-open): the stripe path
#                  under another Host then reaches the lab server, which answers 200
set -uo pipefail

# shellcheck source=lab_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab_common.sh"
lab_require hplv-probe-$$

export HP_LAB_ID=hpv${HP_LAB_PMD:0:1}$$
export HP_LAB_FILE_PREFIX=hp-labverdict-$$
export HP_LAB_STATE_DIR
HP_LAB_STATE_DIR=$(mktemp -d /tmp/hp-labverdict.XXXXXX)
W=$HP_LAB_STATE_DIR
STRIPE_SECRET=whsec_lab_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
GITHUB_SECRET=gh_lab_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$W/endpoints.yaml" <<EOF
endpoints:
  - name: stripe-lab
    match: {host: hooks.lab.example, path_prefix: /stripe}
    provider: stripe
    secrets_file: $W/stripe.secrets
    max_body: 8192
  - name: github-lab
    match: {host: hooks.lab.example, path_prefix: /github}
    provider: github
    secrets: ["$GITHUB_SECRET"]
unrouted: pass
foreign_host: ${HP_LAB_FOREIGN:-reject}
EOF
printf '# rotated out\nwhsec_previous_secret\n%s\n' "$STRIPE_SECRET" >"$W/stripe.secrets"
chmod 600 "$W/stripe.secrets"
if [ -n "${HP_LAB_URGENT:-}" ]; then
    sed "s/^  port_pairs: .*/&\n  reassembly: {urgent: $HP_LAB_URGENT}/" "$REPO/deploy/lab.yaml" >"$W/lab.yaml"
    export HP_LAB_CONFIG=$W/lab.yaml
fi
lab_up_with "$W/endpoints.yaml" "lab verdict test" "lab up with endpoints stripe-lab, github-lab"

# send NAME PROVIDER PATH SECRET TIMESTAMP [BODYFILE] [extra curl args...]: signs BODYFILE (default
# body.NAME) with hp_sign.py and POSTs it; records "NAME CODE TIME" in curl.out, answer in resp.NAME
send() {
    local name=$1 prov=$2 path=$3 secret=$4 ts=$5 body=${6:-$W/body.$1}
    shift 6 2>/dev/null || shift $#
    local hdrs=()
    if [ "$prov" != none ]; then
        while IFS= read -r h; do hdrs+=(-H "$h"); done < <(/usr/bin/python3 "$SIGN" "$prov" --secret "$secret" \
            --body-file "$body" --host hooks.lab.example --target "$path" --timestamp "$ts" --id "id-$name")
    fi
    ip netns exec "$LAB_NS_CLIENT" curl -sS --max-time 10 -H "Host: hooks.lab.example" \
        -H "Content-Type: application/json" "${hdrs[@]}" "$@" --data-binary "@$body" \
        -o "$W/resp.$name" -w "$name %{http_code} %{time_total}\n" "$URL$path" >>"$W/curl.out" 2>>"$W/curl.err"
}
code_of() { awk -v n="$1" '$1 == n {print $2}' "$W/curl.out"; }

now=$(date +%s)
for n in valid tampered unsigned stale wrongsecret gh gh_bad big unrouted pathenc pathdbl xorig xfh fwd foreign; do
    printf '{"id":"evt_%s_%s","type":"invoice.paid","data":{"amount":%d}}' "$n" "$now" "$RANDOM" >"$W/body.$n"
done
head -c 9000 /dev/zero | tr '\0' 'a' | sed 's/^/{"id":"evt_big","pad":"/; s/$/"}/' >"$W/body.big"
: >"$W/curl.out"

send valid stripe /stripe/events "$STRIPE_SECRET" "$now"
# tampered: sign one body, send another of the same length
cp "$W/body.valid" "$W/body.tampered.signed"; sed 's/invoice.paid/invoice.PAID/' "$W/body.valid" >"$W/body.tampered"
hdrs=()
while IFS= read -r h; do hdrs+=(-H "$h"); done < <(/usr/bin/python3 "$SIGN" stripe --secret "$STRIPE_SECRET" \
    --body-file "$W/body.tampered.signed" --timestamp "$now")
ip netns exec "$LAB_NS_CLIENT" curl -sS --max-time 10 -H "Host: hooks.lab.example" -H "Content-Type: application/json" \
    "${hdrs[@]}" --data-binary "@$W/body.tampered" -o "$W/resp.tampered" -w "tampered %{http_code} %{time_total}\n" \
    "$URL/stripe/events" >>"$W/curl.out" 2>>"$W/curl.err"
ip netns exec "$LAB_NS_CLIENT" curl -sS --max-time 10 -H "Host: other.example" \
    -H 'Forwarded: for=198.18.0.9;host="hooks.lab.example";proto=http' \
    -H "Content-Type: application/json" --data-binary "@$W/body.fwd" -o "$W/resp.fwd" \
    -w "fwd %{http_code} %{time_total}\n" "$URL/stripe/events" >>"$W/curl.out" 2>>"$W/curl.err"
send unsigned none /stripe/events x "$now"
send stale stripe /stripe/events "$STRIPE_SECRET" "$((now - 3600))"
send wrongsecret stripe /stripe/events whsec_not_the_secret "$now"
send gh github /github "$GITHUB_SECRET" "$now"
send gh_bad github /github "${GITHUB_SECRET}x" "$now"
send big stripe /stripe/events "$STRIPE_SECRET" "$now"
send unrouted none /other/path x "$now"
send pathenc none "/%73tripe/events" x "$now" "$W/body.pathenc" --path-as-is
send pathdbl none "//stripe/events" x "$now" "$W/body.pathdbl" --path-as-is
send xorig none "/other/x" x "$now" "$W/body.xorig" -H "X-Original-URL: /stripe/events"
ip netns exec "$LAB_NS_CLIENT" curl -sS --max-time 10 -H "Host: other.example" \
    -H "X-Forwarded-Host: proxy.example, hooks.lab.example" -H "Content-Type: application/json" \
    --data-binary "@$W/body.xfh" -o "$W/resp.xfh" -w "xfh %{http_code} %{time_total}\n" \
    "$URL/stripe/events" >>"$W/curl.out" 2>>"$W/curl.err"
# the stripe endpoint's path under another Host: the lab server, like any single-site server,
# ignores Host and would take it as a stripe webhook (foreign_host: reject refuses it)
ip netns exec "$LAB_NS_CLIENT" curl -sS --max-time 10 -H "Host: other.example" \
    -H "Content-Type: application/json" --data-binary "@$W/body.foreign" -o "$W/resp.foreign" \
    -w "foreign %{http_code} %{time_total}\n" "$URL/stripe/events" >>"$W/curl.out" 2>>"$W/curl.err"
# the replay: exactly the valid request again (same headers, same body), new connection
send valid_replay stripe /stripe/events "$STRIPE_SECRET" "$now" "$W/body.valid"
sed 's/^/# curl: /' "$W/curl.out"
# urgent data: the header up to "Content-Length: 40" sent with MSG_OOB (URG, the urgent
# pointer just past its last byte, the 0), then the rest; hookpath waits for 40 body bytes
ip netns exec "$LAB_NS_CLIENT" python3 - "$LAB_SERVER_IP" "$now" >"$W/urgent.out" 2>&1 <<'EOF'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 8080), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.send(b"POST /stripe/events HTTP/1.1\r\nHost: hooks.lab.example\r\n"
       b"Content-Type: application/json\r\nStripe-Signature: t=%s,v1=%s\r\n"
       b"Content-Length: 40" % (sys.argv[2].encode(), b"0" * 64), socket.MSG_OOB)
time.sleep(0.2)
s.send(b'\r\n\r\n{"id":"evt_smuggled","type":"x"}')
s.settimeout(3)
try:
    print("answer:", s.recv(200).split(b"\r\n")[0].decode("latin-1"))
except socket.timeout:
    print("answer: none within 3 s")
s.close()
EOF
sed 's/^/# urgent: /' "$W/urgent.out"

declare -A WANT=([valid]=200 [gh]=200 [unrouted]=200 [tampered]=401 [unsigned]=401 [stale]=401
    [wrongsecret]=401 [gh_bad]=401 [big]=413 [valid_replay]=409 [pathenc]=401 [pathdbl]=401
    [xorig]=401 [xfh]=401 [fwd]=401 [foreign]=404)
declare -A REASON=([tampered]=bad_signature [unsigned]=missing_signature [stale]=stale_timestamp
    [wrongsecret]=bad_signature [gh_bad]=bad_signature [big]=body_too_large [valid_replay]=duplicate
    [pathenc]=missing_signature [pathdbl]=missing_signature [xorig]=missing_signature
    [xfh]=missing_signature [fwd]=missing_signature [foreign]=foreign_host)
for n in valid gh unrouted tampered unsigned stale wrongsecret gh_bad big valid_replay pathenc pathdbl xorig xfh fwd foreign; do
    c=$(code_of "$n")
    if [ "${WANT[$n]}" = 200 ]; then
        check "$n: reached the server, curl got its ${c:-none}" [ "$c" = 200 ]
    else
        r=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("error",""))' "$W/resp.$n" 2>/dev/null)
        check "$n: refused by hookpath with ${c:-none} (${r:-no reason}), want ${WANT[$n]} ${REASON[$n]}" \
            [ "$c" = "${WANT[$n]}" ] && [ "$r" = "${REASON[$n]}" ]
    fi
done
# the server application saw exactly the three that passed (valid, gh, unrouted)
seen=$(python3 -c 'import json,sys; print(" ".join(sorted(json.loads(l)["path"] for l in open(sys.argv[1]))))' "$SRV_LOG" 2>/dev/null)
check "server log holds only the accepted and unrouted requests: '$seen'" \
    [ "$seen" = "/github /other/path /stripe/events" ]
slow=$(awk '$2 != 200 && $3 > 2 {print $1}' "$W/curl.out")
check "every refusal answered at once (none waited for a timeout): '${slow}'" [ -z "$slow" ]

"$LAB" down >"$W/down.log" 2>&1 && ok "lab down" || notok "lab down"
if [ -s "$LAB_STATS" ]; then
    python3 - "$LAB_STATS" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
c, e = s["counters"], s.get("endpoints", {})
def res(good, what): print(("ok" if good else "not ok") + " - " + what)
# the urgent segment and its retransmissions dropped: the flow ends with a hole where the
# request's start was, refused as http_gap (no endpoint: nothing of the request was read)
res(c["stream_urgent"] >= 1 and c["reason_http_gap"] == 1,
    "stream_urgent counts the smuggling attempt's segments, its flow refused as http_gap: %d %d"
    % (c["stream_urgent"], c["reason_http_gap"]))
res(c["verdict_accept"] == 2 and c["verdict_duplicate"] == 1 and c["verdict_reject"] == 13,
    "verdict counters accept 2, duplicate 1, reject 13: %d %d %d" % (c["verdict_accept"], c["verdict_duplicate"], c["verdict_reject"]))
res(c["reject_responses"] == 13 and c["reject_rst_server"] == 13,
    "13 answers to clients, 13 RSTs to servers: %d %d" % (c["reject_responses"], c["reject_rst_server"]))
res(c["reason_foreign_host"] == 1,
    "reason_foreign_host counts the stripe path under another Host: %d" % c["reason_foreign_host"])
res(e.get("stripe-lab", {}).get("accept") == 1 and e.get("github-lab", {}).get("reject") == 1,
    "per endpoint counters: %r" % e)
EOF
else
    notok "stats JSON written on SIGTERM"
fi | tee "$W/counters.out"
PASS=$((PASS + $(grep -c '^ok' "$W/counters.out"))); FAIL=$((FAIL + $(grep -c '^not ok' "$W/counters.out")))
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
