#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""hp_sign - sign (and check) webhook requests exactly as each provider does.

An independent Python implementation of the providers' signature schemes (stdlib
hmac/hashlib/base64; python3-cryptography only for Standard Webhooks v1a Ed25519).
It is the cross-check for hookpath's C verifier: written from the providers' public
documentation and published test vectors, never from hookpath's code.

    sign(provider, secret, body, *, method, host, target, timestamp, webhook_id, **opts)
        -> [(header name, value), ...]
    signed_target(provider, target, body, **opts) -> the request target to send
        (Twilio JSON bodies add ?bodySHA256=<hex>; every other provider: unchanged)
    verify(provider, secret, body, headers, *, host, target, now, tolerance, **opts)
        -> "ok" | "missing_signature" | "malformed_signature" | "bad_signature"
           | "stale_timestamp" | "future_timestamp"

Providers and what is signed (see pktgen-scripts/README.md, "hp_sign.py"):
  stripe            Stripe-Signature: t=<ts>,v1=<hex HMAC-SHA256("<ts>.<body>")>, key = whole secret
  github            X-Hub-Signature-256: sha256=<hex HMAC-SHA256(body)>, X-GitHub-Delivery, X-GitHub-Event
                    (opt legacy_sha1: also X-Hub-Signature: sha1=<hex HMAC-SHA1(body)>)
  slack             X-Slack-Request-Timestamp, X-Slack-Signature: v0=<hex HMAC-SHA256("v0:<ts>:<body>")>
  standard-webhooks webhook-id/-timestamp/-signature "v1,<b64 HMAC-SHA256('<id>.<ts>.<body>')>",
                    key = base64-decode(secret minus whsec_); a whsk_ secret signs v1a (Ed25519);
                    opt header_prefix=svix for svix-* names ("svix" is also a provider alias)
  shopify           X-Shopify-Hmac-Sha256: <b64 HMAC-SHA256(body)>, X-Shopify-Webhook-Id, X-Shopify-Topic ...
  twilio            X-Twilio-Signature: <b64 HMAC-SHA1(url + sorted form params key+value)>;
                    JSON bodies: url carries bodySHA256=<hex sha256(body)>, only the url is signed;
                    I-Twilio-Idempotency-Token
  zoom              x-zm-request-timestamp, x-zm-signature: v0=<hex HMAC-SHA256("v0:<ts>:<body>")>
  twitch            Twitch-Eventsub-Message-Id/-Timestamp (RFC 3339), -Signature: sha256=<hex HMAC-SHA256(id+ts+body)>
  paddle            Paddle-Signature: ts=<ts>;h1=<hex HMAC-SHA256("<ts>:<body>")>
  gitlab            X-Gitlab-Token: <secret> (a shared token, no HMAC), X-Gitlab-Event-UUID, X-Gitlab-Event
  hmac              generic: opts header, prefix, alg, encoding, template ("{id}.{timestamp}.{body}"),
                    timestamp_header, id_header, key_encoding

A secret may be a list: several signatures (rotation) where the scheme allows it
(stripe: several v1=, standard-webhooks: space separated, paddle: several h1=).

CLI:  hp_sign.py PROVIDER --secret S --body-file F [--host H --target T --timestamp N --id ID
                 --opt K=V ...] [--format headers|json|request]
      hp_sign.py keygen-v1a [--seed-hex HEX]      # a Standard Webhooks Ed25519 whsk_/whpk_ pair
"""

import argparse
import base64
import binascii
import datetime
import hashlib
import hmac
import json
import os
import re
import sys
import time
import urllib.parse
import uuid

PROVIDERS = ("stripe", "github", "slack", "standard-webhooks", "svix", "shopify", "twilio", "zoom",
             "twitch", "paddle", "gitlab", "hmac")

# providers whose signature covers a timestamp (stale / future requests are detectable)
TIMESTAMPED = {"stripe", "slack", "standard-webhooks", "svix", "zoom", "twitch", "paddle"}

DEFAULT_TOLERANCE = 300

# name of the header (or None: the body's "id") that carries each provider's delivery id
ID_HEADER = {"stripe": None, "github": "X-GitHub-Delivery", "slack": None,
             "standard-webhooks": "webhook-id", "svix": "svix-id", "shopify": "X-Shopify-Webhook-Id",
             "twilio": "I-Twilio-Idempotency-Token", "zoom": None, "twitch": "Twitch-Eventsub-Message-Id",
             "paddle": None, "gitlab": "X-Gitlab-Event-UUID", "hmac": None}

# the header that carries the signature (or token), per provider
SIG_HEADER = {"stripe": "Stripe-Signature", "github": "X-Hub-Signature-256", "slack": "X-Slack-Signature",
              "standard-webhooks": "webhook-signature", "svix": "svix-signature",
              "shopify": "X-Shopify-Hmac-Sha256", "twilio": "X-Twilio-Signature", "zoom": "x-zm-signature",
              "twitch": "Twitch-Eventsub-Message-Signature", "paddle": "Paddle-Signature",
              "gitlab": "X-Gitlab-Token", "hmac": "X-Signature"}


class SignError(ValueError):
    pass


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------
def _b(s):
    if isinstance(s, bytes):
        return s
    return str(s).encode("utf-8")


def _hmac(key, msg, alg="sha256"):
    return hmac.new(_b(key), _b(msg), alg).digest()


def _secrets(secret):
    if isinstance(secret, (list, tuple)):
        if not secret:
            raise SignError("empty secret list")
        return list(secret)
    return [secret]


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _b64decode_strict(s):
    """Standard base64 with padding; None if not valid."""
    try:
        if isinstance(s, str):
            s = s.encode("ascii")
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def _unhex(s):
    if not re.fullmatch(r"(?:[0-9a-fA-F]{2})+", s or ""):
        return None
    return bytes.fromhex(s)


def rfc3339(ts, nanos=None):
    """RFC 3339 UTC with nanoseconds (Twitch style): 2019-11-16T10:11:12.634234626Z."""
    whole = int(ts // 1) if isinstance(ts, float) else int(ts)
    if nanos is None:  # a double holds microseconds of a current unix time, not nanoseconds
        nanos = int(round((ts - whole) * 1e6)) * 1000 if isinstance(ts, float) else 0
        if nanos >= 1000000000:
            whole, nanos = whole + 1, nanos - 1000000000
    d = datetime.datetime.fromtimestamp(whole, tz=datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % nanos


def parse_rfc3339(s):
    """Seconds since the epoch (float) of an RFC 3339 timestamp, or None."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)", s or "")
    if not m:
        return None
    y, mo, d, h, mi, se = (int(m.group(i)) for i in range(1, 7))
    try:
        base = datetime.datetime(y, mo, d, h, mi, se, tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        return None
    frac = float(m.group(7)) if m.group(7) else 0.0
    tz = m.group(8)
    off = 0
    if tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        off = sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60)
    return base + frac - off


def header_get(headers, name):
    """First value of header name (case-insensitive) in a list of (name, value), or None."""
    ln = name.lower()
    for k, v in headers:
        if k.lower() == ln:
            return v
    return None


def new_id(provider, rng=None):
    """A delivery id in the provider's usual shape. rng: random.Random for determinism."""
    def rb(n):
        return bytes(rng.getrandbits(8) for _ in range(n)) if rng else os.urandom(n)

    def alnum(n):
        al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(al[b % 62] for b in rb(n))

    def uid():
        return str(uuid.UUID(bytes=rb(16), version=4))
    p = canonical(provider)
    if p == "stripe":
        return "evt_" + alnum(24)
    if p in ("standard-webhooks", "svix", "hmac"):
        return "msg_" + alnum(27)
    if p == "slack":
        return "Ev" + alnum(9).upper()
    if p == "zoom":
        return alnum(22)
    if p == "paddle":
        return "evt_" + alnum(26).lower()
    return uid()  # github, shopify, twilio, twitch, gitlab: UUIDs


def canonical(provider):
    p = provider.lower().replace("_", "-")
    if p in ("standardwebhooks", "standard"):
        p = "standard-webhooks"
    if p not in PROVIDERS:
        raise SignError("unknown provider %r (one of %s)" % (provider, ", ".join(PROVIDERS)))
    return p


def _sw_prefix(provider, opts):
    pre = opts.get("header_prefix")
    if pre is None:
        pre = "svix" if provider == "svix" else "webhook"
    if pre not in ("webhook", "svix"):
        raise SignError("header_prefix must be webhook or svix")
    return pre


def _is_json(opts, body):
    ct = opts.get("content_type")
    if ct is None:
        s = body.lstrip()[:1]
        return s in (b"{", b"[")
    return "json" in ct.lower()


# --------------------------------------------------------------------------
# Standard Webhooks keys
# --------------------------------------------------------------------------
def sw_hmac_key(secret):
    """HMAC key of a Standard Webhooks secret: base64-decode it without the whsec_ prefix."""
    s = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    key = _b64decode_strict(s + "=" * (-len(s) % 4))
    if not key:
        raise SignError("standard-webhooks secret is not base64 (after whsec_)")
    return key


def _ed25519():
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:  # a pyenv python without the Debian package
        sys.path.append("/usr/lib/python3/dist-packages")
        from cryptography.hazmat.primitives.asymmetric import ed25519
    return ed25519


def _sw_private(secret):
    """whsk_ = base64 of the 32-byte Ed25519 seed, or of seed||public key (64 bytes, NaCl style)."""
    raw = _b64decode_strict(secret[len("whsk_"):])
    if raw is None or len(raw) not in (32, 64):
        raise SignError("whsk_ secret must be base64 of a 32-byte seed or 64-byte seed+public key")
    priv = _ed25519().Ed25519PrivateKey.from_private_bytes(raw[:32])
    if len(raw) == 64 and _pub_raw(priv.public_key()) != raw[32:]:
        raise SignError("whsk_ secret: public half does not match the seed")
    return priv


def _pub_raw(pub):
    from cryptography.hazmat.primitives import serialization
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sw_public_key(secret_or_public):
    """whpk_ string for a whsk_ secret (or a whpk_ key, returned unchanged)."""
    if secret_or_public.startswith("whpk_"):
        return secret_or_public
    return "whpk_" + _b64(_pub_raw(_sw_private(secret_or_public).public_key()))


def ed25519_keypair(seed=None):
    """(whsk_..., whpk_...) for a 32-byte seed (random when None). whsk_ holds the seed."""
    seed = seed if seed is not None else os.urandom(32)
    if len(seed) != 32:
        raise SignError("Ed25519 seed must be 32 bytes")
    sk = "whsk_" + _b64(seed)
    return sk, sw_public_key(sk)


# --------------------------------------------------------------------------
# signing
# --------------------------------------------------------------------------
def twilio_url(host, target, opts):
    base = opts.get("url_base")
    if base:
        return base.rstrip("/") + target
    return "%s://%s%s" % (opts.get("scheme", "https"), host, target)


def twilio_signing_string(url, body, opts):
    """url + sorted params (key+value) for form bodies; the url alone for JSON bodies."""
    if _is_json(opts, body):
        return url
    pairs = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    by_key = {}
    for k, v in pairs:
        by_key.setdefault(k, set()).add(v)
    return url + "".join(k + v for k in sorted(by_key) for v in sorted(by_key[k]))


def signed_target(provider, target, body, **opts):
    """The request target to send: Twilio JSON bodies carry bodySHA256=<hex> in the query."""
    if canonical(provider) != "twilio" or not _is_json(opts, _b(body)):
        return target
    q = urllib.parse.urlsplit(target).query
    if any(k == "bodySHA256" for k, _ in urllib.parse.parse_qsl(q, keep_blank_values=True)):
        return target
    return target + ("&" if "?" in target else "?") + "bodySHA256=" + hashlib.sha256(_b(body)).hexdigest()


def _generic_message(opts, body, webhook_id, timestamp, method, host, target):
    tpl = opts.get("template", "{body}")
    fields = {"id": _b(webhook_id or ""), "timestamp": _b(timestamp), "body": body, "method": _b(method),
              "host": _b(host), "target": _b(target)}
    out = b""
    pos = 0
    for m in re.finditer(r"\{(id|timestamp|body|method|host|target)\}", tpl):
        out += _b(tpl[pos:m.start()]) + fields[m.group(1)]
        pos = m.end()
    return out + _b(tpl[pos:])


def _generic_key(opts, secret):
    enc = opts.get("key_encoding", "utf8")
    if enc == "utf8":
        return _b(secret)
    if enc == "hex":
        return bytes.fromhex(secret)
    if enc == "base64":
        s = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
        return base64.b64decode(s + "=" * (-len(s) % 4))
    raise SignError("key_encoding must be utf8, hex or base64")


def _encode(digest, enc):
    if enc == "hex":
        return digest.hex()
    if enc == "base64":
        return _b64(digest)
    if enc == "base64url":
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    raise SignError("encoding must be hex, base64 or base64url")


def sign(provider, secret, body, *, method="POST", host="hooks.example.com", target="/",
         timestamp=None, webhook_id=None, **opts):
    """Headers [(name, value), ...] the provider would send with this request."""
    p = canonical(provider)
    body = _b(body)
    if timestamp is None:
        timestamp = int(time.time())
    ts = int(timestamp)
    if webhook_id is None:
        webhook_id = new_id(p)
    secrets = _secrets(secret)
    h = []
    if p == "stripe":
        sigs = ",".join("v1=" + _hmac(s, b"%d." % ts + body).hex() for s in secrets)
        h.append(("Stripe-Signature", "t=%d,%s" % (ts, sigs)))
    elif p == "github":
        h.append(("X-GitHub-Delivery", webhook_id))
        h.append(("X-GitHub-Event", opts.get("event", "push")))
        if opts.get("hook_id"):
            h.append(("X-GitHub-Hook-ID", str(opts["hook_id"])))
        if _truthy(opts.get("legacy_sha1")):
            h.append(("X-Hub-Signature", "sha1=" + _hmac(secrets[0], body, "sha1").hex()))
        h.append(("X-Hub-Signature-256", "sha256=" + _hmac(secrets[0], body).hex()))
    elif p == "slack":
        h.append(("X-Slack-Request-Timestamp", str(ts)))
        h.append(("X-Slack-Signature", "v0=" + _hmac(secrets[0], b"v0:%d:" % ts + body).hex()))
    elif p in ("standard-webhooks", "svix"):
        pre = _sw_prefix(p, opts)
        msg = _b(webhook_id) + b".%d." % ts + body
        sigs = []
        for s in secrets:
            if s.startswith("whsk_"):
                sigs.append("v1a," + _b64(_sw_private(s).sign(msg)))
            else:
                sigs.append("v1," + _b64(_hmac(sw_hmac_key(s), msg)))
        h.append(("%s-id" % pre, webhook_id))
        h.append(("%s-timestamp" % pre, str(ts)))
        h.append(("%s-signature" % pre, " ".join(sigs)))
    elif p == "shopify":
        h.append(("X-Shopify-Topic", opts.get("topic", "orders/create")))
        h.append(("X-Shopify-Hmac-Sha256", _b64(_hmac(secrets[0], body))))
        h.append(("X-Shopify-Shop-Domain", opts.get("shop_domain", "example.myshopify.com")))
        h.append(("X-Shopify-API-Version", opts.get("api_version", "2024-07")))
        h.append(("X-Shopify-Webhook-Id", webhook_id))
        h.append(("X-Shopify-Triggered-At", rfc3339(ts)))
    elif p == "twilio":
        tgt = signed_target(p, target, body, **opts)
        msg = twilio_signing_string(twilio_url(host, tgt, opts), body, opts)
        h.append(("I-Twilio-Idempotency-Token", webhook_id))
        h.append(("X-Twilio-Signature", _b64(_hmac(secrets[0], msg, "sha1"))))
    elif p == "zoom":
        h.append(("x-zm-request-timestamp", str(ts)))
        h.append(("x-zm-signature", "v0=" + _hmac(secrets[0], b"v0:%d:" % ts + body).hex()))
    elif p == "twitch":
        tstr = opts.get("twitch_timestamp") or rfc3339(timestamp)
        h.append(("Twitch-Eventsub-Message-Id", webhook_id))
        h.append(("Twitch-Eventsub-Message-Retry", str(opts.get("retry", 0))))
        h.append(("Twitch-Eventsub-Message-Type", opts.get("message_type", "notification")))
        h.append(("Twitch-Eventsub-Message-Signature",
                  "sha256=" + _hmac(secrets[0], _b(webhook_id) + _b(tstr) + body).hex()))
        h.append(("Twitch-Eventsub-Message-Timestamp", tstr))
        h.append(("Twitch-Eventsub-Subscription-Type", opts.get("subscription_type", "channel.follow")))
        h.append(("Twitch-Eventsub-Subscription-Version", str(opts.get("subscription_version", "2"))))
    elif p == "paddle":
        sigs = ";".join("h1=" + _hmac(s, b"%d:" % ts + body).hex() for s in secrets)
        h.append(("Paddle-Signature", "ts=%d;%s" % (ts, sigs)))
    elif p == "gitlab":
        h.append(("X-Gitlab-Event", opts.get("event", "Push Hook")))
        h.append(("X-Gitlab-Instance", opts.get("instance", "https://gitlab.example.com")))
        h.append(("X-Gitlab-Event-UUID", webhook_id))
        h.append(("X-Gitlab-Token", secrets[0]))
    else:  # generic hmac
        alg = opts.get("alg", "sha256")
        if alg not in ("sha1", "sha256", "sha384", "sha512"):
            raise SignError("alg must be sha1, sha256, sha384 or sha512")
        msg = _generic_message(opts, body, webhook_id, ts, method, host, target)
        if opts.get("id_header"):
            h.append((opts["id_header"], webhook_id))
        if opts.get("timestamp_header"):
            h.append((opts["timestamp_header"], str(ts)))
        val = _encode(hmac.new(_generic_key(opts, secrets[0]), msg, alg).digest(), opts.get("encoding", "hex"))
        h.append((opts.get("header", "X-Signature"), opts.get("prefix", "") + val))
    return h


def sign_request(provider, secret, body, *, target="/", **kw):
    """(target to send, headers) - the target differs only for Twilio JSON bodies."""
    opts = {k: v for k, v in kw.items() if k not in ("method", "host", "timestamp", "webhook_id")}
    tgt = signed_target(provider, target, body, **opts)
    return tgt, sign(provider, secret, body, target=tgt, **kw)


def signature_header(provider, **opts):
    """Name of the header that carries the signature (token for gitlab)."""
    p = canonical(provider)
    if p in ("standard-webhooks", "svix"):
        return "%s-signature" % _sw_prefix(p, opts)
    if p == "hmac":
        return opts.get("header", "X-Signature")
    return SIG_HEADER[p]


def id_header(provider, **opts):
    p = canonical(provider)
    if p in ("standard-webhooks", "svix"):
        return "%s-id" % _sw_prefix(p, opts)
    if p == "hmac":
        return opts.get("id_header")
    return ID_HEADER[p]


def _truthy(v):
    return v not in (None, False, 0, "", "0", "false", "no")


# --------------------------------------------------------------------------
# verification (used by the tests to re-check what went on the wire)
# --------------------------------------------------------------------------
def _ts_reason(ts, now, tolerance):
    if now - ts > tolerance:
        return "stale_timestamp"
    if ts - now > tolerance:
        return "future_timestamp"
    return "ok"


def verify(provider, secret, body, headers, *, method="POST", host="hooks.example.com", target="/",
           now=None, tolerance=DEFAULT_TOLERANCE, **opts):
    """Reason code for a received request. secret: str or list (rotation: any may match);
    for standard-webhooks v1a a whsk_ secret or a whpk_ public key."""
    p = canonical(provider)
    body = _b(body)
    now = time.time() if now is None else now
    secrets = _secrets(secret)
    sig = header_get(headers, signature_header(p, **opts))
    if sig is None or (sig == "" and p != "gitlab"):
        return "missing_signature"

    def hex_match(cands, msg_for):
        """cands: hex strings from the header; any matching any secret -> ok."""
        raw = [_unhex(c) for c in cands]
        if not cands or all(r is None or len(r) != 32 for r in raw):
            return "malformed_signature"
        for s in secrets:
            want = _hmac(s, msg_for)
            if any(r is not None and hmac.compare_digest(r, want) for r in raw):
                return "ok"
        return "bad_signature"

    if p == "stripe":
        items = [kv.split("=", 1) for kv in sig.split(",")]
        if any(len(kv) != 2 for kv in items):
            return "malformed_signature"
        ts = [v for k, v in items if k.strip() == "t"]
        v1 = [v.strip() for k, v in items if k.strip() == "v1"]
        if len(ts) != 1 or not re.fullmatch(r"\d+", ts[0].strip()) or not v1:
            return "malformed_signature"
        t = int(ts[0])
        r = hex_match(v1, b"%d." % t + body)
        return r if r != "ok" else _ts_reason(t, now, tolerance)
    if p == "github":
        if not sig.startswith("sha256="):
            return "malformed_signature"
        return hex_match([sig[7:]], body)
    if p in ("slack", "zoom"):
        tsh = header_get(headers, "X-Slack-Request-Timestamp" if p == "slack" else "x-zm-request-timestamp")
        if tsh is None:
            return "missing_signature"
        if not re.fullmatch(r"\d+", tsh) or not sig.startswith("v0="):
            return "malformed_signature"
        r = hex_match([sig[3:]], b"v0:" + _b(tsh) + b":" + body)
        return r if r != "ok" else _ts_reason(int(tsh), now, tolerance)
    if p in ("standard-webhooks", "svix"):
        pre = _sw_prefix(p, opts)
        mid = header_get(headers, pre + "-id")
        tsh = header_get(headers, pre + "-timestamp")
        if mid is None or tsh is None:
            return "missing_signature"
        if not re.fullmatch(r"\d+", tsh):
            return "malformed_signature"
        msg = _b(mid) + b"." + _b(tsh) + b"." + body
        entries = [e.split(",", 1) for e in sig.split(" ") if e]
        usable = [(v, _b64decode_strict(s)) for v, s in (e for e in entries if len(e) == 2) if v in ("v1", "v1a")]
        usable = [(v, raw) for v, raw in usable if raw is not None and len(raw) == (32 if v == "v1" else 64)]
        if not usable:
            return "malformed_signature"
        ok = False
        for s in secrets:
            if s.startswith(("whsk_", "whpk_")):
                ed = _ed25519()
                pub = ed.Ed25519PublicKey.from_public_bytes(_b64decode_strict(sw_public_key(s)[5:]))
                for v, raw in usable:
                    if v == "v1a":
                        try:
                            pub.verify(raw, msg)
                            ok = True
                        except Exception:  # InvalidSignature
                            pass
            else:
                want = _hmac(sw_hmac_key(s), msg)
                ok = ok or any(v == "v1" and hmac.compare_digest(raw, want) for v, raw in usable)
        if not ok:
            return "bad_signature"
        return _ts_reason(int(tsh), now, tolerance)
    if p == "shopify":
        raw = _b64decode_strict(sig)
        if raw is None or len(raw) != 32:
            return "malformed_signature"
        return "ok" if any(hmac.compare_digest(raw, _hmac(s, body)) for s in secrets) else "bad_signature"
    if p == "twilio":
        raw = _b64decode_strict(sig)
        if raw is None or len(raw) != 20:
            return "malformed_signature"
        if _is_json(opts, body):
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query, keep_blank_values=True))
            if q.get("bodySHA256", "").lower() != hashlib.sha256(body).hexdigest():
                return "bad_signature"
        msg = twilio_signing_string(twilio_url(host, target, opts), body, opts)
        ok = any(hmac.compare_digest(raw, _hmac(s, msg, "sha1")) for s in secrets)
        return "ok" if ok else "bad_signature"
    if p == "twitch":
        mid = header_get(headers, "Twitch-Eventsub-Message-Id")
        tsh = header_get(headers, "Twitch-Eventsub-Message-Timestamp")
        if mid is None or tsh is None:
            return "missing_signature"
        t = parse_rfc3339(tsh)
        if t is None or not sig.startswith("sha256="):
            return "malformed_signature"
        r = hex_match([sig[7:]], _b(mid) + _b(tsh) + body)
        return r if r != "ok" else _ts_reason(t, now, tolerance)
    if p == "paddle":
        items = [kv.split("=", 1) for kv in sig.split(";")]
        if any(len(kv) != 2 for kv in items):
            return "malformed_signature"
        ts = [v for k, v in items if k == "ts"]
        h1 = [v for k, v in items if k == "h1"]
        if len(ts) != 1 or not re.fullmatch(r"\d+", ts[0]) or not h1:
            return "malformed_signature"
        r = hex_match(h1, _b(ts[0]) + b":" + body)
        return r if r != "ok" else _ts_reason(int(ts[0]), now, tolerance)
    if p == "gitlab":
        return "ok" if any(hmac.compare_digest(_b(sig), _b(s)) for s in secrets) else "bad_signature"
    # generic hmac
    pre = opts.get("prefix", "")
    if not sig.startswith(pre):
        return "malformed_signature"
    val = sig[len(pre):]
    enc = opts.get("encoding", "hex")
    if enc == "hex":
        raw = _unhex(val)
    elif enc == "base64":
        raw = _b64decode_strict(val)
    else:
        raw = _b64decode_strict((val.replace("-", "+").replace("_", "/")) + "=" * (-len(val) % 4))
    alg = opts.get("alg", "sha256")
    if raw is None or len(raw) != hashlib.new(alg).digest_size:
        return "malformed_signature"
    ts = None
    if opts.get("timestamp_header"):
        tsh = header_get(headers, opts["timestamp_header"])
        if tsh is None:
            return "missing_signature"
        if not re.fullmatch(r"\d+", tsh):
            return "malformed_signature"
        ts = int(tsh)
    wid = header_get(headers, opts["id_header"]) if opts.get("id_header") else opts.get("webhook_id")
    msg = _generic_message(opts, body, wid, ts if ts is not None else "", method, host, target)
    ok = any(hmac.compare_digest(raw, hmac.new(_generic_key(opts, s), msg, alg).digest()) for s in secrets)
    if not ok:
        return "bad_signature"
    return _ts_reason(ts, now, tolerance) if ts is not None else "ok"


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------
def parse_opts(pairs):
    out = {}
    for kv in pairs or []:
        if "=" not in kv:
            raise SignError("--opt needs KEY=VALUE, got %r" % kv)
        k, v = kv.split("=", 1)
        out[k.strip().replace("-", "_")] = v
    return out


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "keygen-v1a":
        ap = argparse.ArgumentParser(prog="hp_sign.py keygen-v1a",
                                     description="Standard Webhooks v1a (Ed25519) key pair: whsk_ (seed) and whpk_")
        ap.add_argument("--seed-hex", help="32-byte seed in hex (default: random)")
        a = ap.parse_args(argv[1:])
        sk, pk = ed25519_keypair(bytes.fromhex(a.seed_hex) if a.seed_hex else None)
        print(sk)
        print(pk)
        return 0
    ap = argparse.ArgumentParser(prog="hp_sign.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("provider", help="one of: " + ", ".join(PROVIDERS) + " (or keygen-v1a)")
    ap.add_argument("--secret", action="append", help="secret (repeatable: rotation, several signatures)")
    ap.add_argument("--secret-file", help="read the secret from this file (first line)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--body-file", help="request body (raw bytes); '-' = stdin")
    g.add_argument("--body", help="request body as a string")
    ap.add_argument("--method", default="POST")
    ap.add_argument("--host", default="hooks.example.com")
    ap.add_argument("--target", default="/", help="request target (path?query), default /")
    ap.add_argument("--timestamp", type=float, help="unix time to sign with (default: now)")
    ap.add_argument("--id", dest="webhook_id", help="delivery id (default: a random one in the provider's shape)")
    ap.add_argument("--opt", action="append", metavar="KEY=VALUE",
                    help="provider option (repeatable), e.g. header_prefix=svix, legacy_sha1=1, "
                         "content_type=application/x-www-form-urlencoded, scheme=http, "
                         "template={id}.{timestamp}.{body}")
    ap.add_argument("--format", choices=("headers", "json", "request"), default="headers",
                    help="headers: 'Name: value' lines (default); json; request: the whole HTTP/1.1 request")
    a = ap.parse_args(argv)
    secrets = list(a.secret or [])
    if a.secret_file:
        with open(a.secret_file) as f:
            secrets.append(f.readline().strip())
    if not secrets:
        ap.error("--secret or --secret-file is required")
    if a.body_file == "-":
        body = sys.stdin.buffer.read()
    elif a.body_file:
        with open(a.body_file, "rb") as f:
            body = f.read()
    elif a.body is not None:
        body = a.body.encode()
    else:
        ap.error("--body-file or --body is required")
    try:
        opts = parse_opts(a.opt)
        ts = a.timestamp if a.timestamp is not None else int(time.time())
        if ts == int(ts):
            ts = int(ts)
        wid = a.webhook_id or new_id(a.provider)
        target, headers = sign_request(a.provider, secrets if len(secrets) > 1 else secrets[0], body,
                                       method=a.method, host=a.host, target=a.target, timestamp=ts,
                                       webhook_id=wid, **opts)
    except SignError as e:
        print("hp_sign.py: %s" % e, file=sys.stderr)
        return 2
    if a.format == "json":
        print(json.dumps({"provider": canonical(a.provider), "method": a.method, "host": a.host, "target": target,
                          "timestamp": ts, "webhook_id": wid, "headers": headers}, indent=1))
    elif a.format == "request":
        out = sys.stdout.buffer
        out.write(("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n" % (a.method, target, a.host, len(body)))
                  .encode())
        for k, v in headers:
            out.write(("%s: %s\r\n" % (k, v)).encode())
        out.write(b"\r\n" + body)
        out.flush()
    else:
        if target != a.target:
            print("# target: %s" % target, file=sys.stderr)
        for k, v in headers:
            print("%s: %s" % (k, v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
