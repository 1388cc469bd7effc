#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves pktgen-scripts/hp_pcapgen.py output with tshark as the oracle.

Run: python3 tests/pcap/test_pcapgen.py [-v] [TestClass.test_name ...]
Environment: HP_PCAPGEN (generator path), TSHARK, CAPINFOS (tool paths).
Exit status: 0 all passed, 1 a failure, 77 (meson "skip") when tshark/capinfos are missing.
"""

import base64
import collections
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
GEN = os.environ.get("HP_PCAPGEN", os.path.join(ROOT, "pktgen-scripts", "hp_pcapgen.py"))
TSHARK = os.environ.get("TSHARK") or shutil.which("tshark")
CAPINFOS = os.environ.get("CAPINFOS") or shutil.which("capinfos")

# TCP reassembly the way the brief asks for it (both are needed for --reorder/--loss)
REASM = ["-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tcp.reassemble_out_of_order:TRUE",
         "-o", "http.desegment_headers:TRUE", "-o", "http.desegment_body:TRUE",
         "-o", "http.dechunk_body:TRUE"]
CSUM = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]
HTTP_FIELDS = ["frame.number", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport",
               "http.request.method", "http.request.uri", "http.host", "http.file_data"]
HEX_RE = re.compile(r"^(?:[0-9a-fA-F]{2})+$")
HEXCOLON_RE = re.compile(r"^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2})*$")


def run(cmd, timeout=600):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError("command failed (%d): %s\n%s" % (p.returncode, " ".join(cmd),
                                                              p.stderr.decode(errors="replace")))
    return p.stdout.decode("utf-8", errors="surrogateescape")


def gen(cmd, *args):
    return run([sys.executable, GEN, cmd, "-q"] + [str(a) for a in args])


def tshark(pcap, *args):
    return run([TSHARK, "-n", "-r", pcap] + list(args))


def tshark_fields(pcap, fields, dfilter, prefs=()):
    cmd = list(prefs) + ["-Y", dfilter, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
                         "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = tshark(pcap, *cmd)
    rows = []
    for line in out.split("\n"):
        if line:
            rows.append(line.split("\t"))
    return rows


def tshark_count(pcap, dfilter, prefs=()):
    return len(tshark_fields(pcap, ["frame.number"], dfilter, prefs))


def tshark_frames(pcap, dfilter, prefs=()):
    return [int(r[0]) for r in tshark_fields(pcap, ["frame.number"], dfilter, prefs)]


TABLE_FIELDS = ["frame.number", "frame.len", "frame.protocols", "vlan.id", "ieee8021ad.id", "ip.flags.mf",
                "ip.frag_offset", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.srcport", "udp.srcport",
                "ip.checksum.status", "tcp.checksum.status", "udp.checksum.status", "ip.reassembled.length",
                "ipv6.reassembled.length", "ip.fragment.overlap.conflict", "http.transfer_encoding",
                "http.response.code", "http.request.method", "_ws.expert.severity", "_ws.expert.group",
                "_ws.expert.message"]
PI_ERROR = 0x00800000
PI_CHECKSUM = 0x01000000


class Frame:
    """One row of the tshark frame table, with derived facts."""

    def __init__(self, row):
        row = row + [""] * (len(TABLE_FIELDS) - len(row))
        self.f = dict(zip(TABLE_FIELDS, row))
        self.number = int(self.f["frame.number"])
        self.len = int(self.f["frame.len"])
        self.protos = self.f["frame.protocols"].split(":")
        sev = [int(x) for x in self.f["_ws.expert.severity"].split(",") if x]
        grp = [int(x) for x in self.f["_ws.expert.group"].split(",") if x]
        self.expert_msg = self.f["_ws.expert.message"].lower()
        # tshark's own verdicts
        self.malformed = any(sv >= PI_ERROR and g != PI_CHECKSUM for sv, g in zip(sev, grp))
        self.csum_bad = any("0" in self.f[k].split(",") for k in
                            ("ip.checksum.status", "tcp.checksum.status", "udp.checksum.status"))
        self.frag4 = "ip" in self.protos and (self.f["ip.flags.mf"].split(",")[0] in ("1", "True")
                                              or self.f["ip.frag_offset"].split(",")[0] not in ("", "0"))
        self.frag6 = "ipv6.fraghdr" in self.protos
        self.reassembled = bool(self.f["ip.reassembled.length"] or self.f["ipv6.reassembled.length"])
        self.overlap_conflict = self.f["ip.fragment.overlap.conflict"] not in ("", "0", "False")
        self.tags = self.protos.count("vlan") + self.protos.count("ieee8021ad")

    def has(self, field, value=None):
        v = self.f[field]
        return bool(v) if value is None else str(value) in v.split(",")

    def l34(self):
        p = self.protos
        v = "ipv6" if "ipv6" in p else "ipv4" if "ip" in p else None
        if v is None:
            return None
        for l4, name in (("tcp", "tcp"), ("udp", "udp"), ("icmpv6", "icmpv6"), ("icmp", "icmp")):
            if l4 in p:
                return "%s-%s" % (v, name)
        return None

    def klass(self):
        """The cases.json class tshark's dissection implies."""
        p = self.protos
        if "arp" in p:
            return "arp"
        if "lldp" in p:
            return "lldp"
        if self.frag4:
            return "ipv4-frag"
        if self.frag6:
            return "ipv6-frag"
        if self.malformed:
            return "malformed"
        c = self.l34()
        if c:
            return c
        if p[-1] == "data" and "ip" not in p and "ipv6" not in p:
            return "other"
        return "unknown:" + ":".join(p)


def frame_table(pcap, prefs=()):
    return [Frame(r) for r in tshark_fields(pcap, TABLE_FIELDS, "frame", list(prefs) + CSUM)]


def pcap_records(path):
    """Frames of a classic pcap file (independent of the generator's writer)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    assert magic == 0xA1B2C3D4, "not a little-endian microsecond pcap"
    assert struct.unpack_from("<I", data, 20)[0] == 1, "link type is not Ethernet"
    off, out = 24, []
    while off < len(data):
        _, _, incl, orig = struct.unpack_from("<IIII", data, off)
        off += 16
        out.append(data[off:off + incl])
        off += incl
    return out


def capinfos_count(pcap):
    out = run([CAPINFOS, "-M", "-c", pcap])
    m = re.search(r"Number of packets:\s*(\d+)", out)
    if not m:
        raise AssertionError("capinfos output not understood: %r" % out)
    return int(m.group(1))


def body_candidates(field):
    """http.file_data is text in some tshark versions and hex (maybe colon separated) in others:
    return every byte string it could stand for."""
    out = [field.encode("utf-8", errors="surrogateescape")]
    if HEX_RE.match(field):
        out.append(bytes.fromhex(field))
    if HEXCOLON_RE.match(field):
        out.append(bytes.fromhex(field.replace(":", "")))
    return out


def first(v):
    return v.split(",")[0] if v else v


class WebhooksTest(unittest.TestCase):
    """webhooks pcaps: the requests tshark reassembles must be exactly the manifest."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hp_pcapgen_test_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)


    def make(self, name, *args):
        pcap = os.path.join(self.tmp, name + ".pcap")
        man = os.path.join(self.tmp, name + ".json")
        gen("webhooks", "-o", pcap, "--manifest", man, *args)
        with open(man) as f:
            return pcap, json.load(f)

    def extracted(self, pcap):
        """(flow, method, uri, host, body_sha256) of every HTTP request tshark reassembles."""
        rows = tshark_fields(pcap, HTTP_FIELDS, "http.request", REASM)
        got = []
        for r in rows:
            r = r + [""] * (len(HTTP_FIELDS) - len(r))
            d = dict(zip(HTTP_FIELDS, r))
            if d["ip.src"]:
                src, dst = first(d["ip.src"]), first(d["ip.dst"])
                flow = "%s:%s->%s:%s" % (src, first(d["tcp.srcport"]), dst, first(d["tcp.dstport"]))
            else:
                src, dst = first(d["ipv6.src"]), first(d["ipv6.dst"])
                flow = "[%s]:%s->[%s]:%s" % (src, first(d["tcp.srcport"]), dst, first(d["tcp.dstport"]))
            self.assertNotIn(",", d["http.request.method"], "two requests completed in one frame: %r" % r)
            got.append({"frame": int(d["frame.number"]), "flow": flow, "method": d["http.request.method"],
                        "uri": d["http.request.uri"], "host": d["http.host"],
                        "bodies": body_candidates(d["http.file_data"])})
        return got

    def assert_requests_match(self, pcap, man):
        got = self.extracted(pcap)
        want = man["requests"]
        self.assertEqual(len(got), len(want), "tshark found %d requests, manifest has %d" % (len(got), len(want)))
        want_keys = collections.Counter((w["flow"], w["method"], w["uri"], w["host"], w["body_sha256"])
                                        for w in want)
        got_keys = collections.Counter()
        for g in got:
            shas = {hashlib.sha256(b).hexdigest() for b in g["bodies"]}
            match = [w["body_sha256"] for w in want if w["body_sha256"] in shas]
            self.assertTrue(match, "frame %d: tshark body matches no manifest body (%r...)"
                            % (g["frame"], g["bodies"][0][:60]))
            got_keys[(g["flow"], g["method"], g["uri"], g["host"], match[0])] += 1
        self.assertEqual(got_keys, want_keys)
        # each request completes in one of the frames the manifest says carry its bytes
        by_sha = {w["body_sha256"]: w for w in want}
        for g in got:
            w = next(by_sha[h] for h in (hashlib.sha256(b).hexdigest() for b in g["bodies"]) if h in by_sha)
            self.assertIn(g["frame"], w["frames"], "request of %s completes outside its frames" % w["flow"])
        return got

    def assert_clean(self, pcap, man):
        self.assertEqual(capinfos_count(pcap), man["frames"])
        table = frame_table(pcap, REASM)
        self.assertEqual(len(table), man["frames"])
        self.assertEqual([f.number for f in table if f.csum_bad], [],
                         "frames with bad checksums in a pcap generated without --bad-csum")
        self.assertEqual([f.number for f in table if f.malformed], [], "tshark reports malformed frames")
        return table

    def check(self, name, *args):
        pcap, man = self.make(name, *args)
        table = self.assert_clean(pcap, man)
        self.assert_requests_match(pcap, man)
        return pcap, man, table

    def count(self, table, pred):
        return sum(1 for f in table if pred(f))

    # --- the variants the brief lists -------------------------------------
    def test_plain(self):
        pcap, man, t = self.check("plain", "--sessions", 8, "--requests-per-session", 2, "--seed", 11)
        self.assertEqual(len(man["requests"]), 16)
        # handshake, one 200 response per request, FIN both ways for every session
        self.assertEqual(self.count(t, lambda f: f.has("tcp.flags.syn", 1) and f.has("tcp.flags.ack", 0)), 8)
        self.assertEqual(self.count(t, lambda f: f.has("http.response.code", 200)), 16)
        self.assertEqual(self.count(t, lambda f: f.has("tcp.flags.fin", 1)), 16)

    def test_segments3(self):
        pcap, man, t = self.check("seg3", "--sessions", 6, "--segments", 3, "--seed", 12)
        for r in man["requests"]:
            self.assertEqual(len(r["frames"]), 3, r)

    def test_segment_size(self):
        pcap, man, t = self.check("segsize", "--sessions", 4, "--segment-size", 100, "--body-size", 700,
                                  "--seed", 13)
        self.assertGreaterEqual(min(len(r["frames"]) for r in man["requests"]), 8)
        self.assertLessEqual(max(f.len for f in t), 14 + 20 + 20 + 100)

    def test_reorder(self):
        pcap, man, t = self.check("reorder", "--sessions", 12, "--segments", 5, "--reorder", 0.4, "--seed", 14)
        self.assertGreater(self.count(t, lambda f: "out-of-order" in f.expert_msg or "retransmission" in f.expert_msg
                                      or "not captured" in f.expert_msg), 0, "no segment was reordered")

    def test_loss(self):
        pcap, man, t = self.check("loss", "--sessions", 12, "--segments", 5, "--loss", 0.3, "--seed", 15)
        self.assertGreater(self.count(t, lambda f: "not captured" in f.expert_msg), 0,
                           "no segment was lost-then-retransmitted")

    def test_duplicate(self):
        pcap, man, t = self.check("dup", "--sessions", 12, "--segments", 4, "--duplicate", 0.3, "--seed", 16)
        self.assertGreater(self.count(t, lambda f: "retransmission" in f.expert_msg), 0)

    def test_all_impairments(self):
        self.check("impair", "--sessions", 10, "--requests-per-session", 3, "--segments", 6, "--reorder", 0.3,
                   "--loss", 0.2, "--duplicate", 0.2, "--interleave", "--seed", 17)

    def test_ip_frag(self):
        pcap, man, t = self.check("ipfrag", "--sessions", 6, "--ip-frag", 576, "--body-size", 1200, "--seed", 18)
        self.assertGreater(self.count(t, lambda f: f.frag4), 0)
        self.assertLessEqual(max(f.len for f in t), 14 + 576, "a frame is larger than the 576 MTU")

    def test_vlan(self):
        pcap, man, t = self.check("vlan", "--sessions", 5, "--vlan", 100, "--seed", 19)
        self.assertEqual(self.count(t, lambda f: f.tags == 1 and f.has("vlan.id", 100)), man["frames"])

    def test_qinq(self):
        pcap, man, t = self.check("qinq", "--sessions", 5, "--vlan", 100, "--qinq", 200, "--seed", 20)
        # tshark dissects the 0x88a8 outer tag as ieee8021ad, the inner 0x8100 one as vlan
        self.assertEqual(self.count(t, lambda f: f.tags == 2 and f.has("ieee8021ad.id", 200)
                                    and f.has("vlan.id", 100)), man["frames"])

    def test_ipv6(self):
        pcap, man, t = self.check("ipv6", "--sessions", 6, "--ipv6", "--requests-per-session", 2, "--seed", 21)
        self.assertEqual(self.count(t, lambda f: "ipv6" in f.protos and "ip" not in f.protos), man["frames"])
        self.assertTrue(all(r["flow"].startswith("[fd00:198:18::") for r in man["requests"]))

    def test_ipv6_frag(self):
        pcap, man, t = self.check("ipv6frag", "--sessions", 4, "--ipv6", "--ip-frag", 1280, "--body-size", 3000,
                                  "--seed", 22)
        self.assertGreater(self.count(t, lambda f: f.frag6), 0)
        self.assertLessEqual(max(f.len for f in t), 14 + 1280)

    def test_chunked(self):
        pcap, man, t = self.check("chunked", "--sessions", 5, "--chunked", "--chunk-size", 100, "--seed", 23)
        self.assertEqual(self.count(t, lambda f: f.has("http.transfer_encoding", "chunked")), 5)

    def test_interleave(self):
        pcap, man, t = self.check("interleave", "--sessions", 8, "--requests-per-session", 2, "--interleave",
                                  "--seed", 24)
        # round robin: the first 8 frames are the 8 sessions' SYNs
        syns = [f.number for f in t if f.has("tcp.flags.syn", 1) and f.has("tcp.flags.ack", 0)]
        self.assertEqual(syns, list(range(1, 9)))

    def test_headers_host_path(self):
        pcap, man, t = self.check("hdrs", "--sessions", 4, "--requests-per-session", 2, "--host", "a.example",
                                  "--host", "b.example", "--path", "/hooks/github", "--path", "/hooks/stripe?x=1",
                                  "--headers", "X-Hub-Signature-256: sha256=00", "--headers", "X-Test: 1",
                                  "--seed", 25)
        self.assertEqual({r["host"] for r in man["requests"]}, {"a.example", "b.example"})
        self.assertEqual({r["uri"] for r in man["requests"]}, {"/hooks/github", "/hooks/stripe?x=1"})
        rows = tshark_fields(pcap, ["http.request.line"], "http.request", REASM)
        self.assertEqual(len(rows), 8)
        for r in rows:
            self.assertIn("X-Test: 1", r[0])
            self.assertIn("X-Hub-Signature-256: sha256=00", r[0])

    def test_bad_csum(self):
        pcap, man = self.make("badcsum", "--sessions", 20, "--bad-csum", 0.1, "--seed", 26)
        want = sorted(b["frame"] for b in man["bad_csum_frames"])
        self.assertTrue(want, "no checksum was corrupted at P=0.1 over %d frames" % man["frames"])
        self.assertTrue({b["layer"] for b in man["bad_csum_frames"]} <= {"ipv4", "tcp"})
        got = [f.number for f in frame_table(pcap) if f.csum_bad]
        self.assertEqual(got, want)

    def test_deterministic(self):
        a, _ = self.make("det_a", "--sessions", 5, "--segments", 3, "--reorder", 0.5, "--seed", 7)
        b, _ = self.make("det_b", "--sessions", 5, "--segments", 3, "--reorder", 0.5, "--seed", 7)
        c, _ = self.make("det_c", "--sessions", 5, "--segments", 3, "--reorder", 0.5, "--seed", 8)
        with open(a, "rb") as fa, open(b, "rb") as fb, open(c, "rb") as fc:
            da, db, dc = fa.read(), fb.read(), fc.read()
        self.assertEqual(da, db)
        self.assertNotEqual(da, dc)

    def test_body_size(self):
        pcap, man, t = self.check("bodysize", "--sessions", 3, "--body-size", 5000, "--seed", 27)
        self.assertEqual({r["body_len"] for r in man["requests"]}, {5000})
        for r in man["requests"]:
            self.assertGreaterEqual(len(r["frames"]), 4)


class DecodeCasesTest(unittest.TestCase):
    """decode-cases: frame counts (capinfos) and tshark's dissection of mixed.pcap, cut into the
    cases, cross-checked against the hand-written facts in cases.json."""

    NAMES = {"ipv4_tcp", "ipv4_udp", "ipv4_icmp", "arp", "ipv6_tcp", "ipv6_udp_hbh", "icmpv6", "vlan", "qinq",
             "frag4_inorder", "frag4_reversed", "frag4_overlap", "frag4_duplicate", "frag4_incomplete",
             "frag6_inorder", "frag6_reversed", "frag6_incomplete", "frag4_tcp", "frag4_vlan",
             "bad_ip_csum", "bad_tcp_csum", "bad_udp_csum", "trunc_eth", "trunc_ipv4", "trunc_tcp",
             "bad_ihl", "bad_total_len", "garbage", "lldp", "mixed"}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hp_pcapgen_cases_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        gen("decode-cases", "-o", cls.tmp)
        with open(os.path.join(cls.tmp, "cases.json")) as f:
            cls.doc = json.load(f)
        cls.cases = cls.doc["cases"]
        # one tshark pass over mixed.pcap; cases use distinct addresses and IP ids, so each
        # slice dissects as the case's own pcap would
        table = frame_table(os.path.join(cls.tmp, "mixed.pcap"), REASM)
        cls.tables = {"mixed": table}
        for part in cls.cases["mixed"]["parts"]:
            lo = part["first_frame"] - 1
            cls.tables[part["case"]] = table[lo:lo + part["frames"]]


    def path(self, name):
        return os.path.join(self.tmp, self.cases[name]["file"])

    def each(self):
        for name in sorted(self.cases):
            c = self.cases[name]
            t = self.tables[name]
            first = t[0].number if t else 1
            yield name, c, t, first

    def test_all_cases_present(self):
        self.assertEqual(set(self.cases), self.NAMES)

    def test_frame_counts(self):
        mixed = pcap_records(self.path("mixed"))
        for name, c in self.cases.items():
            with self.subTest(case=name):
                self.assertEqual(capinfos_count(self.path(name)), c["frames"])
                self.assertEqual(sum(c["classes"].values()), c["frames"])
                self.assertEqual(sum(c["reassembled"].values()), c["datagrams_after_reassembly"])
        for part in self.cases["mixed"]["parts"]:
            with self.subTest(part=part["case"]):
                lo = part["first_frame"] - 1
                self.assertEqual(pcap_records(self.path(part["case"])), mixed[lo:lo + part["frames"]])

    def test_mixed_is_the_sum(self):
        parts = [c for n, c in self.cases.items() if n != "mixed"]
        m = self.cases["mixed"]
        self.assertEqual([p["case"] for p in m["parts"]], [n for n in self.cases if n != "mixed"])
        for key in ("frames", "ip_fragments", "datagrams_after_reassembly", "vlan_frames", "qinq_frames"):
            self.assertEqual(m[key], sum(c[key] for c in parts), key)
        self.assertEqual(len(m["malformed"]), sum(len(c["malformed"]) for c in parts))
        self.assertEqual(sum(m["classes"].values()), m["frames"])

    def test_classes(self):
        for name, c, t, _ in self.each():
            with self.subTest(case=name):
                got = collections.Counter(f.klass() for f in t)
                self.assertEqual(dict(got), c["classes"])

    def test_fragments(self):
        for name, c, t, _ in self.each():
            with self.subTest(case=name):
                self.assertEqual(sum(1 for f in t if f.frag4 or f.frag6), c["ip_fragments"])

    def test_reassembly(self):
        """tshark completes the same datagrams, except that it also accepts the conflicting
        overlap (and flags it), which the cases expect a safe reassembler to drop."""
        for name, c, t, _ in self.each():
            with self.subTest(case=name):
                done = [f for f in t if f.reassembled and not f.overlap_conflict]
                self.assertEqual(len(done), c["datagrams_after_reassembly"])
                self.assertEqual(dict(collections.Counter(f.l34() for f in done)), c["reassembled"])
                overlap = [m for m in c["malformed"] if m["kind"] == "frag_overlap"]
                self.assertEqual(sum(1 for f in t if f.overlap_conflict), len(overlap))

    def test_vlan_frames(self):
        for name, c, t, _ in self.each():
            with self.subTest(case=name):
                self.assertEqual(sum(1 for f in t if f.tags >= 1), c["vlan_frames"])
                self.assertEqual(sum(1 for f in t if f.tags == 2), c["qinq_frames"])

    def test_malformed(self):
        """truncated/bad_header frames are exactly those tshark calls malformed; checksum-kind
        frames are ones tshark finds a bad checksum in; tshark finds none elsewhere except in
        frames already listed (a reassembled overlap, a datagram with a lying total length)."""
        for name, c, t, first in self.each():
            with self.subTest(case=name):
                listed = {m["frame"] for m in c["malformed"]}
                structural = sorted(m["frame"] for m in c["malformed"] if m["kind"] in ("truncated", "bad_header"))
                csum = {m["frame"] for m in c["malformed"] if m["kind"].endswith("_checksum")}
                rel = {f.number - first + 1: f for f in t} if name != "mixed" else {f.number: f for f in t}
                self.assertEqual(sorted(n for n, f in rel.items() if f.malformed), structural)
                bad = {n for n, f in rel.items() if f.csum_bad}
                self.assertTrue(csum <= bad, (csum, bad))
                self.assertTrue(bad <= listed, (bad, listed))

    def test_frag4_tcp_request(self):
        c = self.cases["frag4_tcp"]
        rows = tshark_fields(self.path("frag4_tcp"), ["http.request.method", "http.request.uri", "http.file_data"],
                             "http.request", REASM)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][:2], [c["request"]["method"], c["request"]["uri"]])
        shas = {hashlib.sha256(b).hexdigest() for b in body_candidates(rows[0][2])}
        self.assertIn(c["request"]["body_sha256"], shas)

    def test_deterministic(self):
        other = tempfile.mkdtemp(prefix="hp_pcapgen_cases2_")
        try:
            gen("decode-cases", "-o", other)
            for name, c in self.cases.items():
                with open(self.path(name), "rb") as a, open(os.path.join(other, c["file"]), "rb") as b:
                    self.assertEqual(a.read(), b.read(), name)
        finally:
            shutil.rmtree(other, ignore_errors=True)


class FloodTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hp_pcapgen_flood_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)


    def flood(self, name, *args):
        p = os.path.join(self.tmp, name + ".pcap")
        gen("flood", "-o", p, *args)
        return p

    def test_sizes(self):
        for size, proto, extra in ((64, "udp", []), (1024, "udp", []), (1518, "udp", []), (64, "tcp", []),
                                   (512, "tcp", ["--ipv6"]), (256, "udp", ["--vlan", "10"])):
            with self.subTest(size=size, proto=proto, extra=extra):
                p = self.flood("f%d%s%d" % (size, proto, len(extra)), "--count", 500, "--size", size,
                               "--proto", proto, "--flows", 4, *extra)
                self.assertEqual(capinfos_count(p), 500)
                recs = pcap_records(p)
                self.assertEqual({len(r) for r in recs}, {size - 4})
                self.assertEqual(len(set(recs)), 4)
                t = frame_table(p, ["-o", "tcp.analyze_sequence_numbers:FALSE"])
                self.assertEqual([f.number for f in t if f.csum_bad or f.malformed], [])
                self.assertEqual({f.f["%s.srcport" % proto] for f in t}, {"40000", "40001", "40002", "40003"})

    def test_tcp_is_a_webhook(self):
        p = self.flood("fweb", "--count", 10, "--size", 1024, "--proto", "tcp", "--flows", 10)
        t = frame_table(p, REASM)
        self.assertEqual(sum(1 for f in t if f.has("http.request.method", "POST")), 10)


# --------------------------------------------------------------------------
# signed webhooks: pktgen-scripts/hp_sign.py and hp_pcapgen.py webhooks --provider
# --------------------------------------------------------------------------
sys.path.insert(0, os.path.join(ROOT, "pktgen-scripts"))
import hp_sign  # noqa: E402

SHARED_VECTORS = os.path.join(ROOT, "tests", "corpus", "vectors", "webhooks.json")
ALL_CASES = "valid,tampered,wrong_secret,replayed,stale,future,missing_signature,malformed_signature,unrouted,too_large"
SIG_REASONS = {"bad_signature", "missing_signature", "malformed_signature", "stale_timestamp", "future_timestamp"}
SIGN_TIME = 1700000000
# provider -> (secret, extra generator args)
PROVIDER_SETUPS = {
    "stripe": ("whsec_hookpath_test_secret", []),
    "github": ("It's a Secret to Everybody", ["--sign-opt", "legacy_sha1=1"]),
    "slack": ("8f742231b10e8888abcd99yyyzzz85a5", []),
    "standard-webhooks": ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", []),
    "svix": ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", []),
    "shopify": ("shpss_hookpath_test", []),
    "twilio": ("12345", []),
    "zoom": ("zoom_secret_token_123", []),
    "twitch": ("twitch-eventsub-secret-0123", []),
    "paddle": ("pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_hookpath", []),
    "gitlab": ("glwht-hookpath-token", []),
    "hmac": ("generic-secret", ["--sign-opt", "header=X-Webhook-Signature", "--sign-opt", "prefix=sha256=",
                                "--sign-opt", "template={id}.{timestamp}.{body}", "--sign-opt",
                                "timestamp_header=X-Webhook-Timestamp", "--sign-opt", "id_header=X-Webhook-Id"]),
}


def tshark_requests(pcap):
    """Every HTTP request tshark reassembles: frame, tcp stream, uri, host, header list, body candidates."""
    out = tshark(pcap, *REASM, "-Y", "http.request", "-T", "json", "-e", "frame.number", "-e", "tcp.stream",
                 "-e", "http.request.method", "-e", "http.request.uri", "-e", "http.host",
                 "-e", "http.request.line", "-e", "http.file_data")
    rows = []
    for pkt in json.loads(out or "[]"):
        lay = pkt["_source"]["layers"]
        hdrs = []
        for line in lay.get("http.request.line", []):
            k, v = line.rstrip("\r\n").split(":", 1)
            hdrs.append((k, v.strip()))
        rows.append({"frame": int(lay["frame.number"][0]), "stream": int(lay["tcp.stream"][0]),
                     "method": lay["http.request.method"][0], "uri": lay["http.request.uri"][0],
                     "host": lay["http.host"][0], "headers": hdrs,
                     "bodies": body_candidates(lay.get("http.file_data", [""])[0])})
    return rows


def sig_reason(req):
    """What a signature check alone should say about a manifest request."""
    r = req["expect"]["reason"]
    return r if r in SIG_REASONS else "ok"


class SignVectorsTest(unittest.TestCase):
    """hp_sign.py against published test vectors."""

    def test_shared_vectors(self):
        with open(SHARED_VECTORS) as f:
            vectors = json.load(f)["vectors"]
        self.assertTrue(vectors)
        for v in vectors:
            with self.subTest(provider=v["provider"], expect=v["expect"], source=v.get("source")):
                body = v["body"].encode()
                hdrs = list(v["headers"].items())
                want = "ok" if v["expect"] == "valid" else v["expect"]
                now = v.get("now")
                if now is None:  # no timestamp in the scheme: any time will do
                    now = SIGN_TIME
                self.assertEqual(hp_sign.verify(v["provider"], v["secret"], body, hdrs, now=now), want)
                if v["expect"] != "valid":
                    continue
                ts = hp_sign.header_get(hdrs, "X-Slack-Request-Timestamp") or \
                    hp_sign.header_get(hdrs, "webhook-timestamp") or SIGN_TIME
                wid = hp_sign.header_get(hdrs, "webhook-id")
                got = dict(hp_sign.sign(v["provider"], v["secret"], body, timestamp=int(ts), webhook_id=wid))
                for name, value in hdrs:  # every published header, byte for byte
                    self.assertEqual(got.get(name), value, name)

    def test_twilio_official(self):
        # twilio-python tests/unit/test_request_validator.py (also in twilio-php/-csharp test suites):
        # https://github.com/twilio/twilio-python/blob/main/tests/unit/test_request_validator.py
        # and the docs' worked example https://www.twilio.com/docs/usage/webhooks/webhooks-security
        url_host, target = "mycompany.com", "/myapp.php?foo=1&bar=2"
        form = {"content_type": "application/x-www-form-urlencoded"}
        params = b"CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309"
        h = dict(hp_sign.sign("twilio", "12345", params, host=url_host, target=target, webhook_id="x", **form))
        self.assertEqual(h["X-Twilio-Signature"], "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        # the URL as Twilio requested it, port included
        h = dict(hp_sign.sign("twilio", "12345", params, host=url_host + ":443", target=target, webhook_id="x",
                              **form))
        self.assertEqual(h["X-Twilio-Signature"], "kvajT1Ptam85bY51eRf/AJRuM3w=")
        h = dict(hp_sign.sign("twilio", "12345", params, host=url_host + ":80", target=target, webhook_id="x",
                              scheme="http", **form))
        self.assertEqual(h["X-Twilio-Signature"], "0ZXoZLH/DfblKGATFgpif+LLRf4=")
        # repeated keys: values sorted and deduplicated
        dup = b"Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234"
        h = dict(hp_sign.sign("twilio", "12345", dup, host=url_host, target=target, webhook_id="x", **form))
        self.assertEqual(h["X-Twilio-Signature"], "IK+Dwps556ElfBT0I3Rgjkr1wJU=")
        # JSON body: bodySHA256 joins the URL, only the URL is signed
        body = b'{"property": "value", "boolean": true}'
        tgt, hl = hp_sign.sign_request("twilio", "12345", body, host=url_host, target=target, webhook_id="x")
        self.assertEqual(tgt, target + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620")
        self.assertEqual(dict(hl)["X-Twilio-Signature"], "a9nBmqA0ju/hNViExpshrM61xv4=")
        self.assertEqual(hp_sign.verify("twilio", "12345", body, hl, host=url_host, target=tgt), "ok")
        self.assertEqual(hp_sign.verify("twilio", "12345", body + b" ", hl, host=url_host, target=tgt),
                         "bad_signature")

    def test_standard_webhooks_official(self):
        # standard-webhooks libraries' shared test (python/go/javascript/php: "sign" test)
        # https://github.com/standard-webhooks/standard-webhooks/blob/main/libraries/python/tests/test_webhooks.py
        h = dict(hp_sign.sign("standard-webhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", b'{"test": 2432232314}',
                              timestamp=1614265330, webhook_id="msg_p5jXN8AQM9LWM0D4loKWxJek"))
        self.assertEqual(h["webhook-signature"], "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        # svix-* names, same signature
        h = dict(hp_sign.sign("svix", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", b'{"test": 2432232314}',
                              timestamp=1614265330, webhook_id="msg_p5jXN8AQM9LWM0D4loKWxJek"))
        self.assertEqual(h["svix-signature"], "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        # a list of signatures: unknown versions skipped, any v1 may match (the libraries' multi-sig test)
        hdrs = [("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", "1614265330"),
                ("webhook-signature", "v2,abc v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "
                                      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
        self.assertEqual(hp_sign.verify("standard-webhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                        b'{"test": 2432232314}', hdrs, now=1614265330), "ok")

    def test_v1a_ed25519(self):
        # RFC 8032 section 7.1 TEST 1: seed -> public key (https://www.rfc-editor.org/rfc/rfc8032#section-7.1)
        seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        pub = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        sk, pk = hp_sign.ed25519_keypair(seed)
        self.assertEqual(pk, "whpk_" + base64.b64encode(pub).decode())
        # the 64-byte (seed || public) form of whsk_ is the same key
        self.assertEqual(hp_sign.sw_public_key("whsk_" + base64.b64encode(seed + pub).decode()), pk)
        body = b'{"type":"contact.created"}'
        hdrs = hp_sign.sign("standard-webhooks", sk, body, timestamp=1674087231,
                            webhook_id="msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
        sig = hp_sign.header_get(hdrs, "webhook-signature")
        self.assertTrue(sig.startswith("v1a,"))
        self.assertEqual(len(base64.b64decode(sig[4:])), 64)
        self.assertEqual(hp_sign.verify("standard-webhooks", pk, body, hdrs, now=1674087231), "ok")
        self.assertEqual(hp_sign.verify("standard-webhooks", pk, body + b" ", hdrs, now=1674087231), "bad_signature")
        # v1 and v1a side by side (the spec's example header shape): either key verifies
        both = hp_sign.sign("standard-webhooks", [sk, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], body,
                            timestamp=1674087231, webhook_id="msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
        self.assertRegex(hp_sign.header_get(both, "webhook-signature"), r"^v1a,\S+ v1,\S+$")
        for key in (pk, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"):
            self.assertEqual(hp_sign.verify("standard-webhooks", key, body, both, now=1674087231), "ok")

    def test_rfc3339_twitch(self):
        self.assertEqual(hp_sign.rfc3339(1573899072.634234), "2019-11-16T10:11:12.634234000Z")
        self.assertAlmostEqual(hp_sign.parse_rfc3339("2019-11-16T10:11:12.634234626Z"), 1573899072.634234626, 5)
        self.assertEqual(hp_sign.parse_rfc3339("2019-11-16T11:11:12+01:00"), 1573899072)

    def test_every_provider_round_trip(self):
        body = b'{"id":"evt_1","amount":100}'
        for prov, (secret, _) in PROVIDER_SETUPS.items():
            with self.subTest(provider=prov):
                opts = {"template": "{id}.{timestamp}.{body}", "timestamp_header": "X-Ts",
                        "id_header": "X-Id"} if prov == "hmac" else {}
                tgt, hdrs = hp_sign.sign_request(prov, secret, body, host="h.example", target="/p",
                                                 timestamp=SIGN_TIME, webhook_id="id-1", **opts)
                kw = dict(host="h.example", target=tgt, now=SIGN_TIME, **opts)
                self.assertEqual(hp_sign.verify(prov, secret, body, hdrs, **kw), "ok")
                wrong = "whsec_" + base64.b64encode(b"w" * 24).decode() if secret.startswith("whsec_") else secret + "x"
                self.assertEqual(hp_sign.verify(prov, wrong, body, hdrs, **kw), "bad_signature")
                self.assertEqual(hp_sign.verify(prov, secret, body, [], **kw), "missing_signature")
                if prov in hp_sign.TIMESTAMPED or prov == "hmac":
                    self.assertEqual(hp_sign.verify(prov, secret, body, hdrs, **dict(kw, now=SIGN_TIME + 301)),
                                     "stale_timestamp")
                    self.assertEqual(hp_sign.verify(prov, secret, body, hdrs, **dict(kw, now=SIGN_TIME - 301)),
                                     "future_timestamp")

    def test_cli(self):
        tmp = tempfile.mkdtemp(prefix="hp_sign_cli_")
        self.addCleanup(shutil.rmtree, tmp, True)
        bf = os.path.join(tmp, "body")
        with open(bf, "wb") as f:
            f.write(b"Hello, World!")
        out = run([sys.executable, os.path.join(ROOT, "pktgen-scripts", "hp_sign.py"), "github", "--secret",
                   "It's a Secret to Everybody", "--body-file", bf, "--id", "d-1"])
        self.assertIn("X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
                      out.splitlines())
        self.assertIn("X-GitHub-Delivery: d-1", out.splitlines())
        js = json.loads(run([sys.executable, os.path.join(ROOT, "pktgen-scripts", "hp_sign.py"), "twilio",
                             "--secret", "12345", "--body", '{"property": "value", "boolean": true}',
                             "--host", "mycompany.com", "--target", "/myapp.php?foo=1&bar=2", "--format", "json"]))
        self.assertEqual(dict(js["headers"])["X-Twilio-Signature"], "a9nBmqA0ju/hNViExpshrM61xv4=")


class SignedWebhooksTest(unittest.TestCase):
    """hp_pcapgen.py webhooks --provider: every provider, every case; tshark extracts the
    requests and hp_sign.verify re-checks each one from the bytes on the wire."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hp_pcapgen_signed_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def make(self, name, provider, secret, *args):
        pcap = os.path.join(self.tmp, name + ".pcap")
        man = os.path.join(self.tmp, name + ".json")
        rj = os.path.join(self.tmp, name + ".requests.json")
        gen("webhooks", "-o", pcap, "--manifest", man, "--requests-json", rj, "--provider", provider,
            "--secret", secret, *args)
        with open(man) as f, open(rj) as g:
            return pcap, json.load(f), json.load(g)

    def check_signed(self, pcap, man, secret):
        sg = man["signing"]
        opts = sg["sign_opts"]
        want = man["requests"]
        got = tshark_requests(pcap)
        self.assertEqual(len(got), len(want), "tshark found %d requests, manifest has %d" % (len(got), len(want)))
        # generation order == pcap order without --interleave
        streams = {}
        for g, w in zip(got, want):
            with self.subTest(case=w["case"], webhook_id=w["webhook_id"]):
                shas = {hashlib.sha256(b).hexdigest() for b in g["bodies"]}
                self.assertIn(w["body_sha256"], shas)
                body = next(b for b in g["bodies"] if hashlib.sha256(b).hexdigest() == w["body_sha256"])
                self.assertEqual((g["uri"], g["host"]), (w["uri"], w["host"]))
                self.assertEqual(json.loads(body)["id"], w["webhook_id"])
                names = {k.lower() for k, _ in g["headers"]}
                sigh = hp_sign.signature_header(sg["provider"], **opts).lower()
                self.assertEqual(sigh in names, w["case"] != "missing_signature")
                idh = hp_sign.id_header(sg["provider"], **opts)
                if idh:
                    self.assertEqual(hp_sign.header_get(g["headers"], idh), w["webhook_id"])
                # the re-verification, from tshark's bytes
                r = hp_sign.verify(sg["provider"], secret, body, g["headers"], method=g["method"], host=g["host"],
                                   target=g["uri"], now=sg["sign_time"], **opts)
                self.assertEqual(r, sig_reason(w))
                if w["case"] == "too_large":
                    self.assertEqual(w["body_len"], sg["max_body"] + 1)
                if w["case"] == "unrouted":
                    self.assertEqual(g["host"], "unrouted.example.net")
                streams[len(streams)] = g["stream"]
        # replays: the same bytes as the original, in a later, different TCP session
        for i, w in enumerate(want):
            if w["case"] == "replayed":
                o = w["replay_of"]
                self.assertLess(o, i)
                self.assertEqual(want[o]["case"], "valid")
                self.assertEqual(want[o]["webhook_id"], w["webhook_id"])
                self.assertEqual(got[o]["headers"], got[i]["headers"])
                self.assertNotEqual(got[o]["stream"], got[i]["stream"])
                self.assertGreater(got[i]["frame"], got[o]["frame"])
        ids = collections.Counter(w["webhook_id"] for w in want if w["case"] != "replayed")
        self.assertEqual(max(ids.values()), 1, "webhook ids repeat outside replays")
        return got

    def test_every_provider_every_case(self):
        for prov, (secret, extra) in PROVIDER_SETUPS.items():
            with self.subTest(provider=prov):
                pcap, man, rj = self.make("all_" + prov, prov, secret, "--sessions", 11, "--cases", ALL_CASES,
                                          "--max-body", 2048, "--sign-time", SIGN_TIME, *extra)
                self.assertEqual([r["case"] for r in man["requests"]], ALL_CASES.split(",") + ["valid"])
                self.check_signed(pcap, man, secret)
                # expectations
                ex = {r["case"]: (r["expect"]["verdict"], r["expect"]["reason"]) for r in man["requests"]}
                self.assertEqual(ex["valid"], ("accept", "ok"))
                self.assertEqual(ex["replayed"], ("duplicate", "duplicate"))
                self.assertEqual(ex["unrouted"], ("pass", "no_route"))
                self.assertEqual(ex["too_large"], ("reject", "body_too_large"))
                self.assertEqual(ex["missing_signature"], ("reject", "missing_signature"))
                self.assertEqual(ex["wrong_secret"], ("reject", "bad_signature"))
                if prov in hp_sign.TIMESTAMPED or prov == "hmac":
                    self.assertEqual(ex["stale"], ("reject", "stale_timestamp"))
                    self.assertEqual(ex["future"], ("reject", "future_timestamp"))
                else:
                    self.assertEqual(ex["stale"], ("accept", "ok"))
                # requests json: same requests, verifiable on their own
                self.assertEqual(len(rj["requests"]), len(man["requests"]))
                for rec, w in zip(rj["requests"], man["requests"]):
                    body = base64.b64decode(rec["body_b64"])
                    self.assertEqual(hashlib.sha256(body).hexdigest(), w["body_sha256"])
                    self.assertEqual(rec["expect"], w["expect"])
                    r = hp_sign.verify(prov, rec["secret"], body, [tuple(h) for h in rec["headers"]],
                                       host=rec["host"], target=rec["target"], now=SIGN_TIME, **rj["sign_opts"])
                    self.assertEqual(r, sig_reason(w))

    def test_impaired_transport(self):
        """Signatures survive segmentation, reordering, chunking and IPv6 (tshark reassembles)."""
        pcap, man, _ = self.make("impaired", "stripe", "whsec_x", "--sessions", 6, "--cases", "valid,tampered",
                                 "--sign-time", SIGN_TIME, "--segments", 4, "--reorder", 0.3, "--chunked",
                                 "--chunk-size", 200, "--ipv6", "--seed", 31)
        self.check_signed(pcap, man, "whsec_x")

    def test_v1a_and_twilio_form_options(self):
        sk, _ = hp_sign.ed25519_keypair(bytes(range(32)))
        pcap, man, rj = self.make("v1a", "standard-webhooks", sk, "--sessions", 4,
                                  "--cases", "valid,wrong_secret,malformed_signature,replayed",
                                  "--sign-time", SIGN_TIME)
        self.assertEqual(man["signing"]["public_key"], hp_sign.sw_public_key(sk))
        self.check_signed(pcap, man, man["signing"]["public_key"])  # verified with the public key only
        self.assertTrue(rj["public_key"].startswith("whpk_"))

    def test_requests_per_session_and_paths(self):
        pcap, man, _ = self.make("rps", "paddle", "pdl_x", "--sessions", 6, "--requests-per-session", 3,
                                 "--cases", "valid,replayed,stale", "--path", "/hooks/paddle", "--path",
                                 "/hooks/paddle?x=1", "--sign-time", SIGN_TIME)
        self.check_signed(pcap, man, "pdl_x")
        self.assertEqual(sum(1 for r in man["requests"] if r["case"] == "replayed"), 6)

    def test_deterministic_with_sign_time(self):
        a, _, _ = self.make("det_a", "twitch", "s3cret-s3cret", "--sessions", 5, "--cases", ALL_CASES, "--max-body",
                            4000, "--sign-time", SIGN_TIME)
        b, _, _ = self.make("det_b", "twitch", "s3cret-s3cret", "--sessions", 5, "--cases", ALL_CASES, "--max-body",
                            4000, "--sign-time", SIGN_TIME)
        with open(a, "rb") as fa, open(b, "rb") as fb:
            self.assertEqual(fa.read(), fb.read())

    def test_default_sign_time_is_now(self):
        import time
        t0 = int(time.time())
        pcap, man, _ = self.make("now", "slack", "sl", "--sessions", 2)
        self.assertLessEqual(t0, man["signing"]["sign_time"])
        self.assertLessEqual(man["signing"]["sign_time"], int(time.time()))
        for g in tshark_requests(pcap):
            body = g["bodies"][0]
            self.assertEqual(hp_sign.verify("slack", "sl", body, g["headers"]), "ok")  # wall clock, 300 s

    def test_unsigned_requests_json(self):
        pcap = os.path.join(self.tmp, "plain.pcap")
        rj = os.path.join(self.tmp, "plain.requests.json")
        gen("webhooks", "-o", pcap, "--requests-json", rj, "--sessions", 3)
        with open(rj) as f:
            doc = json.load(f)
        self.assertEqual(len(doc["requests"]), 3)
        self.assertNotIn("provider", doc)

    def test_official_npm_libraries(self):
        """tests/bench/node: stripe and standardwebhooks (npm) accept exactly the requests hp_sign
        expects them to (skipped unless `npm install` was run there)."""
        nd = os.path.join(ROOT, "tests", "bench", "node")
        node = shutil.which("node")
        if not node or not os.path.isdir(os.path.join(nd, "node_modules", "stripe")) \
                or not os.path.isdir(os.path.join(nd, "node_modules", "standardwebhooks")):
            self.skipTest("node or tests/bench/node/node_modules missing (cd tests/bench/node && npm install)")
        for prov, secret in (("stripe", "whsec_hookpath_test_secret"),
                             ("standard-webhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")):
            with self.subTest(provider=prov):
                _, _, _ = self.make("npm_" + prov, prov, secret, "--sessions", 10, "--cases", ALL_CASES,
                                    "--max-body", 4096)  # sign time now: the libraries use the wall clock
                out = run([node, os.path.join(nd, "verify_bench.js"), "--check",
                           os.path.join(self.tmp, "npm_" + prov + ".requests.json")])
                self.assertIn("check: ok", out)


def main():
    if not TSHARK or not CAPINFOS:
        print("tshark/capinfos not found: skipping", file=sys.stderr)
        return 77
    prog = unittest.main(exit=False, verbosity=2 if "-v" in sys.argv else 1)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
