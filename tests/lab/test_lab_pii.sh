#!/usr/bin/env bash
# Lab test of PII policies in flight (issue 6): hookpath bridges two network namespaces
# (deploy/lab.sh); curl in the client namespace posts webhooks to a real HTTP server
# (deploy/lab_server.py, which logs every body it receives).
#   - pii-mask (stripe signature + pii.policy mask): a signed body with 50 card numbers and 50
#     emails, several TCP segments long, is accepted (the signature is checked on the original
#     bytes) and the server receives it masked: same length, every changed byte a '*' inside a
#     card (last 4 digits kept) or an email, no card or email left;
#   - pii-block (no signature, pii.policy block on credit_card): a body with a card gets 422
#     pii_blocked and never reaches the server; one without a card gets the server's 200.
# Needs root and network namespaces (exit 77 = skipped otherwise).
#   HOOKPATH=...   binary under test;  HP_LAB_KEEP=1 keeps the state dir
set -uo pipefail

# shellcheck source=lab_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab_common.sh"
lab_require hplp-probe-$$

export HP_LAB_ID=hpp${HP_LAB_PMD:0:1}$$
export HP_LAB_FILE_PREFIX=hp-labpii-$$
export HP_LAB_STATE_DIR
HP_LAB_STATE_DIR=$(mktemp -d /tmp/hp-labpii.XXXXXX)
W=$HP_LAB_STATE_DIR
SECRET=whsec_lab_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$W/endpoints.yaml" <<EOF
endpoints:
  - name: pii-mask
    match: {host: hooks.lab.example, path_prefix: /pii-mask}
    provider: stripe
    secrets: ["$SECRET"]
    max_body: 65536
    pii: {policy: mask}
  - name: pii-block
    match: {host: hooks.lab.example, path_prefix: /pii-block}
    provider: none
    pii: {policy: block, entities: [credit_card]}
http: {body_copy_max: 65536}
EOF
lab_up_with "$W/endpoints.yaml" "lab PII test" "lab up with endpoints pii-mask, pii-block"

# a body with 50 customers, each with a Luhn-valid card and an email (~6 KB: several segments)
/usr/bin/python3 - "$W" <<'EOF'
import json, random, sys
w = sys.argv[1]
rng = random.Random(6)
def luhn(prefix, n):
    d = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(n - len(prefix) - 1)]
    s = sum(x if i % 2 else (2 * x if 2 * x < 10 else 2 * x - 9) for i, x in enumerate(reversed(d)))
    return "".join(map(str, d + [(10 - s % 10) % 10]))
custs = []
for i in range(50):
    c = luhn(rng.choice(["4", "51", "60"]), 16)
    c = " ".join(c[k:k + 4] for k in range(0, 16, 4))
    custs.append({"id": "cus_%06d" % i, "email": "user%d.lab@example.org" % i, "card": c,
                  "note": "order #%d shipped" % (1000 + i)})
body = json.dumps({"id": "evt_pii_lab", "type": "customer.batch", "data": custs}, separators=(",", ":"))
open(w + "/body.mask", "w").write(body)
json.dump([c["card"] for c in custs], open(w + "/cards.json", "w"))
open(w + "/body.block", "w").write(json.dumps({"id": "evt_blk", "card": custs[0]["card"]}))
open(w + "/body.clean", "w").write(json.dumps({"id": "evt_ok", "note": "no card here"}))
EOF
: >"$W/curl.out"
post() { # NAME PATH BODY [header...]
    local name=$1 path=$2 body=$3; shift 3
    local hdrs=()
    for h in "$@"; do hdrs+=(-H "$h"); done
    ip netns exec "$LAB_NS_CLIENT" curl -sS --max-time 10 -H "Host: hooks.lab.example" \
        -H "Content-Type: application/json" "${hdrs[@]}" --data-binary "@$body" \
        -o "$W/resp.$name" -w "$name %{http_code}\n" "$URL$path" >>"$W/curl.out" 2>>"$W/curl.err"
}
sig=()
while IFS= read -r h; do sig+=("$h"); done < <(/usr/bin/python3 "$SIGN" stripe --secret "$SECRET" \
    --body-file "$W/body.mask" --timestamp "$(date +%s)")
post mask /pii-mask/events "$W/body.mask" "${sig[@]}"
post block /pii-block "$W/body.block"
post clean /pii-block "$W/body.clean"
sed 's/^/# curl: /' "$W/curl.out"
code_of() { awk -v n="$1" '$1 == n {print $2}' "$W/curl.out"; }

check "mask: signed body with 50 cards and 50 emails accepted, curl got the server's $(code_of mask)" \
    [ "$(code_of mask)" = 200 ]
r=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("error",""))' "$W/resp.block" 2>/dev/null)
check "block: a card to pii-block refused with $(code_of block) ($r), want 422 pii_blocked" \
    [ "$(code_of block)" = 422 ] && [ "$r" = pii_blocked ]
check "block: a body without a card passes, curl got $(code_of clean)" [ "$(code_of clean)" = 200 ]

/usr/bin/python3 - "$W" <<'EOF' | tee "$W/mask.out"
import base64, json, re, sys
w = sys.argv[1]
def res(good, what): print(("ok" if good else "not ok") + " - " + what)
orig = open(w + "/body.mask", "rb").read()
cards = json.load(open(w + "/cards.json"))
recs = [json.loads(l) for l in open(w + "/server.jsonl")]
paths = sorted(r["path"] for r in recs)
res(paths == ["/pii-block", "/pii-mask/events"], "server got the masked and the clean webhook only: %r" % paths)
got = [base64.b64decode(r.get("body_b64", "")) for r in recs if r["path"] == "/pii-mask/events"]
got = got[0] if got else b""
res(len(got) == len(orig), "masked body keeps its length: %d vs %d" % (len(got), len(orig)))
spans = [(m.start(), m.end()) for c in cards for m in re.finditer(re.escape(c[:-4].encode()), orig)]
spans += [(m.start(), m.end()) for m in re.finditer(rb"user\d+\.lab@example\.org", orig)]
changed = [i for i in range(min(len(orig), len(got))) if orig[i] != got[i]]
res(changed and all(got[i] == ord("*") and any(a <= i < b for a, b in spans) for i in changed),
    "%d bytes changed, each a '*' inside a card or an email" % len(changed))
left = [c for c in cards if c.encode() in got] + re.findall(rb"user\d+\.lab@example\.org", got)
res(not left, "no card number or email left in what the server got (%d found)" % len(left))
res(all(("**** **** **** " + c[-4:]).encode() in got for c in cards), "every card kept its last 4 digits")
EOF
PASS=$((PASS + $(grep -c '^ok' "$W/mask.out"))); FAIL=$((FAIL + $(grep -c '^not ok' "$W/mask.out")))

"$LAB" down >"$W/down.log" 2>&1 && ok "lab down" || notok "lab down"
if [ -s "$LAB_STATS" ]; then
    python3 - "$LAB_STATS" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))["counters"]
def res(good, what): print(("ok" if good else "not ok") + " - " + what)
res(c["pii_masked_requests"] == 1 and c["pii_masked_bytes"] > 0,
    "pii_masked_requests 1, pii_masked_bytes %d" % c["pii_masked_bytes"])
res(c["pii_held_segments"] >= 3, "the body was held over %d segments" % c["pii_held_segments"])
res(c["reason_pii_blocked"] == 1 and c["reject_responses"] == 1,
    "one pii_blocked answer: %d %d" % (c["reason_pii_blocked"], c["reject_responses"]))
EOF
else
    notok "stats JSON written on SIGTERM"
fi | tee "$W/counters.out"
PASS=$((PASS + $(grep -c '^ok' "$W/counters.out"))); FAIL=$((FAIL + $(grep -c '^not ok' "$W/counters.out")))
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
