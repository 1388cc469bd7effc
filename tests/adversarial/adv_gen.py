#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""adv_gen - traffic for the adversarial suite (tests/adversarial/test_adversarial.py) and
tests/bench/bench_flood.py: signed webhook sessions, good and forged, mixed with the floods and
tricks an attacker would use against an inline verifier.

Frames are built with the raw header builders of pktgen-scripts/hp_pcapgen.py (struct, ~2 us a
frame; never scapy) and written with its pcap writer. Webhooks are signed by
pktgen-scripts/hp_sign.py (stripe scheme, an implementation independent of lib/verify); a
FORGED webhook is a good one whose body was changed after signing (hp_pcapgen.tamper: one digit
of "created"), so its signature is bad and nothing else tells it apart.

Addresses (every pcap stays in a temp dir; nothing is sent anywhere):
  webhook clients   198.18.0.0/16 and fd00:198:18::/48, one address (or port) per connection
  servers           198.19.0.1 and fd00:198:19::1, TCP port 8080 (a default guarded port)
  flood sources     10.0.0.0/8 (random), 10.255.255.1 (the "one source" of a flood)
so that a test can pick the webhook frames out of a flood by the client address alone
(select_clients()) before tshark reads them.

Every webhook has a unique id: the body's "id" (stripe's webhook_id in events), an
X-Delivery-Id header and the last element of its path (/hooks/adv/<id>), so an event and the
server-side bytes can be matched to it. Each request's manifest entry gives the client end, the
TCP sequence number of its first and of its final byte, and the verdict it must get.

Command line (one case a call; the tests import the module instead):
  adv_gen.py sessions -o S.pcap --manifest M.json [--good 1000 --forged 100]
  adv_gen.py syn-flood -o F.pcap --manifest M.json [--count 2000000]
  ... (adv_gen.py -h lists every case)
"""
import argparse
import ipaddress
import json
import os
import random
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "pktgen-scripts"))
import hp_pcapgen as pg  # noqa: E402
import hp_sign  # noqa: E402

HOST = "hooks.example.com"
PROVIDER = "stripe"
SECRET = "whsec_hookpath_adversarial_0123456789"
PORT = 8080
PATH_PREFIX = "/hooks"
MAC_C = pg.mac_bytes("02:00:00:00:00:01")
MAC_S = pg.mac_bytes("02:00:00:00:00:02")
SERVER4 = ipaddress.IPv4Address("198.19.0.1")
SERVER6 = ipaddress.IPv6Address("fd00:198:19::1")
CLIENT4_BASE = int(ipaddress.IPv4Address("198.18.0.1"))
CLIENT6_BASE = int(ipaddress.IPv6Address("fd00:198:18::1:0"))
CLIENT4_PREFIX = bytes([198, 18])                      # 198.18.0.0/16
CLIENT6_PREFIX = ipaddress.IPv6Address("fd00:198:18::").packed[:6]  # fd00:198:18::/48
ONE_SOURCE = ipaddress.IPv4Address("10.255.255.1").packed
TH_FIN, TH_SYN, TH_RST, TH_PSH, TH_ACK = pg.TH_FIN, pg.TH_SYN, pg.TH_RST, pg.TH_PSH, pg.TH_ACK
MSS_OPT = struct.pack("!BBH", 2, 4, 1460)
ETH4_C = pg.eth_header(MAC_S, MAC_C, pg.ETH_IPV4)  # client -> server
ETH4_S = pg.eth_header(MAC_C, MAC_S, pg.ETH_IPV4)
ETH6_C = pg.eth_header(MAC_S, MAC_C, pg.ETH_IPV6)
ETH6_S = pg.eth_header(MAC_C, MAC_S, pg.ETH_IPV6)


def sign_time_now():
    """Signatures carry the wall clock: hookpath checks the timestamp against its own clock."""
    return int(time.time())


# --------------------------------------------------------------------------
# one TCP connection
# --------------------------------------------------------------------------
class Conn:
    """The frames of one TCP connection between a webhook client and the server. Methods return
    lists of frames (bytes) in the order a capture in front of the server would see them; the
    caller decides how to mix them with other traffic."""

    def __init__(self, index, rng, v6=False, frag_mtu=None, cport=None, client=None):
        self.v6 = v6
        self.rng = rng
        self.frag_mtu = frag_mtu
        if client is None:
            if v6:
                client = ipaddress.IPv6Address(CLIENT6_BASE + index)
            else:
                client = ipaddress.IPv4Address(CLIENT4_BASE + index % 65000)
        self.caddr = client
        self.c = client.packed
        self.s = (SERVER6 if v6 else SERVER4).packed
        self.cport = cport if cport is not None else 20000 + (index // 65000) * 7 + rng.randrange(7)
        self.sport = PORT
        self.c_nxt = rng.getrandbits(32)
        self.s_nxt = rng.getrandbits(32)
        self.c_id = rng.getrandbits(32 if v6 else 16)
        self.s_id = rng.getrandbits(32 if v6 else 16)

    @property
    def client(self):
        fmt = "[%s]:%d" if self.v6 else "%s:%d"
        return fmt % (self.caddr, self.cport)

    def pkt(self, from_client, flags, seq, ack, payload=b"", opts=b"", frag_mtu=None):
        """Frames carrying one TCP segment (several when it is IP-fragmented)."""
        if from_client:
            src, dst, sp, dp = self.c, self.s, self.cport, self.sport
        else:
            src, dst, sp, dp = self.s, self.c, self.sport, self.cport
        seg = pg.tcp_segment(src, dst, sp, dp, seq, ack, flags, payload, opts=opts)
        mtu = frag_mtu if frag_mtu is not None else self.frag_mtu
        if self.v6:
            eth = ETH6_C if from_client else ETH6_S
            ident = self.c_id if from_client else self.s_id
            ips = pg.ip6_packets(src, dst, pg.PROTO_TCP, seg, ident, mtu)
            if len(ips) > 1:
                if from_client:
                    self.c_id = (self.c_id + 1) & 0xFFFFFFFF
                else:
                    self.s_id = (self.s_id + 1) & 0xFFFFFFFF
        else:
            eth = ETH4_C if from_client else ETH4_S
            ident = self.c_id if from_client else self.s_id
            ips = pg.ip4_packets(src, dst, pg.PROTO_TCP, seg, ident, df=mtu is None, mtu=mtu)
            if from_client:
                self.c_id = (self.c_id + 1) & 0xFFFF
            else:
                self.s_id = (self.s_id + 1) & 0xFFFF
        return [eth + p for p in ips]

    def syn(self):
        return self.pkt(True, TH_SYN, self.c_nxt, 0, opts=MSS_OPT)

    def handshake(self):
        out = self.syn()
        out += self.pkt(False, TH_SYN | TH_ACK, self.s_nxt, self.c_nxt + 1, opts=MSS_OPT)
        self.c_nxt = (self.c_nxt + 1) & 0xFFFFFFFF
        self.s_nxt = (self.s_nxt + 1) & 0xFFFFFFFF
        out += self.pkt(True, TH_ACK, self.c_nxt, self.s_nxt)
        return out

    def request(self, raw, seg_size=1460, order=None, frag_mtu=None, ack_every=2):
        """Send raw (client -> server) in segments of seg_size; the server ACKs every ack_every
        in-order segments and at the end. order: a list of segment indexes (default in order;
        an index may repeat: a retransmission). Returns (frames, first_seq, final_seq)."""
        base = self.c_nxt
        first = base
        segs = [(o, raw[o:o + seg_size]) for o in range(0, len(raw), seg_size)]
        idx = list(range(len(segs))) if order is None else order
        out, have, cum, pending = [], set(), 0, 0
        for i in idx:
            off, chunk = segs[i]
            flags = TH_ACK | (TH_PSH if i == len(segs) - 1 else 0)
            out += self.pkt(True, flags, base + off, self.s_nxt, chunk, frag_mtu=frag_mtu)
            ooo = off != cum
            have.add(i)
            while True:
                j = next((k for k in have if segs[k][0] == cum), None)
                if j is None:
                    break
                cum += len(segs[j][1])
                have.discard(j)
            pending += 1
            if ooo or pending >= ack_every or cum == len(raw):
                out += self.pkt(False, TH_ACK, self.s_nxt, base + cum)
                pending = 0
        self.c_nxt = (base + len(raw)) & 0xFFFFFFFF
        return out, first, (base + len(raw) - 1) & 0xFFFFFFFF

    def response(self):
        out = self.pkt(False, TH_ACK | TH_PSH, self.s_nxt, self.c_nxt, pg.RESPONSE)
        self.s_nxt = (self.s_nxt + len(pg.RESPONSE)) & 0xFFFFFFFF
        out += self.pkt(True, TH_ACK, self.c_nxt, self.s_nxt)
        return out

    def close(self):
        out = self.pkt(True, TH_FIN | TH_ACK, self.c_nxt, self.s_nxt)
        self.c_nxt = (self.c_nxt + 1) & 0xFFFFFFFF
        out += self.pkt(False, TH_FIN | TH_ACK, self.s_nxt, self.c_nxt)
        self.s_nxt = (self.s_nxt + 1) & 0xFFFFFFFF
        out += self.pkt(True, TH_ACK, self.c_nxt, self.s_nxt)
        return out


# --------------------------------------------------------------------------
# requests
# --------------------------------------------------------------------------
class Plan:
    """Ids, signing and the manifest of the requests of one pcap."""

    def __init__(self, rng, sign_time=None, tag="adv"):
        self.rng = rng
        self.sign_time = sign_time if sign_time is not None else sign_time_now()
        self.tag = tag
        self.requests = []
        self.n = 0
        self.host = HOST  # the Host header the next webhooks carry

    def new_id(self, kind):
        self.n += 1
        return "evt_%s_%s_%06d" % (self.tag, kind, self.n)

    def body(self, wid, size):
        return pg.make_body(self.rng, self.n, size, self.sign_time, evt_id=wid)

    def signed(self, wid, body, prefix=PATH_PREFIX):
        """(target, [header lines]) of a stripe-signed request carrying body, to
        prefix/adv/<id> (the endpoint's path_prefix unless told otherwise)."""
        path = "%s/adv/%s" % (prefix, wid)
        target, hdrs = hp_sign.sign_request(PROVIDER, SECRET, body, method="POST", host=HOST,
                                            target=path, timestamp=self.sign_time, webhook_id=wid)
        return target, ["%s: %s" % kv for kv in hdrs] + ["X-Delivery-Id: %s" % wid]

    def webhook(self, forged, body_size=600, size=None):
        """(raw request, manifest entry) of a good or forged webhook. size: the exact length of
        the whole request (the body is sized to fit)."""
        kind = "forged" if forged else "good"
        wid = self.new_id(kind)
        if size is not None:
            probe = self._raw(wid, self.body(wid, 100), forged)
            body_size = max(64, size - (len(probe) - 100))
            for _ in range(3):  # Content-Length digits may change the head's length
                raw = self._raw(wid, self.body(wid, body_size), forged)
                if len(raw) == size:
                    break
                body_size += size - len(raw)
        body = self.body(wid, body_size)
        raw = self._raw(wid, body, forged)
        if size is not None and len(raw) != size:
            raise ValueError("cannot size a request to %d bytes (got %d)" % (size, len(raw)))
        ent = {"id": wid, "kind": kind, "uri": "%s/adv/%s" % (PATH_PREFIX, wid), "len": len(raw),
               "body_len": len(body),
               "expect": {"verdict": "reject", "reason": "bad_signature"} if forged
               else {"verdict": "accept", "reason": "ok"}}
        return raw, ent

    def _raw(self, wid, body, forged):
        target, hdrs = self.signed(wid, body)
        if forged:
            body = pg.tamper(body)
        return pg.make_request("POST", target, self.host, body, hdrs)

    def add(self, ent, conn, first, final):
        ent = dict(ent, client=conn.client, v6=conn.v6, first_seq=first, final_seq=final)
        self.requests.append(ent)
        return ent


def session(plan, conn, forged, body_size=600, seg_size=1460, size=None, close=True, **kw):
    """Frames of a whole connection carrying one webhook: handshake, request, the server's
    answer, FIN both ways. Returns (frames, manifest entry)."""
    raw, ent = plan.webhook(forged, body_size=body_size, size=size)
    out = conn.handshake()
    data, first, final = conn.request(raw, seg_size=seg_size, **kw)
    out += data
    out += conn.response()
    if close:
        out += conn.close()
    return out, plan.add(ent, conn, first, final)


# --------------------------------------------------------------------------
# flood frames (fresh tuples, never the webhook client range)
# --------------------------------------------------------------------------
def rand_src(rng):
    return bytes([10, rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)])


def syn_frame(rng, src=None, dport=PORT):
    """A SYN from a spoofed source and random port to the server."""
    src = src or rand_src(rng)
    seg = pg.tcp_segment(src, SERVER4.packed, rng.randrange(1024, 65536), dport,
                         rng.getrandbits(32), 0, TH_SYN, opts=MSS_OPT)
    return ETH4_C + pg.ip4_header(src, SERVER4.packed, pg.PROTO_TCP, len(seg),
                                  rng.getrandbits(16), 0x4000) + seg


SLOW_HEAD = ("POST %s/adv/slow HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
             "X-Slowloris: " % (PATH_PREFIX, HOST)).encode()


def slowloris_frames(rng, i):
    """A connection that completes its handshake and sends a partial request head, never
    finished (SYN, SYN-ACK, ACK, head segment)."""
    src = ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.0.0.0")) + 1 + i % 16000000).packed
    c = Conn(0, rng, client=ipaddress.IPv4Address(src), cport=1024 + rng.randrange(64000))
    out = c.handshake()
    out += c.pkt(True, TH_ACK | TH_PSH, c.c_nxt, c.s_nxt, SLOW_HEAD)
    return out


def first_fragment(rng, src):
    """The first fragment (offset 0, MF) of a TCP datagram to the server's guarded port,
    never completed: 20 bytes of TCP header and 28 of payload."""
    seg = pg.tcp_segment(src, SERVER4.packed, rng.randrange(1024, 65536), PORT,
                         rng.getrandbits(32), rng.getrandbits(32), TH_ACK | TH_PSH,
                         b"POST /hooks/adv/frag HTTP/1.1\r\n"[:28])
    return ETH4_C + pg.ip4_header(src, SERVER4.packed, pg.PROTO_TCP, len(seg),
                                  rng.getrandbits(16), 0x2000) + seg


GARBAGE_KINDS = ("random", "ipv4_random", "truncated", "bad_ip_csum", "bad_tcp_csum")


def garbage_frame(rng, kind):
    """One frame of garbage: random bytes with a random ethertype, ethertype IPv4 with random
    content, a TCP/IPv4 frame to the server cut inside its headers, or a TCP/IPv4 frame to the
    server with a wrong IPv4 or TCP checksum."""
    if kind == "random":
        return os.urandom(rng.randrange(14, 300))
    if kind == "ipv4_random":
        return ETH4_C + os.urandom(rng.randrange(0, 300))
    src = rand_src(rng)
    pay = b"POST /hooks/adv/garbage HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\n"
    seg = pg.tcp_segment(src, SERVER4.packed, rng.randrange(1024, 65536), PORT,
                         rng.getrandbits(32), rng.getrandbits(32), TH_ACK | TH_PSH, pay)
    if kind == "bad_tcp_csum":
        seg = pg.corrupt16(seg, 16)
    ip = pg.ip4_header(src, SERVER4.packed, pg.PROTO_TCP, len(seg), rng.getrandbits(16), 0x4000)
    if kind == "bad_ip_csum":
        ip = pg.corrupt16(ip, 10)
    fr = ETH4_C + ip + seg
    if kind == "truncated":
        return fr[:rng.randrange(14, 14 + 20 + 20)]
    return fr


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------
class Writer:
    """pcap writer counting frames (hp_pcapgen.PcapWriter; 10 us between frames)."""

    def __init__(self, path):
        self.w = pg.PcapWriter(path)
        self.n = 0
        self.t0 = pg.DEFAULT_START * 1000000

    def put(self, frame):
        self.w.write(self.t0 + self.n * 10, frame)
        self.n += 1

    def put_all(self, frames):
        for f in frames:
            self.put(f)

    def close(self):
        self.w.close()
        return self.n


def write_mixed(path, sessions, flood, count):
    """sessions: a list of frame lists (one per connection, sent one after the other); flood:
    a function (k) -> frames for the k-th flood unit; count: flood units. The flood is spread
    evenly before and between the session frames, so that every session runs inside it.
    Returns the number of frames written."""
    w = Writer(path)
    flat = [f for s in sessions for f in s]
    per = count / (len(flat) + 1)
    done = 0
    for i, f in enumerate(flat):
        want = int(per * (i + 1))
        while done < want:
            w.put_all(flood(done))
            done += 1
        w.put(f)
    while done < count:
        w.put_all(flood(done))
        done += 1
    return w.close()


def write_manifest(path, doc):
    if path:
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


# --------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------
def build_sessions(seed, good, forged, sign_time=None, v6=False, frag_mtu=None, body_size=600,
                   seg_size=1460, first_index=1, tag="s"):
    """good + forged webhook connections (forged ones spread evenly among the good), each
    complete and closed. Returns (list of frame lists, manifest dict)."""
    rng = random.Random(seed)
    plan = Plan(rng, sign_time, tag)
    total = good + forged
    forged_at = {int((k + 0.5) * total / forged) for k in range(forged)} if forged else set()
    sessions = []
    for i in range(total):
        c = Conn(first_index + i, rng, v6=v6, frag_mtu=frag_mtu)
        fr, _ = session(plan, c, i in forged_at, body_size=body_size, seg_size=seg_size)
        sessions.append(fr)
    return sessions, {"requests": plan.requests, "sign_time": plan.sign_time}


def case_burst_evict(path, seed=1, sign_time=None, flows_max=64, good=6, forged=6):
    """Case 1: flows.max filled by SYNs of other connections; then webhook sessions each of
    whose frames is immediately followed by one new SYN (same rx burst)."""
    rng = random.Random(seed)
    plan = Plan(rng, sign_time, "evict")
    w = Writer(path)
    for _ in range(flows_max):
        w.put(syn_frame(rng))
    syns = flows_max
    for i in range(good + forged):
        c = Conn(1 + i, rng)
        fr, _ = session(plan, c, i % 2 == 1)
        for f in fr:
            w.put(f)
            w.put(syn_frame(rng))
            syns += 1
    return {"frames": w.close(), "syns": syns, "requests": plan.requests,
            "sign_time": plan.sign_time}


def flood_syn(seed):
    rng = random.Random(seed)
    return lambda k: [syn_frame(rng)]


def flood_slowloris(seed):
    rng = random.Random(seed)
    return lambda k: slowloris_frames(rng, k)


CHURN_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: status.example.net\r\nAccept: */*\r\n\r\n"


def flood_churn(seed):
    """Short connections from the flood range: handshake, an unrouted GET (verdict pass), the
    server's answer, FIN both ways (10 frames a unit). Each takes a flow and an HTTP session
    and gives them back."""
    rng = random.Random(seed)

    def unit(k):
        src = ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.64.0.0")) + 1 + k % 4000000)
        c = Conn(0, rng, client=src, cport=1024 + rng.randrange(64000))
        out = c.handshake()
        out += c.request(CHURN_REQUEST)[0]
        out += c.response()
        out += c.close()
        return out

    return unit


def flood_first_fragments(seed):
    """Never-completed first fragments, alternately from a random source and from one source."""
    rng = random.Random(seed)
    return lambda k: [first_fragment(rng, rand_src(rng) if k % 2 else ONE_SOURCE)]


def flood_garbage(seed):
    rng = random.Random(seed)
    return lambda k: [garbage_frame(rng, GARBAGE_KINDS[k % len(GARBAGE_KINDS)])]


def flood_ooo(seed, flows, segs_per_flow, seg_len=100, hole=1000):
    """Connections that complete their handshake and then send segments ahead of a hole they
    never fill (the first `hole` bytes are never sent). Units: flows handshakes first, then
    their segments round robin; one unit per frame."""
    rng = random.Random(seed)
    conns = []
    for i in range(flows):
        src = ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.128.0.0")) + 1 + i)
        conns.append(Conn(0, rng, client=src, cport=1024 + rng.randrange(64000)))
    hs = [c.handshake() for c in conns]
    payload = b"x" * seg_len

    def unit(k):
        if k < flows:
            return hs[k]
        k -= flows
        c = conns[k % flows]
        j = k // flows
        if j >= segs_per_flow:
            return []
        return c.pkt(True, TH_ACK, c.c_nxt + hole + j * seg_len, c.s_nxt, payload)

    return unit, flows + flows * segs_per_flow


def garbage_injections(sessions_frames, manifest, rng):
    """Before the final data segment of every webhook, a copy with a wrong TCP checksum and
    other bytes: a tampered copy for a good webhook, the original (validly signed) body for a
    forged one. A receiver drops both; an inspector that took them would verify other bytes
    than the server gets."""
    out = []
    for frames, req in zip(sessions_frames, manifest["requests"]):
        new = []
        for f in frames:
            if is_final_segment(f, req):
                bad = bytearray(f)
                # the payload's last 16 bytes changed, checksum left as it was: wrong
                bad[-16:] = bytes(rng.randrange(256) for _ in range(16))
                new.append(bytes(bad))
            new.append(f)
        out.append(new)
    return out


def is_final_segment(frame, req):
    """Does this (unfragmented IPv4) client frame carry the request's final byte?"""
    if frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return False
    ihl = (frame[14] & 15) * 4
    tcp = 14 + ihl
    tot = struct.unpack_from("!H", frame, 16)[0]
    doff = (frame[tcp + 12] >> 4) * 4
    plen = tot - ihl - doff
    if plen <= 0:
        return False
    sport = struct.unpack_from("!H", frame, tcp)[0]
    if "%d.%d.%d.%d:%d" % (frame[26], frame[27], frame[28], frame[29], sport) != req["client"]:
        return False
    seq = struct.unpack_from("!I", frame, tcp + 4)[0]
    return (req["final_seq"] - seq) & 0xFFFFFFFF < plen


def case_churn(path, seed=4, sign_time=None, total=3000, forged=200):
    """Case 4: sequential, properly closed connections, one webhook each."""
    sessions, man = build_sessions(seed, total - forged, forged, sign_time, tag="churn")
    w = Writer(path)
    for s in sessions:
        w.put_all(s)
    man["frames"] = w.close()
    return man


# Case 9: secrets and emails across the PII scan's 64-byte blocks. name -> (the value, the
# index of the byte that breaks its prefilter). lib/pii's literal pass decides candidates from
# each block and the two bytes after it; a value whose prefix straddles a block edge, or that
# ends the body, is where a wrong mask would let it through.
PII_EDGE_VALUES = {
    "email": ("jane.doe@example.com", 8),
    "aws_access_key": ("AKIAIOSFODNN7EXAMPLE", 2),
    "github_token": ("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", 2),
    "github_pat": ("github_pat_11ABCDEFG0123456789abc_"
                   "defghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 2),
    "stripe_key": ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", 2),
    "slack_token": ("xoxb-1234567890-abcdefghij", 2),
    "jwt": ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", 2),
    "pem_private_key": ("-----BEGIN RSA PRIVATE KEY-----\\nMIIBOgIBAAJBAKj34GkxFhD9\\n"
                        "-----END RSA PRIVATE KEY-----", 2),
    # the digit-run pass's entities (its block events skip blocks where no run can start)
    "credit_card": ("4111111111111111", 2),
    # digits only at the edges of the rule that lets a long digit run go unvisited (no card
    # can be there): 13 digits not after a '1', and 15 after a '1' (UATP), each after a quote
    # (after the padding's spaces the token would start earlier, and that rule not apply);
    # broken in the middle, both halves are too short for a card
    "card_13": ('"4222222222008', 8),
    "card_15_after_1": ('"123456789012305', 8),
    # bare 9 and 10 digits are an SSN or an NHS number only with a context word in the 48 bytes
    # before them, and go unvisited when no word's first three bytes are there: the word here
    # starts exactly 48 bytes before the digits (the window's far edge); broken in the word,
    # there is no context and the digits are nothing
    "ssn_ctx_edge": ('ssn' + '_' * 44 + '"219099999', 1),
    "nhs_ctx_edge": ('NHS' + '_' * 44 + '"9434765919', 1),
    # a phone whose '+' is the separator right before its digits (the block scan settles a
    # short token from such separators only without '+', space or parenthesis among them),
    # and a North American one whose area code's first digit the phone try is skipped on
    "phone_plus_8": ('"+12345678', 1),
    "phone_nanp": ("(212) 555-1234", 1),
    # "(ddd)" with a first digit no area code has is settled without a visit when fewer than
    # 8 digits follow it (no span fits there): a dashed SSN after one has 9 and must be read
    "ssn_after_paren": ('"(011) 219-09-9999', 8),
    "ipv4": ("198.51.100.23", 2),
    # the longest dotted quad: its last group starts 12 bytes on, the farthest the IPv4 look
    # of the block scan reads (offsets 43 and 44 put its start on either side of that reach)
    "ipv4_max": ("255.255.255.255", 3),
    "iban": ("GB82WEST12345698765432", 2),
    "mac_address": ("00:1A:2B:3C:4D:5E", 2),
    "crypto_wallet": ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", 2),
    # found by the IPv6 test the literal pass makes on its blocks (its only colon pair is
    # "::": broken there, nothing is left to match)
    "ipv6": ("fe80::1", 4),
    # an address without "::" is tried only where 6 colons lie within its 45 bytes (ipv6_block);
    # this one has exactly 6, then a dotted quad (the event must name ipv6, not only ipv4);
    # broken at its first '.', it is 7 groups and nothing (no IPv4 in "1!2.3.4" either)
    "ipv6_quad": ("1:2:3:4:5:6:1.2.3.4", 13),
}
# the token pass's step edges, the literal pass's block edges, the edge of a group of eight
# steps (384, its first window from 376); 43 and 44: a start whose 12th byte on is the last
# of its step's window, or past it
PII_EDGE_OFFSETS = (43, 44, 46, 47, 48, 49, 62, 63, 64, 65, 94, 95, 96, 97, 126, 127, 128,
                    382, 383, 384, 385)
# ipv6 again past a time ("12:30:45") in each of the 64-byte blocks before it: the literal pass
# notes the first 32 such blocks for the IPv6 visits and the IPv6 pass takes over from the 33rd
# (block 33 starts at 2112), so a value there is found only if that hand-over works
PII_V6_FILLED_OFFSETS = (2046, 2047, 2048, 2049, 2110, 2111, 2112, 2113, 2174, 2175, 2176, 2177)
PII_V6_FILL = "12:30:45"


def pii_edge_request(plan, name, value, at, end, broken, filled=False):
    """(raw, manifest entry) of a stripe-signed webhook whose body holds value at body offset
    at, the body ending right after it (end) or closing its JSON; broken: one byte of the
    value's prefix replaced, so no prefilter matches and the webhook must go through; filled:
    PII_V6_FILL at the start of each 64-byte block before the value (after the head)."""
    value, cut = PII_EDGE_VALUES[name]
    if broken:
        value = value[:cut] + "!" + value[cut + 1:]
    wid = plan.new_id("pii")
    head = '{"id":"%s","s":"' % wid
    pad = [" "] * (at - len(head))
    for blk in range(64, at - len(PII_V6_FILL) - 1 if filled else 0, 64):
        if blk > len(head):
            pad[blk - len(head):blk - len(head) + len(PII_V6_FILL)] = PII_V6_FILL
    body = (head + "".join(pad) + value + ("" if end else '"}')).encode()
    target, hdrs = plan.signed(wid, body)
    raw = pg.make_request("POST", target, HOST, body, hdrs)
    ent = {"id": wid, "kind": "pii-%s%s" % (name, "-filled" if filled else ""), "uri": target,
           "len": len(raw), "body_len": len(body), "pii": name, "at": at, "end": end,
           "broken": broken, "filled": filled,
           "expect": {"verdict": "accept", "reason": "ok"} if broken
           else {"verdict": "reject", "reason": "pii_blocked"}}
    return raw, ent


def case_pii_edges(path, seed=9, sign_time=None):
    """Case 9: each PII_EDGE_VALUES value at each PII_EDGE_OFFSETS offset (and ipv6 at each
    PII_V6_FILLED_OFFSETS offset after a time in every block), ending the body or not, once
    whole (blocked) and once broken (accepted), one connection each."""
    rng = random.Random(seed)
    plan = Plan(rng, sign_time, "piiedge")
    w = Writer(path)
    i = 0
    cases = [(name, at, False) for name in PII_EDGE_VALUES for at in PII_EDGE_OFFSETS]
    cases += [("ipv6", at, True) for at in PII_V6_FILLED_OFFSETS]
    for name, at, filled in cases:
        value = PII_EDGE_VALUES[name][0]
        for end in (False, True):
            for broken in (False, True):
                i += 1
                c = Conn(i, rng)
                raw, ent = pii_edge_request(plan, name, value, at, end, broken, filled)
                w.put_all(c.handshake())
                fr, first, final = c.request(raw, seg_size=100)
                w.put_all(fr)
                w.put_all(c.response())
                w.put_all(c.close())
                plan.add(ent, c, first, final)
    return {"frames": w.close(), "requests": plan.requests, "sign_time": plan.sign_time}


# Case 5: framing errors in the request head. name -> (head lines after Host and the
# signature, body transform, expected reason[, request line with %s for the target])
def _chunked(body):
    return pg.chunk_body(body, 256)


FRAMING = {
    "te_and_cl": (lambda b: ["Transfer-Encoding: chunked",
                             "Content-Length: %d" % len(_chunked(b))], _chunked, "http_smuggling"),
    "cl_cl_differ": (lambda b: ["Content-Length: %d" % len(b), "Content-Length: %d" % (len(b) + 1)],
                     lambda b: b + b"x", "http_smuggling"),
    # a Transfer-Encoding folded into the previous field (a parser that unfolds does not see
    # it; one that does not unfold sees a chunked body)
    "obs_fold_te": (lambda b: ["X-Note: a", " Transfer-Encoding: chunked"], _chunked,
                    "http_smuggling"),
    "te_chunked_identity": (lambda b: ["Transfer-Encoding: chunked, identity"], _chunked,
                            "http_smuggling"),
    "cl_negative": (lambda b: ["Content-Length: -5"], None, "http_smuggling"),
    "cl_plus": (lambda b: ["Content-Length: +5"], None, "http_smuggling"),
    "cl_hex": (lambda b: ["Content-Length: 0x5"], None, "http_smuggling"),
    "cl_2p64_plus_5": (lambda b: ["Content-Length: 18446744073709551621"], None, "http_smuggling"),
    "bare_cr": (lambda b: ["X-Note: a\rb", "Content-Length: %d" % len(b)], None, "http_smuggling"),
    "bare_lf": (lambda b: ["X-Note: a\nContent-Length: %d" % len(b)], None, "http_smuggling"),
    "nul_byte": (lambda b: ["X-Note: a\0b", "Content-Length: %d" % len(b)], None, "http_malformed"),
    "line_100k": (lambda b: ["X-Long: " + "a" * 100000, "Content-Length: %d" % len(b)], None,
                  "http_line_too_long"),
    "headers_10k": (lambda b: ["X-H%05d: v" % i for i in range(10000)] +
                    ["Content-Length: %d" % len(b)], None, "http_too_many_headers"),
    # request lines that fail after their method and target parsed (the event keeps both,
    # and routes by them): a lenient server might take either as HTTP/1.1
    "version_9_9": (lambda b: ["Content-Length: %d" % len(b)], None, "http_malformed",
                    "POST %s HTTP/9.9"),
    "version_trailing": (lambda b: ["Content-Length: %d" % len(b)], None, "http_malformed",
                         "POST %s HTTP/1.1 x"),
}


UNROUTED_PREFIX = "/status"  # no endpoint matches it


def framing_request(plan, name, unrouted=False):
    """(raw, manifest entry) of a request of FRAMING case name, carrying a forged body (to a
    path no endpoint matches with unrouted)."""
    lines_of, transform, reason = FRAMING[name][:3]
    request_line = FRAMING[name][3] if len(FRAMING[name]) > 3 else "POST %s HTTP/1.1"
    wid = plan.new_id("framing")
    body = plan.body(wid, 600)
    target, sig = plan.signed(wid, body, UNROUTED_PREFIX if unrouted else PATH_PREFIX)
    body = pg.tamper(body)
    payload = transform(body) if transform else body
    head = [request_line % target, "Host: %s" % HOST, "Content-Type: application/json"]
    head += sig + lines_of(body)
    raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload
    ent = {"id": wid, "kind": "framing", "framing": name, "uri": target, "len": len(raw),
           "body_len": len(body), "expect": {"verdict": "reject", "reason": reason}}
    return raw, ent


def case_framing(path, seed=5, sign_time=None, good_after=2, unrouted=False):
    """Case 5: one connection per framing error, then good webhooks (the bridge goes on).
    unrouted: the framing errors go to a path no endpoint matches."""
    rng = random.Random(seed)
    plan = Plan(rng, sign_time, "framing")
    w = Writer(path)
    i = 0
    for name in FRAMING:
        i += 1
        c = Conn(i, rng)
        raw, ent = framing_request(plan, name, unrouted)
        w.put_all(c.handshake())
        fr, first, final = c.request(raw)
        w.put_all(fr)
        w.put_all(c.response())
        w.put_all(c.close())
        plan.add(ent, c, first, final)
    for _ in range(good_after):
        i += 1
        fr, _ = session(plan, Conn(i, rng), False)
        w.put_all(fr)
    return {"frames": w.close(), "requests": plan.requests, "sign_time": plan.sign_time}


# Host forms of the guarded endpoint's host that a server takes as that host: case, port,
# final dot (RFC 9110 §4.2.3, RFC 1034 §3.1)
ROUTE_HOSTS = ("hooks.example.com", "HOOKS.EXAMPLE.COM", "Hooks.Example.Com:8080",
               "hooks.example.com.", "hOOks.example.COM.:443")


def case_routing(path, seed=10, sign_time=None):
    """Routing case: for each Host form of ROUTE_HOSTS, one good and two forged webhooks, each
    on its own connection."""
    rng = random.Random(seed)
    plan = Plan(rng, sign_time, "routing")
    w = Writer(path)
    i = 0
    for host in ROUTE_HOSTS:
        plan.host = host
        for forged in (False, True, True):
            i += 1
            fr, ent = session(plan, Conn(i, rng), forged)
            ent["host"] = host
            w.put_all(fr)
    return {"frames": w.close(), "requests": plan.requests, "sign_time": plan.sign_time}


def case_ooo(path, seed=6, sign_time=None, body_segs=300, seg_len=10):
    """Case 6: for a forged and a good webhook: the head segment held back behind body_segs
    small body segments (each answered by a duplicate ACK), then the head, then the sender's
    retransmission of every body segment in order."""
    rng = random.Random(seed)
    plan = Plan(rng, sign_time, "ooo")
    w = Writer(path)
    for i, forged in enumerate((True, False, True, False)):
        c = Conn(1 + i, rng)
        w.put_all(c.handshake())
        raw, ent = plan.webhook(forged, body_size=body_segs * seg_len)
        head_len = raw.index(b"\r\n\r\n") + 4
        base = c.c_nxt
        body = raw[head_len:]
        segs = [(head_len + o, body[o:o + seg_len]) for o in range(0, len(body), seg_len)]
        for off, chunk in segs:  # ahead of the hole: the receiver answers each with a dup ACK
            w.put_all(c.pkt(True, TH_ACK, base + off, c.s_nxt, chunk))
            w.put_all(c.pkt(False, TH_ACK, c.s_nxt, base))
        w.put_all(c.pkt(True, TH_ACK, base, c.s_nxt, raw[:head_len]))
        w.put_all(c.pkt(False, TH_ACK, c.s_nxt, base + head_len))
        for k, (off, chunk) in enumerate(segs):  # retransmission, in order
            flags = TH_ACK | (TH_PSH if k == len(segs) - 1 else 0)
            w.put_all(c.pkt(True, flags, base + off, c.s_nxt, chunk))
            if k % 2 or k == len(segs) - 1:
                w.put_all(c.pkt(False, TH_ACK, c.s_nxt, base + off + len(chunk)))
        c.c_nxt = (base + len(raw)) & 0xFFFFFFFF
        w.put_all(c.response())
        w.put_all(c.close())
        plan.add(ent, c, base, (base + len(raw) - 1) & 0xFFFFFFFF)
    return {"frames": w.close(), "requests": plan.requests, "sign_time": plan.sign_time,
            "body_segs": body_segs}


def case_frag(path, seed=7, sign_time=None):
    """Case 7 (no flood): IP-fragmented webhooks, good and forged: IPv4 at MTU 576 (3
    fragments a request), IPv4 datagrams of 40 fragments (MTU 68), IPv6 at MTU 1280 and IPv6
    datagrams of 40 fragments (MTU 96); one forged request with its fragments in reverse order."""
    rng = random.Random(seed)
    plan = Plan(rng, sign_time, "frag")
    w = Writer(path)
    i = 0
    shapes = [  # (v6, frag mtu, request size, tcp segment size, what)
        (False, 576, None, 1460, "ipv4_mtu576"),
        (False, 68, 1900, 1900, "ipv4_40_fragments"),
        (True, 1280, 1900, 1900, "ipv6_mtu1280"),
        (True, 96, 1900, 1900, "ipv6_40_fragments"),
    ]
    for v6, mtu, size, seg, what in shapes:
        for forged in (False, True, False, True):
            i += 1
            c = Conn(i, rng, v6=v6)
            fr, ent = session(plan, c, forged, size=size, seg_size=seg, frag_mtu=mtu)
            ent["shape"] = what
            w.put_all(fr)
    # one forged request whose fragments come last first
    i += 1
    c = Conn(i, rng)
    raw, ent = plan.webhook(True)
    w.put_all(c.handshake())
    base = c.c_nxt
    frags = c.pkt(True, TH_ACK | TH_PSH, base, c.s_nxt, raw, frag_mtu=576)
    w.put_all(list(reversed(frags)))
    w.put_all(c.pkt(False, TH_ACK, c.s_nxt, base + len(raw)))
    c.c_nxt = (base + len(raw)) & 0xFFFFFFFF
    w.put_all(c.response())
    w.put_all(c.close())
    ent["shape"] = "ipv4_reversed"
    plan.add(ent, c, base, (base + len(raw) - 1) & 0xFFFFFFFF)
    return {"frames": w.close(), "requests": plan.requests, "sign_time": plan.sign_time}


def big_sessions(plan, rng, mss, body_size, n_good, n_forged, mixed=True):
    """Webhook connections with large bodies whose data segments carry up to mss bytes (frames
    of mss + 54 bytes). With mixed, the last pair is a forged connection in frames of mss next
    to a good one in 1460-byte frames, its completing frame the first of an rx burst (see
    write_big)."""
    conns = []
    for k in range(n_good + n_forged):
        forged = k >= n_good
        c = Conn(1 + k, rng)
        fr, ent = session(plan, c, forged, body_size=body_size, seg_size=mss)
        conns.append(fr)
    pair = None
    if mixed:
        cf = Conn(100, rng)
        cg = Conn(101, rng)
        raw_f, ent_f = plan.webhook(True, body_size=body_size)
        raw_g, ent_g = plan.webhook(False, body_size=body_size)
        hs = cf.handshake() + cg.handshake()
        df, ff, lf = cf.request(raw_f, seg_size=mss)
        dg, fg, lg = cg.request(raw_g, seg_size=1460)
        ent_f = plan.add(ent_f, cf, ff, lf)
        plan.add(ent_g, cg, fg, lg)
        tail = cf.response() + cg.response() + cf.close() + cg.close()
        pair = (hs, df, dg, tail, ent_f)
    return conns, pair


def write_big(path, conns, pair, burst=32):
    """Connections one after the other, then the mixed pair: the forged connection's data
    frames up to its completing one, padding (ARP) so that the completing frame is the first
    of an rx burst, then it, immediately followed by the good connection's small frames."""
    w = Writer(path)
    for fr in conns:
        w.put_all(fr)
    if pair:
        hs, df, dg, tail, ent_f = pair
        w.put_all(hs)
        last = max(k for k, f in enumerate(df) if f[12:14] == b"\x08\x00" and f[26:30] ==
                   ipaddress.IPv4Address(ent_f["client"].split(":")[0]).packed)
        w.put_all(df[:last])
        while w.n % burst:
            w.put(arp_frame(w.n))
        w.put(df[last])
        w.put_all(dg)
        w.put_all(df[last + 1:])
        w.put_all(tail)
    return w.close()


def arp_frame(k):
    """An ARP who-has request (carried by the bridge, never inspected)."""
    return (b"\xff" * 6 + MAC_C + struct.pack("!HHHBBH", pg.ETH_ARP, 1, 0x0800, 6, 4, 1) + MAC_C +
            bytes([198, 18, 255, 254]) + b"\0" * 6 + bytes([198, 19, 255, k % 250 + 1]))


def case_bigframes(paths, seed=8, sign_time=None, body_size=32400, n_good=3, n_forged=2):
    """Case 8: the same webhook connections (same signed bytes) in frames of each mss of paths
    (dict mss -> pcap path). Returns the manifest (the same requests for every path)."""
    man = None
    for mss, path in paths.items():
        rng = random.Random(seed)
        plan = Plan(rng, sign_time, "big")
        conns, pair = big_sessions(plan, rng, mss, body_size, n_good, n_forged)
        n = write_big(path, conns, pair)
        m = {"requests": plan.requests, "sign_time": plan.sign_time, "frames": n}
        if man is None:
            man = {"requests": plan.requests, "sign_time": plan.sign_time, "frames": {}}
        man["frames"][mss] = n
        assert [r["id"] for r in m["requests"]] == [r["id"] for r in man["requests"]]
    return man


# --------------------------------------------------------------------------
# selection and parsing helpers for the tests
# --------------------------------------------------------------------------
def iter_pcap(path):
    """(record header bytes, frame bytes) of each record of a classic little-endian pcap."""
    with open(path, "rb") as f:
        hdr = f.read(24)
        if hdr[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            raise ValueError("%s: not a little-endian pcap" % path)
        buf = f.read()
    off, n = 0, len(buf)
    unpack = struct.Struct("<IIII").unpack_from
    while off + 16 <= n:
        incl = unpack(buf, off)[2]
        yield buf[off:off + 16], buf[off + 16:off + 16 + incl]
        off += 16 + incl


def is_client_frame(fr):
    """Does this frame carry an IPv4/IPv6 packet from or to the webhook client range?"""
    et = fr[12:14]
    off = 14
    while et in (b"\x81\x00", b"\x88\xa8") and len(fr) >= off + 4:
        et = fr[off + 2:off + 4]
        off += 4
    if et == b"\x08\x00":
        return fr[off + 12:off + 14] == CLIENT4_PREFIX or fr[off + 16:off + 18] == CLIENT4_PREFIX
    if et == b"\x86\xdd":
        return fr[off + 8:off + 14] == CLIENT6_PREFIX or fr[off + 24:off + 30] == CLIENT6_PREFIX
    return False


def select_clients(src, dst):
    """Copy the frames of src that belong to webhook clients (is_client_frame) to dst, so that
    tshark reads thousands of frames instead of millions. Flood traffic never uses the client
    range. Returns (frames kept, frames read)."""
    kept = seen = 0
    with open(src, "rb") as f:
        hdr = f.read(24)
    with open(dst, "wb") as out:
        out.write(hdr)
        for rec, fr in iter_pcap(src):
            seen += 1
            if is_client_frame(fr):
                out.write(rec)
                out.write(fr)
                kept += 1
    return kept, seen


def client_tcp_segments(path, port=PORT):
    """A second oracle next to tshark, for IP fragments: client "ip:port" -> [(seq, payload
    length)] of the client->server TCP segments of a pcap, each datagram counted only if the
    fragments in the pcap cover it whole (first fragment with the TCP header, every byte up to
    the one without MF). Reassembled here from the fragment offsets, without tshark; untagged
    Ethernet, IPv4 and IPv6 (fragment header right after the IPv6 header, as adv_gen and
    hookpath write them)."""
    frags = {}
    out = {}

    def seg(src, sport_seg, v6):
        if len(sport_seg) < 20:
            return
        sp, dp, seq = struct.unpack_from("!HHI", sport_seg)
        doff = (sport_seg[12] >> 4) * 4
        if dp != port:
            return
        key = "[%s]:%d" % (ipaddress.IPv6Address(src), sp) if v6 else "%s:%d" % (
            ipaddress.IPv4Address(src), sp)
        out.setdefault(key, []).append((seq, len(sport_seg) - doff))

    for _, fr in iter_pcap(path):
        if fr[12:14] == b"\x08\x00":
            ip = fr[14:]
            ihl = (ip[0] & 15) * 4
            tot = struct.unpack_from("!H", ip, 2)[0]
            if ip[9] != 6:
                continue
            ff = struct.unpack_from("!H", ip, 6)[0]
            mf, off = ff & 0x2000, (ff & 0x1FFF) * 8
            body = ip[ihl:tot]
            if not mf and off == 0:
                seg(ip[12:16], body, False)
                continue
            key = (4, ip[12:16], ip[16:20], struct.unpack_from("!H", ip, 4)[0])
        elif fr[12:14] == b"\x86\xdd":
            ip = fr[14:]
            plen = struct.unpack_from("!H", ip, 4)[0]
            if ip[6] == 6:
                seg(ip[8:24], ip[40:40 + plen], True)
                continue
            if ip[6] != 44 or ip[40] != 6:
                continue
            fo = struct.unpack_from("!H", ip, 42)[0]
            mf, off = fo & 1, fo & 0xFFF8
            body = ip[48:40 + plen]
            key = (6, ip[8:24], ip[24:40], struct.unpack_from("!I", ip, 44)[0])
        else:
            continue
        d = frags.setdefault(key, {})
        d[off] = (body, bool(mf))
    for key, d in frags.items():
        buf, end, pos = bytearray(), None, 0
        for off in sorted(d):
            body, mf = d[off]
            if off > pos:
                break  # a hole
            buf[off:off + len(body)] = body
            pos = max(pos, off + len(body))
            if not mf:
                end = off + len(body)
        if end is not None and pos >= end and 0 in d:
            seg(key[1], bytes(buf[:end]), key[0] == 6)
    return out


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("case", choices=("sessions", "burst-evict", "syn-flood", "slowloris", "churn",
                                     "framing", "ooo", "frag", "frag-flood", "garbage",
                                     "ooo-flood", "churn-flood", "bigframes"))
    ap.add_argument("-o", "--output", required=True, help="pcap (bigframes: a prefix)")
    ap.add_argument("--manifest")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, help="flood size (units: frames, connections or segments)")
    ap.add_argument("--good", type=int, default=1000)
    ap.add_argument("--forged", type=int, default=100)
    ap.add_argument("--sign-time", type=int)
    a = ap.parse_args(argv)
    st = a.sign_time
    if a.case == "burst-evict":
        man = case_burst_evict(a.output, a.seed, st)
    elif a.case == "churn":
        man = case_churn(a.output, a.seed, st)
    elif a.case == "framing":
        man = case_framing(a.output, a.seed, st)
    elif a.case == "ooo":
        man = case_ooo(a.output, a.seed, st)
    elif a.case == "frag":
        man = case_frag(a.output, a.seed, st)
    elif a.case == "bigframes":
        man = case_bigframes({1460: a.output + "-1500.pcap", 8946: a.output + "-9000.pcap",
                              32700: a.output + "-32k.pcap"}, a.seed, st)
    else:
        frag = 576 if a.case == "frag-flood" else None
        sessions, man = build_sessions(a.seed, a.good, a.forged, st, frag_mtu=frag)
        if a.case == "sessions":
            w = Writer(a.output)
            for s in sessions:
                w.put_all(s)
            man["frames"] = w.close()
        else:
            count, flood = {
                "syn-flood": (2000000, flood_syn(a.seed)),
                "slowloris": (200000, flood_slowloris(a.seed)),
                "frag-flood": (1000000, flood_first_fragments(a.seed)),
                "garbage": (1000000, flood_garbage(a.seed)),
                "churn-flood": (100000, flood_churn(a.seed)),
            }.get(a.case, (None, None))
            if a.case == "garbage":
                sessions = garbage_injections(sessions, man, random.Random(a.seed))
            if a.case == "ooo-flood":
                n = a.count or 100000
                flood, count = flood_ooo(a.seed, 1000, n // 1000)
            elif a.count:
                count = a.count
            man["frames"] = write_mixed(a.output, sessions, flood, count)
            man["flood"] = {"case": a.case, "units": count}
    write_manifest(a.manifest, man)
    print("%s: %s frames" % (a.output, man["frames"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
