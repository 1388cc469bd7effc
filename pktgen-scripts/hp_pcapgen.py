#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""hp_pcapgen - deterministic pcap generator for hookpath tests and benchmarks.

Subcommands (see pktgen-scripts/README.md for the full reference):

  webhooks      complete TCP sessions carrying HTTP/1.1 webhook POSTs (default); with
                --provider, signed by hp_sign.py, one test case per session
  decode-cases  one small pcap per decoder/defrag case + cases.json expectations
  flood         N copies of one frame (UDP or a webhook TCP data segment)

Output is classic libpcap (microsecond timestamps, LINKTYPE_ETHERNET). Every byte
depends only on the command line (including --seed): same arguments, same file.

The hot path (webhooks, flood) builds headers with struct and writes the pcap
with a small writer of its own, because building every packet through scapy
costs ~0.4 ms/packet. scapy builds the hand-written decode cases, where clarity
matters more than speed.
"""

import argparse
import base64
import hashlib
import ipaddress
import json
import os
import random
import re
import string
import struct
import sys
import time

VERSION = "1.0"

# --------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------
ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
ETH_IPV6 = 0x86DD
ETH_VLAN = 0x8100
ETH_QINQ = 0x88A8
ETH_LLDP = 0x88CC
PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_FRAG6 = 44

TH_FIN, TH_SYN, TH_RST, TH_PSH, TH_ACK = 0x01, 0x02, 0x04, 0x08, 0x10

DEFAULT_START = 1700000000  # pcap time of the first frame (seconds since epoch)


# --------------------------------------------------------------------------
# pcap writer and raw header builders (no scapy: these run per packet)
# --------------------------------------------------------------------------
class PcapWriter:
    """Minimal libpcap writer: microsecond timestamps, Ethernet link type."""

    def __init__(self, path, snaplen=262144, linktype=1):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        self.count = 0

    def write(self, ts_us, frame):
        n = len(frame)
        self.f.write(struct.pack("<IIII", ts_us // 1000000, ts_us % 1000000, n, n))
        self.f.write(frame)
        self.count += 1

    def close(self):
        self.f.close()


def csum(data):
    """RFC 1071 Internet checksum of data (returns the value to store)."""
    if len(data) & 1:
        data += b"\0"
    total = int.from_bytes(data, "big")
    if total == 0:
        return 0xFFFF
    # 2**16 == 1 (mod 0xffff): the one's-complement word sum is the value mod 0xffff
    r = total % 0xFFFF
    s = r if r else 0xFFFF
    return (~s) & 0xFFFF


def mac_bytes(mac):
    parts = mac.split(":")
    if len(parts) != 6:
        raise ValueError("bad MAC address %r" % mac)
    return bytes(int(p, 16) for p in parts)


def eth_header(dst, src, ethertype, vlans=()):
    """vlans: sequence of (tpid, vid) outermost first."""
    h = dst + src
    for tpid, vid in vlans:
        h += struct.pack("!HH", tpid, vid & 0x0FFF)
    return h + struct.pack("!H", ethertype)


def ip4_header(src, dst, proto, payload_len, ident, flags_frag=0, ttl=64, tos=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + payload_len, ident & 0xFFFF,
                    flags_frag, ttl, proto, 0, src, dst)
    c = csum(h)
    return h[:10] + struct.pack("!H", c) + h[12:]


def ip4_packets(src, dst, proto, l4, ident, df=False, mtu=None, ttl=64):
    """Return the list of IPv4 packets carrying l4 (fragments if longer than mtu)."""
    if mtu is None or 20 + len(l4) <= mtu:
        return [ip4_header(src, dst, proto, len(l4), ident, 0x4000 if df else 0, ttl) + l4]
    step = (mtu - 20) // 8 * 8
    if step <= 0:
        raise ValueError("MTU %d too small for IPv4 fragmentation" % mtu)
    out = []
    for off in range(0, len(l4), step):
        chunk = l4[off:off + step]
        mf = 0x2000 if off + step < len(l4) else 0
        out.append(ip4_header(src, dst, proto, len(chunk), ident, mf | (off >> 3), ttl) + chunk)
    return out


def ip6_header(src, dst, nh, payload_len, hlim=64, flow=0):
    return struct.pack("!IHBB16s16s", (6 << 28) | (flow & 0xFFFFF), payload_len, nh, hlim, src, dst)


def ip6_packets(src, dst, nh, l4, ident, mtu=None, hlim=64, flow=0):
    """Return the IPv6 packets carrying l4 (fragment headers if longer than mtu)."""
    if mtu is None or 40 + len(l4) <= mtu:
        return [ip6_header(src, dst, nh, len(l4), hlim, flow) + l4]
    step = (mtu - 48) // 8 * 8
    if step <= 0:
        raise ValueError("MTU %d too small for IPv6 fragmentation" % mtu)
    out = []
    for off in range(0, len(l4), step):
        chunk = l4[off:off + step]
        m = 1 if off + step < len(l4) else 0
        fh = struct.pack("!BBHI", nh, 0, off | m, ident & 0xFFFFFFFF)  # off is a multiple of 8
        out.append(ip6_header(src, dst, PROTO_FRAG6, 8 + len(chunk), hlim, flow) + fh + chunk)
    return out


def pseudo_header(src, dst, proto, length):
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!IxxxB", length, proto)


def tcp_segment(src, dst, sport, dport, seq, ack, flags, payload=b"", win=64240, opts=b""):
    off = (20 + len(opts)) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                    off << 4, flags, win, 0, 0) + opts
    seg = h + payload
    c = csum(pseudo_header(src, dst, PROTO_TCP, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp_datagram(src, dst, sport, dport, payload):
    ln = 8 + len(payload)
    d = struct.pack("!HHHH", sport, dport, ln, 0) + payload
    c = csum(pseudo_header(src, dst, PROTO_UDP, ln) + d)
    if c == 0:
        c = 0xFFFF
    return d[:6] + struct.pack("!H", c) + d[8:]


def corrupt16(buf, off):
    """Return buf with the 16-bit field at off changed (never to the same value)."""
    v = struct.unpack_from("!H", buf, off)[0] ^ 0x5A5A
    return buf[:off] + struct.pack("!H", v) + buf[off + 2:]


def vlan_tags(args):
    if getattr(args, "qinq", None) is not None:
        if args.vlan is None:
            raise SystemExit("--qinq OUTER needs --vlan INNER")
        return ((ETH_QINQ, args.qinq), (ETH_VLAN, args.vlan))
    if getattr(args, "vlan", None) is not None:
        return ((ETH_VLAN, args.vlan),)
    return ()


# --------------------------------------------------------------------------
# webhook payloads
# --------------------------------------------------------------------------
EVENT_TYPES = ("invoice.paid", "payment_intent.succeeded", "customer.created",
               "charge.refunded", "checkout.session.completed",
               "customer.subscription.updated", "order.fulfilled", "push")
FIRST = ("ada", "alan", "grace", "linus", "barbara", "ken", "radia", "edsger")
LAST = ("lovelace", "turing", "hopper", "torvalds", "liskov", "thompson", "perlman", "dijkstra")
FILLER = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
          "incididunt ut labore et dolore magna aliqua ") * 4
ALNUM = string.ascii_letters + string.digits


def rand_id(rng, prefix, n=24):
    return prefix + "".join(rng.choice(ALNUM) for _ in range(n))


def pad_json(obj, size):
    """Serialize obj compactly, padded with a "pad" string field to exactly size bytes
    if possible. Returns bytes (may be longer than size if obj alone is too big)."""
    base = json.dumps(obj, separators=(",", ":"))
    if len(base) >= size:
        return base.encode()
    obj = dict(obj)
    obj["pad"] = ""
    empty = json.dumps(obj, separators=(",", ":"))
    need = size - len(empty)
    if need < 0:
        return base.encode()
    reps = need // len(FILLER) + 1
    obj["pad"] = (FILLER * reps)[:need]
    out = json.dumps(obj, separators=(",", ":")).encode()
    assert len(out) == size
    return out


def odd_shape(rng, evt_id, size):
    """A body of an odd JSON shape: nested 24 to 60 deep, or one flat object of many
    short keys."""
    if rng.random() < 0.5:
        obj = {"id": evt_id, "v": 1}
        for k in range(rng.randrange(24, 60)):
            obj = {"n%d" % k: obj}
        return pad_json(obj, size)
    obj = {"id": evt_id}
    for k in range(max(8, size // 9)):
        obj["k%d" % k] = k
    body = json.dumps(obj, separators=(",", ":")).encode()
    while len(body) > size and len(obj) > 9:
        obj.popitem()
        body = json.dumps(obj, separators=(",", ":")).encode()
    return pad_json(obj, size)


def body_size_of(rng, lo, hi):
    """A body size: lo, or log-uniform in [lo, hi] when hi is given."""
    if not hi or hi <= lo:
        return lo
    import math
    return int(round(math.exp(rng.uniform(math.log(max(lo, 1)), math.log(hi)))))


def make_body(rng, seq, size, created, pii=False, evt_id=None, shape="normal"):
    """A webhook-shaped JSON body of (at least, usually exactly) size bytes.
    evt_id: the "id" field (default: a random evt_ id drawn from rng).
    shape: normal (an event object), or odd (odd_shape)."""
    if evt_id is None:
        evt_id = rand_id(rng, "evt_")
    if shape == "odd":
        return odd_shape(rng, evt_id, size)
    etype = rng.choice(EVENT_TYPES)
    n = rng.randrange(len(FIRST))
    customer = {"id": rand_id(rng, "cus_", 14),
                "email": "%s.%s%d@example.com" % (FIRST[n], LAST[n], seq),
                "name": "%s %s" % (FIRST[n].title(), LAST[n].title())}
    if pii:
        customer["phone"] = "+1-202-555-%04d" % (seq % 10000)
        customer["card"] = "4242 4242 4242 4242"
        customer["iban"] = "GB82 WEST 1234 5698 7654 32"
    full = {
        "id": evt_id,
        "object": "event",
        "type": etype,
        "created": created,
        "api_version": "2024-06-20",
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": {"id": rand_id(rng, "in_", 14),
                            "object": etype.split(".")[0],
                            "amount": rng.randrange(100, 1000000),
                            "currency": rng.choice(("usd", "eur", "gbp", "jpy")),
                            "status": "succeeded",
                            "customer": customer,
                            "metadata": {"order_id": "ord_%08d" % seq,
                                         "source": "hp_pcapgen"}}},
        "request": {"id": rand_id(rng, "req_", 14), "idempotency_key": rand_id(rng, "", 32)},
    }
    obj = full["data"]["object"]
    medium = {"id": evt_id, "type": etype, "created": created,
              "data": {"object": {"id": obj["id"], "amount": obj["amount"], "currency": obj["currency"],
                                  "customer": {"id": customer["id"], "email": customer["email"]}}}}
    small = {"id": evt_id, "type": etype, "created": created, "data": {"seq": seq}}
    if pii:  # the PII goes into the smaller shapes too
        for sh in (medium["data"]["object"]["customer"], small["data"]):
            sh.update({"phone": customer["phone"], "card": customer["card"]})
    # the richest shape that fits, padded to exactly size bytes
    for shape in (full, medium):
        body = pad_json(shape, size)
        if len(body) <= size:
            return body
    return pad_json(small, size)


def chunk_body(body, chunk_size):
    out = []
    for i in range(0, len(body), chunk_size):
        c = body[i:i + chunk_size]
        out.append(b"%x\r\n" % len(c) + c + b"\r\n")
    out.append(b"0\r\n\r\n")
    return b"".join(out)


def request_parts(path, host, body, extra_headers, chunked=False, chunk_size=256):
    """([(name, value)...] header fields in order, payload bytes) of a request."""
    hdrs = [("Host", host), ("User-Agent", "hookpath-pcapgen/%s" % VERSION), ("Accept", "*/*"),
            ("Content-Type", "application/json")]
    if chunked:
        hdrs.append(("Transfer-Encoding", "chunked"))
        payload = chunk_body(body, chunk_size)
    else:
        hdrs.append(("Content-Length", "%d" % len(body)))
        payload = body
    for h in extra_headers:
        k, v = h.split(":", 1)
        hdrs.append((k, v.strip()))
    return hdrs, payload


def make_request(method, path, host, body, extra_headers, chunked=False, chunk_size=256):
    lines = ["%s %s HTTP/1.1" % (method, path),
             "Host: %s" % host,
             "User-Agent: hookpath-pcapgen/%s" % VERSION,
             "Accept: */*",
             "Content-Type: application/json"]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        payload = chunk_body(body, chunk_size)
    else:
        lines.append("Content-Length: %d" % len(body))
        payload = body
    lines.extend(extra_headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


RESPONSE_BODY = b'{"received":true}'
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % len(RESPONSE_BODY)) + RESPONSE_BODY


# --------------------------------------------------------------------------
# webhooks subcommand
# --------------------------------------------------------------------------
def client_addr(i, v6):
    if v6:
        return ipaddress.IPv6Address("fd00:198:18::1:%x" % (i + 1))
    return ipaddress.IPv4Address("198.18.%d.%d" % (i // 250, i % 250 + 1))


def server_addr(i, v6):
    if v6:
        return ipaddress.IPv6Address("fd00:198:18::2:%x" % (i + 1))
    return ipaddress.IPv4Address("198.19.%d.%d" % (i // 250, i % 250 + 1))


def fmt_ep(addr, port):
    if addr.version == 6:
        return "[%s]:%d" % (addr, port)
    return "%s:%d" % (addr, port)


class Endpoint:
    def __init__(self, addr, port, mac, ident):
        self.addr = addr
        self.raw = addr.packed
        self.port = port
        self.mac = mac
        self.ident = ident  # next IPv4 id / IPv6 fragment id


class Session:
    """Builds the frames of one TCP connection. Frames are (bytes, meta) where meta is
    None or a dict with 'req' (request index) and/or 'bad' (checksum corruption)."""

    def __init__(self, g, idx):
        self.g = g
        a = g.args
        v6 = a.ipv6
        ci = idx % a.clients
        si = idx % a.servers
        cport = 32768 + (g.port_base + idx // a.clients) % 28232
        rng = g.rng
        self.c = Endpoint(client_addr(ci, v6), cport, g.mac_c, rng.getrandbits(32 if v6 else 16))
        self.s = Endpoint(server_addr(si, v6), a.port, g.mac_s, rng.getrandbits(32 if v6 else 16))
        self.c.nxt = rng.getrandbits(32)
        self.s.nxt = rng.getrandbits(32)
        self.frames = []
        self.flow = "%s->%s" % (fmt_ep(self.c.addr, self.c.port), fmt_ep(self.s.addr, self.s.port))

    # one TCP segment from snd to rcv -> frames (fragmented / tagged / maybe corrupted)
    def emit(self, snd, rcv, flags, seq, ack, payload=b"", opts=b"", meta=None):
        g = self.g
        a = g.args
        seg = tcp_segment(snd.raw, rcv.raw, snd.port, rcv.port, seq, ack, flags, payload, opts=opts)
        bad = None
        if a.bad_csum and g.rng.random() < a.bad_csum:
            bad = "tcp" if (a.ipv6 or g.rng.random() < 0.5) else "ip"
            if bad == "tcp":
                seg = corrupt16(seg, 16)
        if a.ipv6:
            pkts = ip6_packets(snd.raw, rcv.raw, PROTO_TCP, seg, snd.ident, a.ip_frag)
            if len(pkts) > 1:
                snd.ident = (snd.ident + 1) & 0xFFFFFFFF
            eth = eth_header(rcv.mac, snd.mac, ETH_IPV6, g.vlans)
        else:
            pkts = ip4_packets(snd.raw, rcv.raw, PROTO_TCP, seg, snd.ident,
                               df=a.ip_frag is None, mtu=a.ip_frag)
            snd.ident = (snd.ident + 1) & 0xFFFF
            if bad == "ip":
                pkts[0] = corrupt16(pkts[0], 10)
            eth = eth_header(rcv.mac, snd.mac, ETH_IPV4, g.vlans)
        for k, p in enumerate(pkts):
            m = meta
            if bad and k == 0:
                m = dict(meta or {})
                m["bad"] = bad
            self.frames.append((eth + p, m))

    def segments(self, data):
        a = self.g.args
        mss = a.mss or (1440 if a.ipv6 else 1460)
        if a.segment_size:
            size = a.segment_size
        elif a.segments:
            size = min(mss, max(1, -(-len(data) // a.segments)))
        else:
            size = mss
        return [(o, data[o:o + size]) for o in range(0, len(data), size)]

    def send_data(self, snd, rcv, data, meta):
        """Send data snd->rcv with the configured impairments; rcv ACKs like a real stack
        (every 2nd in-order segment, immediately on out-of-order/duplicate/hole-fill)."""
        a = self.g.args
        rng = self.g.rng
        segs = self.segments(data)
        n = len(segs)
        order = list(range(n))
        if a.loss:
            lost = [i for i in order if rng.random() < a.loss]
            if lost:
                order = [i for i in order if i not in lost] + lost  # retransmitted later
        if a.reorder and n > 1:
            i = 0
            while i < len(order) - 1:
                if rng.random() < a.reorder:
                    order[i], order[i + 1] = order[i + 1], order[i]
                    i += 2
                else:
                    i += 1
        if a.duplicate:
            dup = []
            for i in order:
                dup.append(i)
                if rng.random() < a.duplicate:
                    dup.append(i)
            order = dup
        base = snd.nxt
        have = set()
        cum = 0  # bytes received in order
        pending = 0
        for i in order:
            off, chunk = segs[i]
            flags = TH_ACK | (TH_PSH if i == n - 1 else 0)
            self.emit(snd, rcv, flags, base + off, rcv.nxt, chunk, meta=meta)
            dup_or_ooo = off != cum or i in have
            have.add(i)
            while True:  # advance the cumulative ack over contiguous received segments
                j = next((k for k in have if segs[k][0] == cum), None)
                if j is None:
                    break
                cum += len(segs[j][1])
            pending += 1
            last = cum == len(data)
            if dup_or_ooo or (pending >= 2 and not last):
                self.emit(rcv, snd, TH_ACK, rcv.nxt, base + cum)
                pending = 0
        snd.nxt = (base + len(data)) & 0xFFFFFFFF

    def build(self, requests):
        c, s = self.c, self.s
        mss_c = self.g.args.mss or (1440 if self.g.args.ipv6 else 1460)
        opt = struct.pack("!BBH", 2, 4, mss_c)
        self.emit(c, s, TH_SYN, c.nxt, 0, opts=opt)
        self.emit(s, c, TH_SYN | TH_ACK, s.nxt, c.nxt + 1, opts=opt)
        c.nxt = (c.nxt + 1) & 0xFFFFFFFF
        s.nxt = (s.nxt + 1) & 0xFFFFFFFF
        self.emit(c, s, TH_ACK, c.nxt, s.nxt)
        for ridx, req in requests:
            self.send_data(c, s, req, {"req": ridx})
            self.send_data(s, c, RESPONSE, None)
        # teardown: client closes, server closes, client acks
        self.emit(c, s, TH_FIN | TH_ACK, c.nxt, s.nxt)
        c.nxt = (c.nxt + 1) & 0xFFFFFFFF
        self.emit(s, c, TH_FIN | TH_ACK, s.nxt, c.nxt)
        s.nxt = (s.nxt + 1) & 0xFFFFFFFF
        self.emit(c, s, TH_ACK, c.nxt, s.nxt)
        return self.frames


class Gen:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.vlans = vlan_tags(args)
        self.mac_c = mac_bytes(args.mac_src)
        self.mac_s = mac_bytes(args.mac_dst)
        self.port_base = self.rng.randrange(28232)


# --------------------------------------------------------------------------
# signed webhooks (--provider): hp_sign.py signs, cases break the signature on purpose
# --------------------------------------------------------------------------
CASES = ("valid", "tampered", "wrong_secret", "replayed", "stale", "future", "missing_signature",
         "malformed_signature", "unrouted", "too_large")
UNROUTED_HOST = "unrouted.example.net"
UNROUTED_PATH = "/not-a-webhook"
SKEW_S = 3600  # stale / future: signed this far from --sign-time (far beyond any tolerance)


def import_hp_sign():
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    import hp_sign
    return hp_sign


def expectation(case, provider, opts):
    """(verdict, reason, note) hookpath should reach for a request of this case, assuming the
    endpoint routes Host/path, checks the timestamp tolerance (< 3600 s), dedups and has max_body."""
    hs = import_hp_sign()
    p = hs.canonical(provider)
    timestamped = p in hs.TIMESTAMPED or (p == "hmac" and opts.get("timestamp_header")
                                          and "{timestamp}" in opts.get("template", "{body}"))
    body_signed = p != "gitlab" and not (p == "hmac" and "{body}" not in opts.get("template", "{body}"))
    if case == "unrouted":
        return "pass", "no_route", None
    if case == "too_large":
        return "reject", "body_too_large", None
    if case == "missing_signature":
        return "reject", "missing_signature", None
    if case == "malformed_signature":
        if p == "gitlab":
            return "reject", "bad_signature", "gitlab tokens have no format: a malformed one is just a wrong one"
        return "reject", "malformed_signature", None
    if case in ("stale", "future"):
        if not timestamped:
            return "accept", "ok", "%s signs no timestamp: a %s request is indistinguishable from a valid one" % (p, case)
        return "reject", "stale_timestamp" if case == "stale" else "future_timestamp", None
    if case == "tampered" and not body_signed:
        return "accept", "ok", "%s does not sign the body: tampering is not detectable" % p
    if case in ("tampered", "wrong_secret"):
        return "reject", "bad_signature", None
    if case == "replayed":
        return "duplicate", "duplicate", None
    return "accept", "ok", None


def tamper(body):
    """The same body with one digit of "created" changed (same length, still JSON)."""
    k = body.find(b'"created":')
    if k < 0:
        i = len(body) // 2
    else:
        i = k + len(b'"created":')
        while i + 1 < len(body) and body[i + 1:i + 2].isdigit():
            i += 1
    c = body[i:i + 1]
    n = b"%d" % ((int(c) + 1) % 10) if c.isdigit() else (b"X" if c != b"X" else b"Y")
    return body[:i] + n + body[i + 1:]


def malformed(provider, value):
    """The signature header value with its signature replaced by the same number of characters
    that are not in its alphabet (hex -> 'g', base64 -> '*')."""
    p = provider
    if p in ("stripe", "paddle"):
        return re.sub(r"((?:v1|h1)=)([0-9a-f]+)", lambda m: m.group(1) + "g" * len(m.group(2)), value)
    if p in ("github", "twitch", "slack", "zoom"):
        pre, sig = value.split("=", 1)
        return pre + "=" + "g" * len(sig)
    if p in ("standard-webhooks", "svix"):
        return " ".join(e.split(",", 1)[0] + "," + "*" * len(e.split(",", 1)[1]) for e in value.split(" "))
    if p in ("shopify", "twilio"):
        return "*" * len(value)
    if p == "gitlab":
        return "not-the-token"
    return None  # hmac: handled by SignPlan (knows prefix and encoding)


class SignPlan:
    """Per-request signing for --provider: the case of each session, the signed bytes, the
    manifest and --requests-json records."""

    def __init__(self, args, rng):
        hs = self.hs = import_hp_sign()
        self.args = args
        self.rng = rng
        try:
            self.provider = hs.canonical(args.provider)
            self.opts = hs.parse_opts(args.sign_opt)
        except hs.SignError as e:
            raise SystemExit("--provider/--sign-opt: %s" % e)
        secret = args.secret
        if args.secret_file:
            with open(args.secret_file) as f:
                secret = f.readline().strip()
        if not secret:
            raise SystemExit("--provider needs --secret or --secret-file")
        self.secret = secret
        self.verify_secret = secret
        self.public_key = None
        if self.provider in ("standard-webhooks", "svix") and secret.startswith("whsk_"):
            self.public_key = hs.sw_public_key(secret)
        self.sign_time = int(args.sign_time) if args.sign_time is not None else int(time.time())
        self.cases = [c.strip() for c in (args.cases or "valid").split(",") if c.strip()]
        bad = [c for c in self.cases if c not in CASES]
        if bad or not self.cases:
            raise SystemExit("--cases: unknown case(s) %s (choose from %s)" % (",".join(bad), ",".join(CASES)))
        if "too_large" in self.cases and args.max_body is None:
            raise SystemExit("--cases too_large needs --max-body N")
        if args.max_body is not None and args.body_size > args.max_body:
            raise SystemExit("--body-size %d is larger than --max-body %d" % (args.body_size, args.max_body))
        self.wrong = self._wrong_secret(secret)
        self.sessions = {}     # session -> list of manifest indexes
        self.last_valid = None  # most recent session whose case is valid
        self.raw = {}          # manifest index -> request bytes
        self.rows = {}         # manifest index -> (manifest entry, requests-json record)
        try:  # fail early on a bad secret / option
            hs.sign(self.provider, secret, b"{}", timestamp=self.sign_time, webhook_id="probe", **self.opts)
        except (hs.SignError, ValueError) as e:
            raise SystemExit("--provider %s: %s" % (self.provider, e))

    def _wrong_secret(self, secret):
        import base64 as b64
        d = hashlib.sha256(b"wrong:" + secret.encode()).digest()
        if secret.startswith("whsec_"):
            return "whsec_" + b64.b64encode(d[:24]).decode()
        if secret.startswith("whsk_"):
            return "whsk_" + b64.b64encode(d).decode()
        enc = self.opts.get("key_encoding", "utf8") if self.provider == "hmac" else "utf8"
        if enc == "hex":
            return d.hex()
        if enc == "base64":
            return b64.b64encode(d[:24]).decode()
        if self.provider in ("standard-webhooks", "svix"):
            return b64.b64encode(d[:24]).decode()
        return "wrong_" + d.hex()[:24]

    def describe(self):
        d = {"provider": self.provider, "secret": self.secret, "sign_time": self.sign_time,
             "cases": self.cases, "max_body": self.args.max_body, "sign_opts": self.opts,
             "unrouted_host": UNROUTED_HOST, "unrouted_path": UNROUTED_PATH,
             "skew_s": SKEW_S}
        if self.public_key:
            d["public_key"] = self.public_key
        return d

    def case_of(self, session):
        return self.cases[session % len(self.cases)]

    def request(self, session, r, ridx, host, path, extra):
        """(request bytes, manifest entry, requests-json record) of request r of session."""
        hs, a = self.hs, self.args
        case = self.case_of(session)
        if case == "replayed" and self.last_valid is None:
            case = "valid"  # nothing to replay yet: this session becomes the original
        if case == "valid" and r == 0:
            self.last_valid = session
        if case == "replayed":
            src = self.sessions[self.last_valid]
            sidx = src[r % len(src)]
            ent, rec = self.rows[sidx]
            ent = {k: v for k, v in ent.items() if k not in ("flow", "session", "seq_in_session", "frames",
                                                              "bad_csum", "note")}
            ent.update({"case": "replayed", "replay_of": sidx})
            verdict, reason, note = expectation("replayed", self.provider, self.opts)
            ent["expect"] = {"verdict": verdict, "reason": reason}
            rec = dict(rec, case="replayed", expect=ent["expect"], replay_of=sidx)
            self.sessions.setdefault(session, []).append(ridx)
            self.raw[ridx] = self.raw[sidx]
            self.rows[ridx] = (ent, rec)
            return self.raw[sidx], ent, rec
        wid = hs.new_id(self.provider, self.rng)
        size = (a.max_body + 1 if case == "too_large"
                else body_size_of(self.rng, a.body_size, a.body_size_max))
        body = make_body(self.rng, ridx, size, a.start_time + ridx, a.pii, evt_id=wid,
                         shape=a.shape)
        if case == "unrouted":
            # another host and a path no endpoint owns: under the endpoint's own path it
            # would be that endpoint's to a server that ignores Host (foreign_host)
            host, path = UNROUTED_HOST, UNROUTED_PATH
        ts = self.sign_time + {"stale": -SKEW_S, "future": SKEW_S}.get(case, 0)
        secret = self.wrong if case == "wrong_secret" else self.secret
        target, hdrs = hs.sign_request(self.provider, secret, body, method=a.method, host=host, target=path,
                                       timestamp=ts, webhook_id=wid, **self.opts)
        signame = hs.signature_header(self.provider, **self.opts).lower()
        if case == "tampered":
            body = tamper(body)
        elif case == "missing_signature":
            hdrs = [(k, v) for k, v in hdrs if k.lower() != signame]
        elif case == "malformed_signature":
            hdrs = [(k, self._malformed(v) if k.lower() == signame else v) for k, v in hdrs]
        sig_extra = ["%s: %s" % kv for kv in hdrs]
        raw = make_request(a.method, target, host, body, extra + sig_extra, a.chunked, a.chunk_size)
        verdict, reason, note = expectation(case, self.provider, self.opts)
        ent = {"method": a.method, "uri": target, "host": host,
               "body_sha256": hashlib.sha256(body).hexdigest(), "body_len": len(body),
               "chunked": bool(a.chunked), "case": case, "provider": self.provider, "webhook_id": wid,
               "signed_at": ts, "expect": {"verdict": verdict, "reason": reason}}
        if note:
            ent["note"] = note
        hlist, _ = request_parts(target, host, body, extra + sig_extra, a.chunked, a.chunk_size)
        rec = {"method": a.method, "host": host, "target": target, "headers": hlist,
               "body_b64": base64.b64encode(body).decode("ascii"), "case": case, "webhook_id": wid,
               "signed_at": ts, "expect": ent["expect"]}
        self.sessions.setdefault(session, []).append(ridx)
        self.raw[ridx] = raw
        self.rows[ridx] = (ent, rec)
        return raw, ent, rec

    def _malformed(self, value):
        v = malformed(self.provider, value)
        if v is not None:
            return v
        pre = self.opts.get("prefix", "")
        sig = value[len(pre):]
        return pre + ("g" if self.opts.get("encoding", "hex") == "hex" else "*") * len(sig)


def cmd_webhooks(args):
    if args.sessions < 1 or args.requests_per_session < 1:
        raise SystemExit("--sessions and --requests-per-session must be >= 1")
    if args.sessions > args.clients * 28232:
        raise SystemExit("too many sessions for %d clients (max %d)" % (args.clients, args.clients * 28232))
    for opt in ("reorder", "loss", "duplicate", "bad_csum"):
        v = getattr(args, opt)
        if not 0.0 <= v <= 1.0:
            raise SystemExit("--%s must be a probability in [0,1]" % opt.replace("_", "-"))
    extra = []
    for h in args.headers or []:
        if ":" not in h:
            raise SystemExit("--headers needs 'Name: value', got %r" % h)
        extra.append(h.strip())
    hosts = args.host or ["hooks.example.com"]
    paths = args.path or ["/hooks/events"]

    g = Gen(args)
    manifest = []
    step_us = 1e6 / args.pps
    start_us = args.start_time * 1000000
    plan = SignPlan(args, g.rng) if args.provider else None
    signed = []  # --requests-json records, generation order

    def session_frames(i):
        sess = Session(g, i)
        reqs = []
        for r in range(args.requests_per_session):
            ridx = len(manifest)
            if plan:
                raw, ent, rec = plan.request(i, r, ridx, hosts[i % len(hosts)], paths[ridx % len(paths)], extra)
                ent.update({"flow": sess.flow, "session": i, "seq_in_session": r, "frames": [],
                            "bad_csum": False})
                reqs.append((ridx, raw))
                manifest.append(ent)
                signed.append(rec)
                continue
            body = make_body(g.rng, ridx, body_size_of(g.rng, args.body_size, args.body_size_max),
                             args.start_time + ridx, args.pii, shape=args.shape)
            path = paths[ridx % len(paths)]
            host = hosts[i % len(hosts)]
            raw = make_request(args.method, path, host, body, extra, args.chunked, args.chunk_size)
            reqs.append((ridx, raw))
            manifest.append({"flow": sess.flow, "method": args.method, "uri": path, "host": host,
                             "body_sha256": hashlib.sha256(body).hexdigest(),
                             "body_len": len(body), "chunked": bool(args.chunked),
                             "session": i, "seq_in_session": r, "frames": [],
                             "bad_csum": False})
            if args.requests_json:
                hdrs, _ = request_parts(path, host, body, extra, args.chunked, args.chunk_size)
                signed.append({"method": args.method, "host": host, "target": path, "headers": hdrs,
                               "body_b64": base64.b64encode(body).decode("ascii")})
        return sess.build(reqs)

    w = PcapWriter(args.output)
    bad_frames = []
    nframe = 0

    def put(frame, meta):
        nonlocal nframe
        w.write(start_us + int(nframe * step_us), frame)
        nframe += 1
        if meta:
            if "req" in meta:
                manifest[meta["req"]]["frames"].append(nframe)
            if "bad" in meta:
                bad_frames.append({"frame": nframe, "layer": "ipv4" if meta["bad"] == "ip" else "tcp"})
                if "req" in meta:
                    manifest[meta["req"]]["bad_csum"] = True

    if args.interleave:
        win = args.window or args.sessions
        for first in range(0, args.sessions, win):
            lists = [session_frames(i) for i in range(first, min(first + win, args.sessions))]
            longest = max(len(x) for x in lists)
            for k in range(longest):
                for lst in lists:
                    if k < len(lst):
                        put(*lst[k])
    else:
        for i in range(args.sessions):
            for fr in session_frames(i):
                put(*fr)
    w.close()

    if args.manifest:
        doc = {"generator": "hp_pcapgen.py webhooks", "version": VERSION, "seed": args.seed,
               "pcap": os.path.basename(args.output), "frames": nframe,
               "sessions": args.sessions, "ip_version": 6 if args.ipv6 else 4,
               "server_port": args.port, "pii": bool(args.pii), "bad_csum_frames": bad_frames,
               "requests": manifest}
        if plan:
            del doc["requests"]
            doc["signing"] = plan.describe()
            doc["requests"] = manifest
        with open(args.manifest, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    if args.requests_json:
        rdoc = {"generator": "hp_pcapgen.py webhooks", "version": VERSION,
                "body_encoding": "base64", "requests": signed}
        if plan:
            rdoc.update(plan.describe())
            for rec in signed:
                rec["secret"] = plan.verify_secret
            del rdoc["requests"]
            rdoc["requests"] = signed
        with open(args.requests_json, "w") as f:
            json.dump(rdoc, f, indent=1)
            f.write("\n")
    if not args.quiet:
        print("%s: %d frames, %d sessions, %d requests" % (args.output, nframe, args.sessions, len(manifest)),
              file=sys.stderr)
    return 0


# --------------------------------------------------------------------------
# flood subcommand
# --------------------------------------------------------------------------
def cmd_flood(args):
    vl = vlan_tags(args)
    v6 = args.ipv6
    l2 = 14 + 4 * len(vl)
    l3 = 40 if v6 else 20
    l4 = 8 if args.proto == "udp" else 20
    frame_len = args.size - 4  # --size counts the 4-byte FCS, as RFC 2544 sizes do
    pay = frame_len - l2 - l3 - l4
    if pay < 0:
        raise SystemExit("--size %d too small for %s/%s headers (min %d)"
                         % (args.size, "ipv6" if v6 else "ipv4", args.proto, l2 + l3 + l4 + 4))
    mc, ms = mac_bytes(args.mac_src), mac_bytes(args.mac_dst)
    src, dst = client_addr(0, v6).packed, server_addr(0, v6).packed
    rng = random.Random(args.seed)
    if args.proto == "udp":
        payload = (b"hookpath-flood-" * (pay // 15 + 1))[:pay]
    else:
        payload = webhook_prefix(rng, pay, args)
    frames = []
    for f in range(args.flows):
        sport = 40000 + f
        if args.proto == "udp":
            l4b = udp_datagram(src, dst, sport, args.port, payload)
            proto = PROTO_UDP
        else:
            l4b = tcp_segment(src, dst, sport, args.port, 1000 + f, 5000, TH_ACK | TH_PSH, payload)
            proto = PROTO_TCP
        if v6:
            ip = ip6_packets(src, dst, proto, l4b, 0)[0]
            et = ETH_IPV6
        else:
            ip = ip4_packets(src, dst, proto, l4b, f, df=True)[0]
            et = ETH_IPV4
        fr = eth_header(ms, mc, et, vl) + ip
        assert len(fr) == frame_len, (len(fr), frame_len)
        frames.append(fr)
    w = PcapWriter(args.output)
    step = 1e6 / args.pps
    start = args.start_time * 1000000
    for i in range(args.count):
        w.write(start + int(i * step), frames[i % len(frames)])
    w.close()
    if not args.quiet:
        print("%s: %d frames of %d bytes (+4 FCS), %d flow(s)" % (args.output, args.count, frame_len, args.flows),
              file=sys.stderr)
    return 0


def webhook_prefix(rng, n, args):
    """n bytes of the start of a webhook POST (a whole request when n is big enough)."""
    host = (args.host or ["hooks.example.com"])[0]
    path = (args.path or ["/hooks/events"])[0]
    bsize = max(0, n - len(make_request("POST", path, host, b"", [])))
    for _ in range(4):  # Content-Length digits change the header length; converge
        req = make_request("POST", path, host, make_body(random.Random(args.seed), 0, bsize, DEFAULT_START), [])
        if len(req) == n:
            return req
        bsize = max(0, bsize + n - len(req))
    req = make_request("POST", path, host, make_body(random.Random(args.seed), 0, bsize, DEFAULT_START), [])
    return (req + b" " * n)[:n]


# --------------------------------------------------------------------------
# decode-cases subcommand (scapy, hand-written expectations)
# --------------------------------------------------------------------------
def import_scapy():
    try:
        import scapy  # noqa: F401
    except ImportError:
        # python3-scapy lives in the system dist-packages; a pyenv/venv python misses it
        sys.path.append("/usr/lib/python3/dist-packages")
    import logging
    import warnings
    logging.getLogger("scapy").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    from scapy.layers import l2, inet, inet6
    return l2, inet, inet6


class Case:
    def __init__(self, name, k, description):
        self.name = name
        self.k = k  # case number: distinct addresses / IP ids in the mixed pcap
        self.description = description
        self.frames = []
        self.expect = {}

    # distinct per-case addresses so the concatenation never mixes fragments/flows
    @property
    def mac_a(self):
        return "02:00:00:00:%02x:01" % self.k

    @property
    def mac_b(self):
        return "02:00:00:00:%02x:02" % self.k

    @property
    def ip_a(self):
        return "198.18.%d.1" % self.k

    @property
    def ip_b(self):
        return "198.19.%d.2" % self.k

    @property
    def ip6_a(self):
        return "fd00:198:18::%x:1" % self.k

    @property
    def ip6_b(self):
        return "fd00:198:18::%x:2" % self.k

    @property
    def ipid(self):
        return 0x100 * self.k


def build_cases(seed):
    l2, inet, inet6 = import_scapy()
    Ether, Dot1Q, Dot1AD, ARP = l2.Ether, l2.Dot1Q, l2.Dot1AD, l2.ARP
    IP, TCP, UDP, ICMP = inet.IP, inet.TCP, inet.UDP, inet.ICMP
    IPv6, HBH, Frag6 = inet6.IPv6, inet6.IPv6ExtHdrHopByHop, inet6.IPv6ExtHdrFragment
    PadN, Echo6 = inet6.PadN, inet6.ICMPv6EchoRequest
    from scapy.packet import Raw

    rng = random.Random(seed)
    cases = []

    def case(name, description, frames, classes, ip_fragments=0, datagrams=0,
             reassembled=None, malformed=(), vlan_frames=0, qinq_frames=0, note=None, **extra):
        c = Case(name, len(cases) + 1, description)
        cases.append(c)
        return c, dict(frames=frames, classes=classes, ip_fragments=ip_fragments,
                       datagrams_after_reassembly=datagrams, reassembled=reassembled or {},
                       malformed=[dict(frame=f, kind=k, why=w) for f, k, w in malformed],
                       vlan_frames=vlan_frames, qinq_frames=qinq_frames, note=note, **extra)

    def eth(c, tags=()):
        e = Ether(src=c.mac_a, dst=c.mac_b)
        for i, (kind, vid) in enumerate(tags):
            e = e / (Dot1AD(vlan=vid) if kind == "ad" else Dot1Q(vlan=vid))
        return e

    def finish(c, exp, frames):
        c.frames = [bytes(f) for f in frames]
        assert len(c.frames) == exp["frames"], (c.name, len(c.frames), exp["frames"])
        c.expect = exp

    def udp_bytes4(c, n, fill=b"U"):  # a UDP datagram of total length n with valid checksum
        return bytes(IP(src=c.ip_a, dst=c.ip_b) / UDP(sport=45000, dport=45001) / Raw(fill * (n - 8)))[20:]

    def udp_bytes6(c, n, fill=b"U"):
        return bytes(IPv6(src=c.ip6_a, dst=c.ip6_b) / UDP(sport=45000, dport=45001) / Raw(fill * (n - 8)))[40:]

    def frags4(c, data, step=1480, proto=17, tags=()):
        out = []
        for off in range(0, len(data), step):
            mf = off + step < len(data)
            out.append(eth(c, tags) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid, proto=proto,
                                         flags="MF" if mf else 0, frag=off // 8) / Raw(data[off:off + step]))
        return out

    def frags6(c, data, step=1448):
        out = []
        for off in range(0, len(data), step):
            mf = 1 if off + step < len(data) else 0
            out.append(eth(c) / IPv6(src=c.ip6_a, dst=c.ip6_b) /
                       Frag6(nh=17, offset=off // 8, m=mf, id=0x10000 + c.ipid) / Raw(data[off:off + step]))
        return out

    # ---- plain protocols -------------------------------------------------
    c, e = case("ipv4_tcp", "IPv4 TCP PSH/ACK with 5 bytes of payload", 1, {"ipv4-tcp": 1})
    finish(c, e, [eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid) /
                  TCP(sport=40000, dport=8080, seq=1000, ack=2000, flags="PA") / Raw(b"hello")])

    c, e = case("ipv4_udp", "IPv4 UDP datagram", 1, {"ipv4-udp": 1})
    finish(c, e, [eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid) / UDP(sport=45000, dport=45001) / Raw(b"udp!")])

    c, e = case("ipv4_icmp", "IPv4 ICMP echo request", 1, {"ipv4-icmp": 1})
    finish(c, e, [eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid) / ICMP(type=8, id=1, seq=1) / Raw(b"ping")])

    c, e = case("arp", "ARP who-has request (broadcast)", 1, {"arp": 1})
    finish(c, e, [Ether(src=c.mac_a, dst="ff:ff:ff:ff:ff:ff") /
                  ARP(op=1, hwsrc=c.mac_a, psrc=c.ip_a, hwdst="00:00:00:00:00:00", pdst=c.ip_b)])

    c, e = case("ipv6_tcp", "IPv6 TCP PSH/ACK with 5 bytes of payload", 1, {"ipv6-tcp": 1})
    finish(c, e, [eth(c) / IPv6(src=c.ip6_a, dst=c.ip6_b) /
                  TCP(sport=40000, dport=8080, seq=1000, ack=2000, flags="PA") / Raw(b"hello")])

    c, e = case("ipv6_udp_hbh", "IPv6 with a hop-by-hop options header (PadN) before UDP", 1,
                {"ipv6-udp": 1}, note="next header chain: IPv6 -> hop-by-hop (0) -> UDP (17)")
    finish(c, e, [eth(c) / IPv6(src=c.ip6_a, dst=c.ip6_b) / HBH(options=[PadN(optdata=b"\0\0\0\0")]) /
                  UDP(sport=45000, dport=45001) / Raw(b"hbh!")])

    c, e = case("icmpv6", "ICMPv6 echo request", 1, {"ipv6-icmpv6": 1})
    finish(c, e, [eth(c) / IPv6(src=c.ip6_a, dst=c.ip6_b) / Echo6(id=1, seq=1, data=b"ping")])

    c, e = case("vlan", "802.1Q tag VLAN 100 carrying IPv4 UDP", 1, {"ipv4-udp": 1}, vlan_frames=1)
    finish(c, e, [eth(c, [("q", 100)]) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid) /
                  UDP(sport=45000, dport=45001) / Raw(b"vlan")])

    c, e = case("qinq", "QinQ: outer 802.1ad (0x88a8) VLAN 200, inner 802.1Q VLAN 100, IPv4 UDP", 1,
                {"ipv4-udp": 1}, vlan_frames=1, qinq_frames=1)
    finish(c, e, [eth(c, [("ad", 200), ("q", 100)]) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid) /
                  UDP(sport=45000, dport=45001) / Raw(b"qinq")])

    # ---- IPv4 fragments ----------------------------------------------------
    # a 3000-byte UDP datagram (8-byte header + 2992 bytes) = IP payload 3000:
    # fragments of 1480, 1480 and 40 bytes at offsets 0, 1480, 2960
    c, e = case("frag4_inorder", "3000-byte UDP datagram in 3 IPv4 fragments (1480+1480+40), in order",
                3, {"ipv4-frag": 3}, ip_fragments=3, datagrams=1, reassembled={"ipv4-udp": 1})
    finish(c, e, frags4(c, udp_bytes4(c, 3000)))

    c, e = case("frag4_reversed", "same 3000-byte UDP datagram, fragments sent last first",
                3, {"ipv4-frag": 3}, ip_fragments=3, datagrams=1, reassembled={"ipv4-udp": 1})
    finish(c, e, list(reversed(frags4(c, udp_bytes4(c, 3000)))))

    c, e = case("frag4_overlap",
                "2000-byte UDP datagram as two IPv4 fragments that overlap with different bytes: "
                "frame 1 offset 0 len 1480 MF=1 ('A' fill), frame 2 offset 1200 len 800 MF=0 ('B' fill)",
                2, {"ipv4-frag": 2}, ip_fragments=2, datagrams=0,
                malformed=[(2, "frag_overlap", "bytes 1200..1479 overlap frame 1 with different content")],
                note="overlapping fragments with conflicting data: a safe reassembler discards the "
                     "datagram (RFC 5722 policy), so no datagram is expected")
    data = udp_bytes4(c, 2000, b"A")
    f1 = eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid, proto=17, flags="MF", frag=0) / Raw(data[:1480])
    f2 = eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid, proto=17, frag=1200 // 8) / Raw(b"B" * 800)
    finish(c, e, [f1, f2])

    c, e = case("frag4_duplicate", "3000-byte UDP datagram in 3 fragments, the middle fragment sent twice "
                "(frames 2 and 3 identical)", 4, {"ipv4-frag": 4}, ip_fragments=4, datagrams=1,
                reassembled={"ipv4-udp": 1}, note="exact duplicate fragment: reassembly still yields 1 datagram")
    fr = frags4(c, udp_bytes4(c, 3000))
    finish(c, e, [fr[0], fr[1], fr[1], fr[2]])

    c, e = case("frag4_incomplete", "3000-byte UDP datagram, only the first 2 of 3 fragments (last missing)",
                2, {"ipv4-frag": 2}, ip_fragments=2, datagrams=0,
                note="never completes: the reassembly entry must expire (timeout)")
    finish(c, e, frags4(c, udp_bytes4(c, 3000))[:2])

    # ---- IPv6 fragments ----------------------------------------------------
    # 3000-byte UDP datagram; per fragment 1500-40-8 = 1452 -> 1448 (multiple of 8): 1448+1448+104
    c, e = case("frag6_inorder", "3000-byte UDP datagram in 3 IPv6 fragments (1448+1448+104), in order",
                3, {"ipv6-frag": 3}, ip_fragments=3, datagrams=1, reassembled={"ipv6-udp": 1})
    finish(c, e, frags6(c, udp_bytes6(c, 3000)))

    c, e = case("frag6_reversed", "same IPv6 fragments, last first",
                3, {"ipv6-frag": 3}, ip_fragments=3, datagrams=1, reassembled={"ipv6-udp": 1})
    finish(c, e, list(reversed(frags6(c, udp_bytes6(c, 3000)))))

    c, e = case("frag6_incomplete", "IPv6 3000-byte UDP datagram, first 2 of 3 fragments only",
                2, {"ipv6-frag": 2}, ip_fragments=2, datagrams=0,
                note="never completes: the reassembly entry must expire (timeout)")
    finish(c, e, frags6(c, udp_bytes6(c, 3000))[:2])

    # ---- TCP/HTTP in fragments ----------------------------------------------
    body = pad_json({"id": "evt_frag4tcp", "type": "invoice.paid", "created": DEFAULT_START}, 1200)
    req = make_request("POST", "/hooks/frag", "hooks.example.com", body, [])
    # TCP segment = 20 + len(req) bytes, fragmented at MTU 576: 552-byte fragments
    c, e = case("frag4_tcp", "TCP handshake then one TCP segment carrying a complete HTTP POST "
                "(Content-Length %d) split into 3 IPv4 fragments (MTU 576)" % len(body),
                6, {"ipv4-tcp": 3, "ipv4-frag": 3}, ip_fragments=3, datagrams=1,
                reassembled={"ipv4-tcp": 1}, http_requests=1,
                request={"method": "POST", "uri": "/hooks/frag", "host": "hooks.example.com",
                         "body_len": len(body), "body_sha256": hashlib.sha256(body).hexdigest()})
    base = eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid)
    back = Ether(src=c.mac_b, dst=c.mac_a) / IP(src=c.ip_b, dst=c.ip_a, id=c.ipid + 0x80)
    syn = base / TCP(sport=40000, dport=8080, seq=1000, flags="S")
    synack = back / TCP(sport=8080, dport=40000, seq=5000, ack=1001, flags="SA")
    ack = eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid + 1) / TCP(sport=40000, dport=8080,
                                                                  seq=1001, ack=5001, flags="A")
    seg = bytes(IP(src=c.ip_a, dst=c.ip_b) / TCP(sport=40000, dport=8080, seq=1001, ack=5001,
                                                 flags="PA") / Raw(req))[20:]
    fr = []
    for off in range(0, len(seg), 552):
        mf = off + 552 < len(seg)
        fr.append(eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid + 2, proto=6, flags="MF" if mf else 0,
                               frag=off // 8) / Raw(seg[off:off + 552]))
    assert len(fr) == 3, len(fr)
    finish(c, e, [syn, synack, ack] + fr)

    c, e = case("frag4_vlan", "3000-byte UDP datagram in 3 IPv4 fragments inside 802.1Q VLAN 300",
                3, {"ipv4-frag": 3}, ip_fragments=3, datagrams=1, reassembled={"ipv4-udp": 1},
                vlan_frames=3)
    finish(c, e, frags4(c, udp_bytes4(c, 3000), tags=[("q", 300)]))

    # ---- checksum errors -----------------------------------------------------
    def with_bad(pkt, layer):
        good = pkt.__class__(bytes(pkt))  # dissect once so every checksum is computed
        lay = good[layer]
        lay.chksum = lay.chksum ^ 0x5A5A
        return good

    c, e = case("bad_ip_csum", "IPv4 UDP, IPv4 header checksum wrong", 1, {"ipv4-udp": 1},
                malformed=[(1, "bad_ip_checksum", "IPv4 header checksum does not match")])
    finish(c, e, [with_bad(eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid) / UDP(sport=45000, dport=45001) /
                           Raw(b"csum"), IP)])

    c, e = case("bad_tcp_csum", "IPv4 TCP, TCP checksum wrong", 1, {"ipv4-tcp": 1},
                malformed=[(1, "bad_l4_checksum", "TCP checksum does not match")])
    finish(c, e, [with_bad(eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid) /
                           TCP(sport=40000, dport=8080, seq=1, ack=1, flags="PA") / Raw(b"csum"), TCP)])

    c, e = case("bad_udp_csum", "IPv4 UDP, UDP checksum wrong (non-zero)", 1, {"ipv4-udp": 1},
                malformed=[(1, "bad_l4_checksum", "UDP checksum does not match (and is not 0)")])
    finish(c, e, [with_bad(eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid) / UDP(sport=45000, dport=45001) /
                           Raw(b"csum"), UDP)])

    # ---- truncation / bad headers (raw bytes) ------------------------------
    c, e = case("trunc_eth", "a 10-byte frame", 1, {"malformed": 1},
                malformed=[(1, "truncated", "10 bytes, shorter than the 14-byte Ethernet header")])
    finish(c, e, [bytes(eth(c))[:10]])

    c, e = case("trunc_ipv4", "ethertype IPv4 but only 12 bytes of IPv4 header", 1, {"malformed": 1},
                malformed=[(1, "truncated", "IPv4 header cut at 12 of 20 bytes")])
    finish(c, e, [bytes(eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid) / UDP() / Raw(b"x"))[:14 + 12]])

    c, e = case("trunc_tcp", "valid IPv4 header (total length 30) followed by only 10 bytes of TCP header",
                1, {"malformed": 1},
                malformed=[(1, "truncated", "TCP header cut at 10 of 20 bytes")])
    tcp10 = bytes(TCP(sport=40000, dport=8080, seq=1, flags="S"))[:10]
    finish(c, e, [eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid, proto=6) / Raw(tcp10)])

    c, e = case("bad_ihl", "two IPv4 frames with impossible IHL", 2, {"malformed": 2},
                malformed=[(1, "bad_header", "IHL=4 (16 bytes), below the 20-byte minimum"),
                           (2, "bad_header", "IHL=15 (60 bytes) but total length 28 and only 28 IP bytes")])
    finish(c, e, [eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid, ihl=4) / UDP(sport=45000, dport=45001),
                  eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid + 1, ihl=15, len=28) /
                  UDP(sport=45000, dport=45001)])

    c, e = case("bad_total_len", "two IPv4 frames with wrong total length (header checksums correct)",
                2, {"malformed": 2},
                malformed=[(1, "bad_header", "total length 1500 but only 28 IP bytes in the frame"),
                           (2, "bad_header", "total length 12, smaller than the 20-byte header")])
    finish(c, e, [eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid, len=1500) / UDP(sport=45000, dport=45001),
                  eth(c) / IP(src=c.ip_a, dst=c.ip_b, id=c.ipid + 1, len=12) / UDP(sport=45000, dport=45001)])

    # ---- garbage -------------------------------------------------------------
    known = {ETH_IPV4, ETH_ARP, ETH_IPV6, ETH_VLAN, ETH_QINQ, 0x9100, ETH_LLDP, 0x8847, 0x8848,
             0x8035, 0x88E5, 0x88F7, 0x8863, 0x8864, 0x22F0, 0x22EA}
    c, e = case("garbage", "frames 1-4: random ethertypes (none known, all >= 0x0600) with random "
                "payload; frames 5-8: ethertype 0x0800 with random content whose IP version nibble is not 4",
                8, {"other": 4, "malformed": 4},
                malformed=[(f, "bad_header", "ethertype IPv4 but IP version field is not 4")
                           for f in range(5, 9)])
    g = []
    for _ in range(4):
        et = rng.randrange(0x0600, 0x10000)
        while et in known:
            et = rng.randrange(0x0600, 0x10000)
        g.append(bytes(Ether(src=c.mac_a, dst=c.mac_b, type=et)) +
                 bytes(rng.getrandbits(8) for _ in range(rng.randrange(20, 200))))
    for _ in range(4):
        body = bytearray(rng.getrandbits(8) for _ in range(rng.randrange(20, 200)))
        ver = rng.choice([v for v in range(16) if v != 4])
        body[0] = (ver << 4) | (body[0] & 0x0F)
        g.append(bytes(Ether(src=c.mac_a, dst=c.mac_b, type=ETH_IPV4)) + bytes(body))
    finish(c, e, g)

    c, e = case("lldp", "LLDP frame (ethertype 0x88cc) to 01:80:c2:00:00:0e", 1, {"lldp": 1},
                note="not IP: decoded as other/non-IP")

    def tlv(t, v):
        return struct.pack("!H", (t << 9) | len(v)) + v
    lldpdu = (tlv(1, b"\x04" + mac_bytes(c.mac_a)) + tlv(2, b"\x05eth0") + tlv(3, b"\x00\x78") + tlv(0, b""))
    finish(c, e, [bytes(Ether(src=c.mac_a, dst="01:80:c2:00:00:0e", type=ETH_LLDP)) + lldpdu])
    return cases


def cmd_decode_cases(args):
    cases = build_cases(args.seed)
    os.makedirs(args.output, exist_ok=True)
    t0 = args.start_time * 1000000
    doc = {"generator": "hp_pcapgen.py decode-cases", "version": VERSION, "seed": args.seed,
           "schema": {
               "frames": "number of frames in the pcap",
               "classes": "per-frame structural class counts from the headers, checksums ignored: "
                          "arp, lldp, other (unknown ethertype), ipv4-tcp, ipv4-udp, ipv4-icmp, "
                          "ipv6-tcp, ipv6-udp, ipv6-icmpv6, ipv4-frag, ipv6-frag (any fragment), "
                          "malformed (cannot be parsed)",
               "ip_fragments": "frames that are IP fragments",
               "datagrams_after_reassembly": "datagrams a correct reassembler completes",
               "reassembled": "class counts of those reassembled datagrams",
               "malformed": "frames (1-based numbers) that are bad, with kind and why: "
                            "truncated, bad_header, bad_ip_checksum, bad_l4_checksum, frag_overlap",
               "vlan_frames": "frames with at least one VLAN tag",
               "qinq_frames": "frames with two VLAN tags"},
           "cases": {}}
    allframes = []
    parts = []
    for c in cases:
        path = os.path.join(args.output, c.name + ".pcap")
        w = PcapWriter(path)
        for i, f in enumerate(c.frames):
            w.write(t0 + i * 1000, f)
        w.close()
        ent = {"file": c.name + ".pcap", "description": c.description}
        ent.update({k: v for k, v in c.expect.items() if v is not None})
        doc["cases"][c.name] = ent
        parts.append({"case": c.name, "first_frame": len(allframes) + 1, "frames": len(c.frames)})
        allframes.extend(c.frames)
    # mixed: everything concatenated; expectations are the sums, frame numbers shifted
    mixed = {"file": "mixed.pcap", "description": "all cases above concatenated in this order",
             "frames": len(allframes), "classes": {}, "ip_fragments": 0, "datagrams_after_reassembly": 0,
             "reassembled": {}, "malformed": [], "vlan_frames": 0, "qinq_frames": 0, "http_requests": 0,
             "parts": parts}
    for c, p in zip(cases, parts):
        ex = c.expect
        for k, v in ex["classes"].items():
            mixed["classes"][k] = mixed["classes"].get(k, 0) + v
        for k, v in ex["reassembled"].items():
            mixed["reassembled"][k] = mixed["reassembled"].get(k, 0) + v
        for key in ("ip_fragments", "datagrams_after_reassembly", "vlan_frames", "qinq_frames"):
            mixed[key] += ex[key]
        mixed["http_requests"] += ex.get("http_requests", 0)
        for m in ex["malformed"]:
            mixed["malformed"].append(dict(m, frame=m["frame"] + p["first_frame"] - 1, case=c.name))
    doc["cases"]["mixed"] = mixed
    w = PcapWriter(os.path.join(args.output, "mixed.pcap"))
    for i, f in enumerate(allframes):
        w.write(t0 + i * 1000, f)
    w.close()
    with open(os.path.join(args.output, "cases.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    if not args.quiet:
        print("%s: %d cases + mixed (%d frames)" % (args.output, len(cases), len(allframes)), file=sys.stderr)
    return 0


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------
def prob(s):
    v = float(s)
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError("probability must be in [0,1]")
    return v


def posint(s):
    v = int(s, 0)
    if v < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return v


def vid(s):
    v = int(s, 0)
    if not 0 <= v <= 4095:
        raise argparse.ArgumentTypeError("VLAN id must be 0..4095")
    return v


def add_common(p):
    p.add_argument("-o", "--output", required=True, help="output pcap (decode-cases: output directory)")
    p.add_argument("--seed", type=int, default=1, help="RNG seed (default 1); same seed, same bytes")
    p.add_argument("--start-time", type=int, default=DEFAULT_START,
                   help="timestamp of the first frame, epoch seconds (default %d)" % DEFAULT_START)
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")


def add_l2(p):
    p.add_argument("--vlan", type=vid, metavar="ID", help="802.1Q tag on every frame")
    p.add_argument("--qinq", type=vid, metavar="OUTER", help="add an outer 802.1ad (0x88a8) tag; needs --vlan")
    p.add_argument("--mac-src", default="02:00:00:00:00:01", help="client MAC (default 02:00:00:00:00:01)")
    p.add_argument("--mac-dst", default="02:00:00:00:00:02", help="server MAC (default 02:00:00:00:00:02)")
    p.add_argument("--ipv6", action="store_true", help="IPv6 (fd00:198:18::/64) instead of IPv4 (198.18.0.0/15)")
    p.add_argument("--pps", type=float, default=100000.0,
                   help="pcap timestamp rate, packets per second (default 100000)")


# --------------------------------------------------------------------------
# traffic subcommand: labelled classes for training the ML model (tools/ml/train_default.py)
# --------------------------------------------------------------------------
# Each class is webhooks traffic with its own timing (pcap timestamps: replayed with
# dataplane.clock capture, hookpath measures rates and hours on them), sources, sizes and
# contents. Label 0: normal; 1: every other class.
TRAFFIC_CLASSES = {
    # many senders at a modest rate, ordinary bodies of every size, at any hour ("hours":
    # where the capture starts)
    "normal": {"label": 0, "clients": 40, "pps": 300, "hours": (0, 24), "body": (60, 6000)},
    # one source sending as fast as it can
    "burst": {"label": 1, "clients": 1, "pps": 200000, "hours": (0, 24), "body": (200, 3000)},
    # one delivery replayed over and over, fast, from many addresses
    "replay_storm": {"label": 1, "clients": 30, "pps": 100000, "hours": (0, 24),
                     "body": (300, 2000), "replay": True},
    # bodies far larger than any event
    "odd_size": {"label": 1, "clients": 40, "pps": 300, "hours": (0, 24),
                 "body": (20000, 60000)},
    # nested dozens deep, or flat objects of hundreds of keys
    "odd_shape": {"label": 1, "clients": 40, "pps": 300, "hours": (0, 24),
                  "body": (400, 6000), "shape": "odd"},
    # at night, every request from an address never seen before
    "night": {"label": 1, "clients": 0, "pps": 2000, "hours": (1, 5), "body": (60, 6000)},
    # every request from an address never seen before, at a high rate, at any hour
    "unknown_sources": {"label": 1, "clients": 0, "pps": 20000, "hours": (0, 24),
                        "body": (60, 6000)},
    # card numbers, phone numbers and IBANs in the bodies
    "pii_leak": {"label": 1, "clients": 40, "pps": 300, "hours": (0, 24), "body": (150, 6000),
                 "pii": True},
}


def cmd_traffic(args):
    c = TRAFFIC_CLASSES[args.cls]
    rng = random.Random("traffic:%s:%d" % (args.cls, args.seed))
    day = DEFAULT_START // 86400 + rng.randrange(0, 60)
    start = day * 86400 + rng.randrange(c["hours"][0] * 3600, c["hours"][1] * 3600)
    clients = c["clients"] or args.requests
    argv = ["webhooks", "-q", "-o", args.output, "--seed", str(args.seed),
            "--start-time", str(start), "--pps", str(c["pps"]),
            "--sessions", str(args.requests), "--clients", str(min(clients, 60000)),
            "--body-size", str(c["body"][0]), "--body-size-max", str(c["body"][1]),
            "--host", args.host, "--shape", c.get("shape", "normal")]
    if c.get("pii"):
        argv.append("--pii")
    if args.provider:
        argv += ["--provider", args.provider, "--secret", args.secret,
                 "--sign-time", str(start)]
        if c.get("replay"):
            argv += ["--cases", "valid," + ",".join(["replayed"] * 49)]
    wargs = build_parser().parse_args(argv)
    rc = cmd_webhooks(wargs)
    if args.labels:
        with open(args.labels, "w") as f:
            json.dump({"class": args.cls, "label": c["label"], "requests": args.requests,
                       "start": start, "seed": args.seed}, f)
            f.write("\n")
    if not args.quiet:
        print("%s: class %s (label %d), %d requests from %s UTC" % (
            args.output, args.cls, c["label"], args.requests,
            time.strftime("%Y-%m-%d %H:%M", time.gmtime(start))), file=sys.stderr)
    return rc


def build_parser():
    ap = argparse.ArgumentParser(prog="hp_pcapgen.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd")

    w = sub.add_parser("webhooks", help="TCP sessions carrying HTTP/1.1 webhook POSTs (default)")
    add_common(w)
    add_l2(w)
    w.add_argument("--sessions", type=posint, default=10, help="TCP connections (default 10)")
    w.add_argument("--requests-per-session", type=posint, default=1,
                   help="keep-alive requests per connection (default 1)")
    w.add_argument("--body-size", type=int, default=1024, help="JSON body bytes (default 1024)")
    w.add_argument("--body-size-max", type=int, default=0,
                   help="each body's size log-uniform in [--body-size, this] (default: all equal)")
    w.add_argument("--shape", choices=("normal", "odd"), default="normal",
                   help="body JSON shape: an event object, or odd (nested deep or flat and wide)")
    w.add_argument("--method", default="POST", help="request method (default POST)")
    w.add_argument("--host", action="append", help="Host header; repeatable, rotated per session")
    w.add_argument("--path", action="append", help="request target; repeatable, rotated per request")
    w.add_argument("--headers", action="append", metavar="'K: V'", help="extra request header; repeatable")
    w.add_argument("--pii", action="store_true",
                   help="put PII in bodies (phone, test card 4242..., example IBAN)")
    w.add_argument("--chunked", action="store_true", help="Transfer-Encoding: chunked bodies")
    w.add_argument("--chunk-size", type=posint, default=256, help="chunk size for --chunked (default 256)")
    w.add_argument("--port", type=int, default=8080, help="server TCP port (default 8080)")
    w.add_argument("--clients", type=posint, default=64, help="distinct client addresses (default 64)")
    w.add_argument("--servers", type=posint, default=4, help="distinct server addresses (default 4)")
    w.add_argument("--mss", type=posint, help="max TCP payload per segment (default 1460, IPv6 1440)")
    seg = w.add_mutually_exclusive_group()
    seg.add_argument("--segment-size", type=posint, metavar="N",
                     help="split each message into segments of at most N payload bytes (overrides --mss)")
    seg.add_argument("--segments", type=posint, metavar="K",
                     help="split each request/response into K roughly equal segments (capped by --mss)")
    w.add_argument("--reorder", type=prob, default=0.0, help="P(data segment swapped with the next)")
    w.add_argument("--loss", type=prob, default=0.0,
                   help="P(data segment missing at its place and retransmitted after the others)")
    w.add_argument("--duplicate", type=prob, default=0.0, help="P(data segment sent twice)")
    w.add_argument("--ip-frag", type=int, metavar="MTU", help="IP-fragment packets longer than MTU")
    w.add_argument("--bad-csum", type=prob, default=0.0,
                   help="P(a packet gets a wrong TCP or IPv4 header checksum)")
    w.add_argument("--interleave", action="store_true", help="round-robin the sessions' packets")
    w.add_argument("--window", type=int, default=0,
                   help="with --interleave: sessions open at once (default 0 = all)")
    w.add_argument("--manifest", metavar="FILE.json", help="write the generated requests as JSON")
    w.add_argument("--requests-json", metavar="FILE.json",
                   help="write each request (method, host, target, headers, body base64; with --provider "
                        "also secret, case, expect) for verifiers outside the pcap, e.g. tests/bench/node")
    s = w.add_argument_group("signed webhooks (pktgen-scripts/hp_sign.py)")
    s.add_argument("--provider", help="sign every request as this provider does: stripe, github, slack, "
                   "standard-webhooks, svix, shopify, twilio, zoom, twitch, paddle, gitlab, hmac")
    s.add_argument("--secret", help="signing secret (standard-webhooks: whsec_... or whsk_... for v1a)")
    s.add_argument("--secret-file", metavar="F", help="read the secret from the first line of F")
    s.add_argument("--sign-time", type=int, metavar="UNIX",
                   help="signature timestamp (default: now, so a wall-clock tolerance check passes; "
                        "give it for byte-identical output)")
    s.add_argument("--cases", metavar="LIST",
                   help="comma list cycled over sessions: " + ",".join(CASES) + " (default valid)")
    s.add_argument("--max-body", type=posint, metavar="N",
                   help="the endpoint's max_body; too_large bodies are N+1 bytes")
    s.add_argument("--sign-opt", action="append", metavar="K=V",
                   help="provider option for hp_sign.py, repeatable (e.g. header_prefix=svix, legacy_sha1=1, "
                        "scheme=https, template={id}.{timestamp}.{body})")

    t = sub.add_parser("traffic", help="a labelled traffic class for training the ML model")
    t.add_argument("-o", "--output", required=True, help="output pcap")
    t.add_argument("--class", dest="cls", required=True, choices=sorted(TRAFFIC_CLASSES),
                   help="normal (label 0) or an anomaly (label 1)")
    t.add_argument("--requests", type=posint, default=500, help="requests (default 500)")
    t.add_argument("--seed", type=int, default=1, help="RNG seed (default 1)")
    t.add_argument("--host", default="hooks.example.com", help="Host header")
    t.add_argument("--provider", help="sign as this provider (see webhooks --provider)")
    t.add_argument("--secret", help="signing secret")
    t.add_argument("--labels", metavar="FILE.json", help="write the class and label here")
    t.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")

    d = sub.add_parser("decode-cases", help="small pcaps + cases.json for decoder/defrag tests")
    add_common(d)

    f = sub.add_parser("flood", help="N copies of one frame for benchmarks")
    add_common(f)
    add_l2(f)
    f.add_argument("--count", type=posint, default=100000, help="frames (default 100000)")
    f.add_argument("--size", type=int, default=64, help="frame size incl. 4-byte FCS, RFC 2544 style (default 64)")
    f.add_argument("--proto", choices=("udp", "tcp"), default="udp",
                   help="udp, or tcp = a webhook POST data segment (default udp)")
    f.add_argument("--flows", type=posint, default=1, help="distinct source ports, cycled (default 1)")
    f.add_argument("--port", type=int, default=8080, help="destination port (default 8080)")
    f.add_argument("--host", action="append", help=argparse.SUPPRESS)
    f.add_argument("--path", action="append", help=argparse.SUPPRESS)
    return ap


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    cmds = ("webhooks", "decode-cases", "flood", "traffic")
    if len(argv) > 1 and argv[0] in ("-q", "--quiet") and argv[1] in cmds:
        argv[0], argv[1] = argv[1], argv[0]
    if not argv or (argv[0] not in cmds + ("-h", "--help")):
        argv.insert(0, "webhooks")
    args = build_parser().parse_args(argv)
    if args.cmd == "webhooks":
        if args.ip_frag is not None and args.ip_frag < (56 if args.ipv6 else 28):
            raise SystemExit("--ip-frag MTU too small")
        if args.body_size < 0:
            raise SystemExit("--body-size must be >= 0")
        return cmd_webhooks(args)
    if args.cmd == "flood":
        return cmd_flood(args)
    if args.cmd == "traffic":
        return cmd_traffic(args)
    return cmd_decode_cases(args)


if __name__ == "__main__":
    sys.exit(main())
