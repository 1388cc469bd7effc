#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves pktgen-scripts/hp_pcapgen.py output with tshark as the oracle.

Run: python3 tests/pcap/test_pcapgen.py [-v] [TestClass.test_name ...]
Environment: HP_PCAPGEN (generator path), TSHARK, CAPINFOS (tool paths).
Exit status: 0 all passed, 1 a failure, 77 (meson "skip") when tshark/capinfos are missing.
"""

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


def main():
    if not TSHARK or not CAPINFOS:
        print("tshark/capinfos not found: skipping", file=sys.stderr)
        return 77
    prog = unittest.main(exit=False, verbosity=2 if "-v" in sys.argv else 1)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
