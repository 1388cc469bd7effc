#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Labelled corpus of JSON webhook bodies for lib/pii's accuracy (issue 6) and its benchmark.

Deterministic (--seed). Bodies are shaped like the webhooks of several senders (Stripe events,
GitHub pushes and issues, Shopify orders, Slack events, CRM/HR records), 200 B to 16 KB, compact
JSON as senders write it. About half carry entities; every value of every entity is generated
valid by construction (Luhn, mod-97, mod-11, ABA weights, Base58Check and Bech32 checksums,
JSON-parseable JWT parts, ...) and labelled where it was put, never by asking lib/pii. The
others carry only decoys that look like PII and must not be reported: order ids, unix
timestamps, UUIDs, ISO dates, amounts, version strings, 16-digit numbers failing Luhn, NANP-like
numbers with invalid area codes, bare 9-digit numbers without a context word, IBAN-like strings
failing mod-97, hex digests, base64 blobs, publishable Stripe keys, object ids.

Output (JSON Lines): {"body": "...", "spans": [{"entity": E, "start": S, "end": X}, ...]} with
byte offsets (bodies are ASCII), spans sorted by start.

Usage: gen_corpus.py [--seed N] [--count N] [--out FILE]
"""
import argparse
import base64
import hashlib
import json
import random
import string
import sys

ALNUM = string.ascii_letters + string.digits
UPPERNUM = string.ascii_uppercase + string.digits
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
WORDS = ("alpha beta gamma delta order shipment invoice customer account update payment "
         "refund widget gadget premium basic monthly annual plan seat license renewal").split()


# ---- valid entities ----

def luhn_complete(rng, prefix, length):
    d = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(length - len(prefix) - 1)]
    s = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 0:
            x *= 2
            if x > 9:
                x -= 9
        s += x
    return "".join(map(str, d)) + str((10 - s % 10) % 10)


def luhn_ok(num):
    s = 0
    for i, c in enumerate(reversed(num)):
        x = int(c)
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        s += x
    return s % 10 == 0


def card(rng):
    brand = rng.choice(["visa", "mc", "amex", "disc"])
    if brand == "amex":
        n = luhn_complete(rng, rng.choice(["34", "37"]), 15)
        groups = [n[:4], n[4:10], n[10:]]
    else:
        prefix = {"visa": "4", "mc": str(rng.randint(51, 55)), "disc": "6011"}[brand]
        n = luhn_complete(rng, prefix, 16)
        groups = [n[i:i + 4] for i in range(0, 16, 4)]
    sep = rng.choice(["", " ", "-"])
    return sep.join(groups)


def ssn(rng):
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            break
    return "%03d-%02d-%04d" % (area, rng.randint(1, 99), rng.randint(1, 9999))


def itin(rng):
    group = rng.choice(list(range(70, 89)) + list(range(90, 93)) + list(range(94, 100)))
    return "9%02d-%02d-%04d" % (rng.randint(0, 99), group, rng.randint(0, 9999))


def aba(rng):
    prefix = rng.choice(["%02d" % i for i in list(range(1, 13)) + list(range(21, 33)) +
                         list(range(61, 73))])
    while True:
        d = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(6)]
        w = (3, 7, 1, 3, 7, 1, 3, 7)
        s = sum(a * b for a, b in zip(d, w))
        c = (10 - s % 10) % 10
        return "".join(map(str, d)) + str(c)


def nhs(rng):
    while True:
        d = [rng.randint(4, 9)] + [rng.randrange(10) for _ in range(8)]
        s = sum(x * (10 - i) for i, x in enumerate(d))
        c = 11 - s % 11
        if c == 11:
            c = 0
        if c == 10:
            continue
        # bare, next to its context word: "ddd ddd dddd" is also a valid North American
        # phone number (lib/pii would report both, rightly)
        return "".join(map(str, d)) + str(c)


def iban_check(country, bban):
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return "%02d" % (98 - int(digits) % 97)


def iban(rng, valid=True):
    country, bban = rng.choice([
        ("GB", "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) +
         "".join(rng.choice(string.digits) for _ in range(14))),
        ("DE", "".join(rng.choice(string.digits) for _ in range(18))),
        ("FR", "".join(rng.choice(string.digits) for _ in range(23))),
        ("NL", "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) +
         "".join(rng.choice(string.digits) for _ in range(10))),
        ("ES", "".join(rng.choice(string.digits) for _ in range(20))),
    ])
    check = iban_check(country, bban)
    if not valid:  # any other check digits fail mod 97
        check = "%02d" % rng.choice([c for c in range(2, 99) if "%02d" % c != check])
    s = country + check + bban
    if rng.random() < 0.5:
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    return s


def email(rng):
    return "%s.%s%d@%s" % (rng.choice(["ada", "alan", "grace", "linus", "barbara", "ken"]),
                           rng.choice(["lovelace", "turing", "hopper", "torvalds", "liskov"]),
                           rng.randint(1, 999),
                           rng.choice(["example.com", "mail.example.org", "corp.example.net"]))


def phone(rng):
    k = rng.randrange(4)
    a, e, n = rng.randint(2, 9), rng.randint(2, 9), rng.randint(0, 9999)
    area = "%d%02d" % (a, rng.randint(0, 99))
    exch = "%d%02d" % (e, rng.randint(0, 99))
    if k == 0:
        return "+1%s%s%04d" % (area, exch, n)
    if k == 1:
        return "+44 20 %04d %04d" % (rng.randint(1000, 9999), n)
    if k == 2:
        return "(%s) %s-%04d" % (area, exch, n)
    return "%s-%s-%04d" % (area, exch, n)


def ipv4(rng):
    return "%d.%d.%d.%d" % (rng.choice([10, 172, 192, 203, 198]), rng.randint(0, 255),
                            rng.randint(0, 255), rng.randint(1, 254))


def ipv6(rng):
    g = ["%x" % rng.randint(1, 0xffff) for _ in range(8)]
    if rng.random() < 0.5:
        return "2001:db8:%s::%s" % (g[0], g[1])
    return ":".join(["2001", "db8"] + g[2:])


def b58encode(b):
    n = int.from_bytes(b, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + out


def bech32_polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def bech32_v0(prog):
    data = [0]
    acc = bits = 0
    for x in prog:
        acc = (acc << 8) | x
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    hrp = "bc"
    exp = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = bech32_polymod(exp + data + [0] * 6) ^ 1
    chk = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH[d] for d in data + chk)


def wallet(rng):
    if rng.random() < 0.5:
        payload = bytes([rng.choice([0, 5])]) + bytes(rng.randrange(256) for _ in range(20))
        chk = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
        return b58encode(payload + chk)
    return bech32_v0(bytes(rng.randrange(256) for _ in range(20)))


def mac(rng):
    b = ["%02x" % rng.randrange(256) for _ in range(6)]
    b[0] = "%02x" % (rng.randrange(1, 256))
    k = rng.randrange(3)
    if k == 0:
        return ":".join(b)
    if k == 1:
        return "-".join(x.upper() for x in b)
    h = "".join(b)
    return ".".join(h[i:i + 4] for i in range(0, 12, 4))


def rand(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(rng):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    p = b64url(json.dumps({"sub": str(rng.randint(1, 10**6)), "iat": 1700000000}).encode())
    return "%s.%s.%s" % (h, p, b64url(bytes(rng.randrange(256) for _ in range(32))))


def pem(rng):
    kind = rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY"])
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.choice([120, 240])))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----" % (kind, "\n".join(lines), kind)


# entity -> (generator, JSON key that carries it: context words included where the entity
# needs one for its bare form)
ENTITIES = {
    "credit_card": (card, ["card_number", "pan", "cc"]),
    "us_ssn": (ssn, ["ssn", "social_security_number"]),
    "email": (email, ["email", "receipt_email", "contact"]),
    "phone": (phone, ["phone", "mobile", "contact_phone"]),
    "iban": (iban, ["iban", "bank_account"]),
    "ipv4": (ipv4, ["ip", "client_ip", "remote_addr"]),
    "ipv6": (ipv6, ["ip6", "client_ipv6"]),
    "us_itin": (itin, ["itin", "taxpayer_id"]),
    "aba_routing": (aba, ["routing_number", "aba"]),
    "uk_nhs": (nhs, ["nhs_number"]),
    "crypto_wallet": (wallet, ["wallet", "btc_address"]),
    "mac_address": (mac, ["mac", "device_mac"]),
    "aws_access_key": (lambda r: "AKIA" + rand(r, UPPERNUM, 16), ["aws_key_id"]),
    "github_token": (lambda r: "ghp_" + rand(r, ALNUM, 36), ["token", "gh_token"]),
    "stripe_key": (lambda r: r.choice(["sk_live_", "sk_test_", "rk_live_"]) + rand(r, ALNUM, 24),
                   ["api_key", "secret"]),
    "slack_token": (lambda r: "xoxb-%d-%d-%s" % (r.randint(10**10, 10**11), r.randint(10**10, 10**11),
                                                 rand(r, ALNUM, 24)), ["slack_token", "bot_token"]),
    "jwt": (jwt, ["id_token", "session"]),
    "pem_private_key": (pem, ["private_key", "key_pem"]),
}


# ---- decoys: look like PII, are not ----

def decoy(rng):
    k = rng.randrange(14)
    if k == 0:
        return "created", rng.randint(1600000000, 1800000000)
    if k == 1:
        return "created_ms", rng.randint(1600000000000, 1800000000000)
    if k == 2:
        return "request_id", "%08x-%04x-4%03x-a%03x-%012x" % (
            rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12), rng.getrandbits(12),
            rng.getrandbits(48))
    if k == 3:
        return "updated_at", "2024-%02d-%02dT%02d:%02d:%02dZ" % (
            rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59),
            rng.randint(0, 59))
    if k == 4:
        return "amount", rng.randint(100, 9999999)
    if k == 5:
        return "version", "%d.%d.%d" % (rng.randint(0, 9), rng.randint(0, 30), rng.randint(0, 99))
    if k == 6:
        while True:
            n = "4" + "".join(str(rng.randrange(10)) for _ in range(15))
            if not luhn_ok(n):
                return "reference", " ".join(n[i:i + 4] for i in range(0, 16, 4))
    if k == 7:
        return "fax", "(%d%02d) %d%02d-%04d" % (rng.choice([0, 1]), rng.randint(0, 99),
                                                 rng.randint(2, 9), rng.randint(0, 99),
                                                 rng.randint(0, 9999))
    if k == 8:
        return "quantity_total", "%09d" % rng.randint(10**8, 10**9 - 1)
    if k == 9:
        return "ref_code", iban(rng, valid=False)
    if k == 10:
        return "commit", "%040x" % rng.getrandbits(160)
    if k == 11:
        return "blob", base64.b64encode(bytes(rng.randrange(256) for _ in range(48))).decode()
    if k == 12:
        return "publishable_key", "pk_live_" + rand(rng, ALNUM, 24)
    return "object_id", rng.choice(["cus_", "evt_", "ch_", "pi_", "sub_"]) + rand(rng, ALNUM, 14)


def text(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


class Body:
    """A compact JSON object written field by field, so every value's offset is known."""

    def __init__(self):
        self.parts = []
        self.len = 0
        self.spans = []
        self.depth = 0
        self.first = [True]

    def _w(self, s):
        self.parts.append(s)
        self.len += len(s)

    def _key(self, k):
        if not self.first[-1]:
            self._w(",")
        self.first[-1] = False
        self._w(json.dumps(k) + ":")

    def open(self, key=None):
        if key is not None:
            self._key(key)
        self._w("{")
        self.first.append(True)

    def close(self):
        self._w("}")
        self.first.pop()

    def value(self, key, v):
        self._key(key)
        self._w(json.dumps(v, separators=(",", ":")))

    def entity(self, key, ent, text_value, before="", after=""):
        """A string value: before + the entity + after; the label covers the entity as it is
        written in the JSON (escapes included)."""
        self._key(key)
        enc = json.dumps(text_value)[1:-1]
        pre = json.dumps(before)[1:-1]
        post = json.dumps(after)[1:-1]
        start = self.len + 1 + len(pre)
        self._w('"' + pre + enc + post + '"')
        self.spans.append({"entity": ent, "start": start, "end": start + len(enc)})

    def text(self):
        return "".join(self.parts)


SHAPES = ["stripe", "github", "shopify", "slack", "crm", "hr"]


def fill(rng, b, shape, n_ent, size):
    """Fields of one webhook shape, entities spread among them, padded towards size."""
    ents = [rng.choice(list(ENTITIES)) for _ in range(n_ent)]
    b.value("id", {"stripe": "evt_", "github": "", "shopify": "", "slack": "Ev", "crm": "lead_",
                   "hr": "emp_"}[shape] + rand(rng, ALNUM, 16))
    b.value("type", {"stripe": "customer.updated", "github": "push", "shopify": "orders/create",
                     "slack": "event_callback", "crm": "contact.created", "hr": "employee.hired"}[shape])
    for _ in range(rng.randint(1, 4)):
        k, v = decoy(rng)
        b.value(k, v)
    b.open("data")
    i = 0
    while b.len < size or ents:
        if ents and (rng.random() < 0.5 or b.len >= size):
            ent = ents.pop()
            gen, keys = ENTITIES[ent]
            key = rng.choice(keys)
            if ent in ("email", "credit_card", "phone") and rng.random() < 0.3:
                b.entity("note_%d" % i, ent, gen(rng), before=text(rng, 3) + " ", after=" " + text(rng, 2))
            else:
                b.entity(key + ("_%d" % i if i else ""), ent, gen(rng))
        else:
            r = rng.random()
            if r < 0.4:
                k, v = decoy(rng)
                b.value("%s_%d" % (k, i), v)
            elif r < 0.8:
                b.value("description_%d" % i, text(rng, rng.randint(3, 25)))
            else:
                b.open("item_%d" % i)
                b.value("sku", "SKU-%05d" % rng.randint(0, 99999))
                b.value("qty", rng.randint(1, 20))
                b.value("price", rng.randint(100, 99999))
                b.close()
        i += 1
    b.close()


def gen_body(rng):
    shape = rng.choice(SHAPES)
    size = int(min(16000, max(200, rng.lognormvariate(7.6, 0.8))))
    n_ent = 0 if rng.random() < 0.5 else rng.randint(1, min(12, max(1, size // 300)))
    b = Body()
    b.open()
    fill(rng, b, shape, n_ent, size)
    b.close()
    spans = sorted(b.spans, key=lambda s: s["start"])
    return b.text(), spans


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--out", default="-")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    out = sys.stdout if a.out == "-" else open(a.out, "w")
    for _ in range(a.count):
        body, spans = gen_body(rng)
        out.write(json.dumps({"body": body, "spans": spans}, separators=(",", ":")) + "\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
