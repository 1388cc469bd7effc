#!/usr/bin/python3
"""pcap tests of HTTP extraction: the events hookpath writes (one per request) against what
tshark reassembles from the same pcap, and against the generator's manifest.

tshark is the oracle (DESIGN §7): (method, uri, sha256 of the body) per request, compared as
multisets. Where hookpath deliberately differs (a request it refuses as smuggling), the test
names the case and says why.
"""
import collections
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hp_pcaptest as hp  # noqa: E402

CORPUS = os.path.join(hp.ROOT, "tests", "corpus", "suricata-verify")


def tshark_requests(path):
    """Multiset of (method, uri, body sha256) of the HTTP requests tshark reassembles."""
    out = subprocess.run(
        ["tshark", "-r", path, "-o", "tcp.desegment_tcp_streams:TRUE",
         "-o", "tcp.reassemble_out_of_order:TRUE", "-o", "tcp.check_checksum:FALSE",
         "-Y", "http.request", "-T", "json", "-e", "http.request.method",
         "-e", "http.request.uri", "-e", "http.file_data"],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    reqs = collections.Counter()
    for pkt in json.loads(out or "[]"):
        layers = pkt["_source"]["layers"]
        methods = layers.get("http.request.method", [])
        uris = layers.get("http.request.uri", [])
        bodies = layers.get("http.file_data", [""] * len(methods))
        for m, u, b in zip(methods, uris, bodies + [""] * (len(methods) - len(bodies))):
            body = tshark_bytes(b)
            reqs[(m, u, hashlib.sha256(body).hexdigest())] += 1
    return reqs


def tshark_bytes(field):
    """http.file_data is text in tshark 4.0 (hex "aa:bb" in some versions)."""
    if field and all(c in "0123456789abcdef:" for c in field) and ":" in field:
        return bytes.fromhex(field.replace(":", ""))
    return field.encode("latin-1", "replace") if field else b""


def event_requests(events):
    reqs = collections.Counter()
    for e in events:
        h = e["http"]
        reqs[(h["method"], h["uri"], h.get("body_sha256", hashlib.sha256(b"").hexdigest()
                                           if h["body_len"] == 0 else None))] += 1
    return reqs


def run_events(tmp, pcap, extra="", mode="tap", idle_ms=200):
    path = os.path.join(tmp, "events-%d.jsonl" % next(hp._run_ids))
    # every TCP port is guarded: the corpus captures use 80, 8000, ... (the default guards
    # 80 and 8080 only)
    cfg = ("dataplane:\n  mode: %s\n  checksum_validation: false\n  guard: {ports: any}\n%s"
           "events:\n  file: %s\n  body_hash: true\n" % (mode, extra, path))
    if mode == "bridge":
        cfg = cfg.replace("  mode: bridge\n", "  mode: bridge\n  port_pairs: [[0, 1]]\n")
    st, _ = hp.run_hookpath(tmp, [pcap] if mode == "tap" else [pcap, None], cfg,
                            idle_ms=idle_ms)
    with open(path) as f:
        events = [json.loads(line) for line in f]
    return st, events


class GeneratedWebhooks(hp.TmpDirCase):

    def check(self, name, *args):
        pcap = os.path.join(self.tmp, name + ".pcap")
        manifest = os.path.join(self.tmp, name + ".json")
        hp.gen(self.tmp, "webhooks", "-o", pcap, "--manifest", manifest, *args)
        with open(manifest) as f:
            want = collections.Counter((r["method"], r["uri"], r["body_sha256"])
                                       for r in json.load(f)["requests"])
        st, events = run_events(self.tmp, pcap)
        got = event_requests(events)
        self.assertEqual(got, want, "events differ from the generator's manifest")
        self.assertEqual(tshark_requests(pcap), want, "tshark differs from the manifest")
        c = st["counters"]
        self.assertEqual(c["events"], len(events))
        self.assertEqual(c["events_ring_full"], 0)
        self.assertEqual(st["events_written"], len(events))
        for e in events:
            self.assertEqual(e["verdict"], "pass")
            self.assertEqual(e["reason"], "no_route")
            self.assertGreater(e["latency_ns"], 0)
        return st, events

    def test_one_segment(self):
        self.check("one", "--sessions", "5")

    def test_three_segments_keepalive(self):
        self.check("three", "--sessions", "5", "--segments", "3", "--requests-per-session", "3")

    def test_one_byte_segments(self):
        self.check("bytes", "--sessions", "2", "--segment-size", "1", "--body-size", "300")

    def test_chunked_split_everywhere(self):
        self.check("chunked", "--sessions", "4", "--chunked", "--chunk-size", "100",
                   "--segment-size", "7")

    def test_pipelined_interleaved(self):
        self.check("pipe", "--sessions", "8", "--requests-per-session", "4", "--interleave")

    def test_ipv6_vlan_fragments(self):
        st, _ = self.check("v6frag", "--sessions", "3", "--ipv6", "--vlan", "7", "--ip-frag", "700",
                           "--body-size", "3000")
        self.assertGreater(st["counters"]["defrag_reassembled"], 0)

    def test_reordered(self):
        st, _ = self.check("reorder", "--sessions", "6", "--segments", "5", "--reorder", "0.4")
        self.assertGreater(st["counters"]["flows_created"], 0)

    def test_lost_and_retransmitted(self):
        self.check("loss", "--sessions", "6", "--segments", "5", "--loss", "0.3")

    def test_duplicated_segments(self):
        self.check("dup", "--sessions", "6", "--segments", "4", "--duplicate", "0.4")

    def test_reordered_interleaved_bridge(self):
        pcap = os.path.join(self.tmp, "reorder-bridge.pcap")
        hp.gen(self.tmp, "webhooks", "-o", pcap, "--sessions", "6", "--segments", "4",
               "--reorder", "0.3", "--interleave", "--requests-per-session", "2")
        st, events = run_events(self.tmp, pcap, mode="bridge")
        self.assertEqual(event_requests(events), tshark_requests(pcap))
        self.assertEqual(st["counters"]["tx_packets"], st["counters"]["rx_packets"])

    def test_bridge_mode_events_and_forwarding(self):
        pcap = os.path.join(self.tmp, "bridge.pcap")
        hp.gen(self.tmp, "webhooks", "-o", pcap, "--sessions", "4", "--segments", "2")
        st, events = run_events(self.tmp, pcap, mode="bridge")
        self.assertEqual(event_requests(events), tshark_requests(pcap))
        self.assertEqual(st["counters"]["tx_packets"], st["counters"]["rx_packets"])


class Framing(hp.TmpDirCase):
    """Hand-made requests with framing errors: each gives one event with the right reason;
    http.on_error: reject in bridge mode drops the rest of the flow, RSTs the server and answers
    the client 400."""

    def session_pcap(self, name, request):
        """One TCP session carrying `request` (bytes) in 2 segments."""
        c, sv = ("198.18.0.9", 40001), ("198.19.0.9", 8080)
        pk = [hp.tcp_frame(c, sv, "S", 100, 0), hp.tcp_frame(sv, c, "SA", 500, 101),
              hp.tcp_frame(c, sv, "A", 101, 501)]
        half = len(request) // 2
        seq = 101
        for part in (request[:half], request[half:]):
            pk.append(hp.tcp_frame(c, sv, "PA", seq, 501, part))
            seq += len(part)
        return hp.write_frames(self.tmp, name, pk), len(pk)

    CASES = {
        "te_and_cl": (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "http_smuggling"),
        "two_cl": (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n"
                   b"\r\nabcd", "http_smuggling"),
        "obs_fold": (b"POST /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n"
                     b"Content-Length: 0\r\n\r\n", "http_smuggling"),
        "bad_chunk": (b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"zz\r\nab\r\n0\r\n\r\n", "http_smuggling"),
        "no_host": (b"POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "http_malformed"),
        "nul_in_header": (b"POST /x HTTP/1.1\r\nHost: a\x00b\r\nContent-Length: 0\r\n\r\n",
                          "http_malformed"),
    }

    # the Host each request's event can name: its line came before the error and was valid
    HOST_SEEN = {"te_and_cl": "a", "two_cl": "a", "obs_fold": "a", "bad_chunk": "a",
                 "no_host": "", "nul_in_header": ""}

    def test_each_framing_error(self):
        """Default http.on_error reject (fail closed): every framing error is a reject, and the
        event names what was parsed of the request (method, target, host when seen)."""
        for name, (req, reason) in self.CASES.items():
            with self.subTest(case=name):
                path, _ = self.session_pcap(name, req)
                st, events = run_events(self.tmp, path)
                self.assertEqual([e["reason"] for e in events], [reason])
                self.assertEqual(events[0]["verdict"], "reject")
                http = events[0]["http"]
                self.assertEqual((http["method"], http["uri"], http.get("host", "")),
                                 ("POST", "/x", self.HOST_SEEN[name]), events[0])

    def test_on_error_pass_is_explicit(self):
        """http.on_error: pass keeps the old fail-open behaviour, only when asked for."""
        req, reason = self.CASES["te_and_cl"]
        path, _ = self.session_pcap("pass", req)
        st, events = run_events(self.tmp, path, extra="http:\n  on_error: pass\n")
        self.assertEqual([(e["verdict"], e["reason"]) for e in events], [("pass", reason)])

    def test_reject_drops_the_flow_in_bridge_mode(self):
        req, reason = self.CASES["te_and_cl"]
        path, n = self.session_pcap("reject", req)
        st, events = run_events(self.tmp, path, extra="http:\n  on_error: reject\n",
                                mode="bridge")
        self.assertEqual([(e["verdict"], e["reason"]) for e in events], [("reject", reason)])
        c = st["counters"]
        self.assertGreaterEqual(c["http_rejected_packets"], 1)
        # what got through, plus the RST toward the server and the 400 toward the client
        self.assertEqual((c["reject_rst_server"], c["reject_responses"]), (1, 1))
        self.assertEqual(c["tx_packets"], n - c["http_rejected_packets"] + 2)


class StreamCases(hp.TmpDirCase):
    """Hand-built TCP sessions (scapy) for what the generator does not make: sequence numbers
    wrapping around 2^32, a session without its handshake, and a retransmission that carries
    different bytes, under each overlap policy and inline."""

    C, S = ("198.18.0.20", 40020), ("198.19.0.20", 8080)

    def pkt(self, to_server, flags, seq, ack, payload=b""):
        src, dst = (self.C, self.S) if to_server else (self.S, self.C)
        return hp.tcp_frame(src, dst, flags, seq, ack, payload)

    def write(self, name, pkts):
        return hp.write_frames(self.tmp, name, pkts)

    @staticmethod
    def request(body):
        return (b"POST /wrap HTTP/1.1\r\nHost: hooks.example.com\r\nContent-Length: %d\r\n\r\n"
                % len(body)) + body

    def session(self, isn, chunks, handshake=True, srv_isn=7000):
        """Client sends chunks (list of (offset, bytes)) of one request; the server ACKs all."""
        pk = []
        if handshake:
            pk += [self.pkt(True, "S", isn, 0), self.pkt(False, "SA", srv_isn, isn + 1),
                   self.pkt(True, "A", isn + 1, srv_isn + 1)]
        end = 0
        for off, data in chunks:
            pk.append(self.pkt(True, "PA", isn + 1 + off, srv_isn + 1, data))
            end = max(end, off + len(data))
        pk.append(self.pkt(False, "A", srv_isn + 1, isn + 1 + end))
        return pk

    def test_sequence_wraparound(self):
        body = b'{"id":"evt_wrap","data":"' + b"w" * 900 + b'"}'
        req = self.request(body)
        isn = 0xffffffff - 300  # the request crosses 2^32
        chunks = [(0, req[:400]), (800, req[800:]), (400, req[400:800])]  # reordered too
        st, events = run_events(self.tmp, self.write("wrap", self.session(isn, chunks)))
        self.assertEqual([e["http"]["body_sha256"] for e in events],
                         [hashlib.sha256(body).hexdigest()])

    def test_missing_handshake(self):
        body = b'{"id":"evt_midstream"}'
        req = self.request(body)
        pk = self.session(1000, [(0, req[:30]), (30, req[30:])], handshake=False)
        st, events = run_events(self.tmp, self.write("nosyn", pk))
        self.assertEqual(len(events), 1)
        self.assertTrue(events[0].get("midstream"))
        self.assertEqual(events[0]["http"]["body_sha256"], hashlib.sha256(body).hexdigest())
        self.assertEqual(events[0]["flow"]["src"], "%s:%d" % self.C)

    def overlap_pcap(self):
        """The body's last 4 bytes arrive twice before the server ACKs: GOOD, then EVIL."""
        head = self.request(b"xxxxGOOD")[:-8]
        body_off = len(head)
        pk = [self.pkt(True, "S", 100, 0), self.pkt(False, "SA", 7000, 101),
              self.pkt(True, "A", 101, 7001),
              self.pkt(True, "PA", 101, 7001, head + b"xxxx"),
              self.pkt(True, "PA", 101 + body_off + 4, 7001, b"GOOD"),
              self.pkt(True, "PA", 101 + body_off + 4, 7001, b"EVIL"),
              self.pkt(False, "A", 7001, 101 + body_off + 8)]
        return self.write("overlap", pk)

    def test_overlap_policies(self):
        path = self.overlap_pcap()
        good = hashlib.sha256(b"xxxxGOOD").hexdigest()
        evil = hashlib.sha256(b"xxxxEVIL").hexdigest()
        for policy, want in (("first", good), ("last", evil)):
            with self.subTest(policy=policy):
                st, events = run_events(
                    self.tmp, path,
                    extra="  reassembly:\n    policy: %s\n" % policy)
                self.assertEqual([e["http"].get("body_sha256") for e in events], [want])
                self.assertEqual(st["stream"]["result_overlap_different"] +
                                 st["stream"]["result_overlap_replaced"], 1)

    def test_overlap_inline_drops_the_second_version(self):
        """bridge: the server gets GOOD only; the EVIL retransmission is dropped."""
        path = self.overlap_pcap()
        st, events = run_events(self.tmp, path, mode="bridge")
        self.assertEqual([e["http"].get("body_sha256") for e in events],
                         [hashlib.sha256(b"xxxxGOOD").hexdigest()])
        self.assertEqual(st["counters"]["stream_dropped"], 1)
        self.assertEqual(st["counters"]["tx_packets"], st["counters"]["rx_packets"] - 1)


class SuricataVerifyHttp(unittest.TestCase):
    """Every suricata-verify TCP pcap in tests/corpus (OISF/suricata-verify, MIT: HTTP gaps,
    pipelining with gaps, chunked, multiple Content-Length, RST on unacked data, and the
    overlap/gap payload cases, which carry no HTTP): the requests hookpath reports equal
    tshark's, except where hookpath refuses framing tshark accepts (named below, with the
    reason)."""

    # pcap folder -> why hookpath differs from tshark there (None: must be equal)
    DIFFERS = {
        "http-multiple-cl": "two Content-Length headers: refused as http_smuggling (RFC 9112 "
                            "§6.3 lets a recipient reject it; tshark takes the first)",
        "http-chunked": "'Transfer-Encoding: ,<TAB>chunked,' with Content-Length: 0 (the "
                        "request-smuggling probe of Suricata issue 6415): refused as "
                        "http_smuggling; tshark shows a HEAD without body",
    }

    def test_corpus(self):
        with tempfile.TemporaryDirectory(prefix="hp-sv-http-") as tmp:
            for d in sorted(os.listdir(CORPUS)):
                folder = os.path.join(CORPUS, d)
                if d == "defrag" or not os.path.isdir(folder):
                    continue  # IP-only pcaps: test_pcap_dataplane.py
                for fn in sorted(os.listdir(folder)):
                    if not fn.endswith(".pcap"):
                        continue
                    with self.subTest(pcap=d + "/" + fn):
                        path = hp.as_ethernet(tmp, os.path.join(folder, fn))
                        st, events = run_events(tmp, path)
                        got = event_requests(e for e in events if e["reason"] == "no_route")
                        if d in self.DIFFERS:
                            self.assertTrue(any(e["reason"] == "http_smuggling"
                                                for e in events), self.DIFFERS[d])
                        else:
                            self.assertEqual(got, tshark_requests(path))


if __name__ == "__main__":
    hp.main()
