#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""dataplane.warmup_requests: the workers' warm-up at start leaves the caches warm and nothing
else (dataplane/dp_warmup.c, docs/CONFIG.md).

Five endpoints of four schemes (stripe with PII mask and ML score, github under a path prefix,
standard-webhooks under a wildcard host, gitlab, whose token the verifier keeps only as a
digest: its warm-up requests go unsigned and are refused) on a bridge; the real traffic is six
stripe webhooks. With the default warm-up (256 requests):
- the log says how many warm-up requests were accepted: every signed one, none of gitlab's
  (the signer and the accept path through every stage ran);
- nothing of the warm-up leaves: tshark finds no frame of its addresses (192.0.2.0/24,
  198.51.100.1) on either port's output; the server side gets exactly the input's frames;
- every counter, the latency histogram, the endpoints' figures, the replay cache and the flow
  table hold the six real webhooks only; six events, none of the warm-up's ids;
- the ML stage's rate state did not see the warm-up: the first real request is a new source
  with no previous request at its endpoint (gap_ms null).
The same with two workers (software dispatch), and with warmup_requests 0 (no warm-up line,
the same figures). The stats (per_worker.warmup) give the log's figures.
AttackerView: a forgery on a warm-up connection's exact tuple, and a genuine webhook with a
warm-up request's id sent twice (accepted, then a duplicate), read from the server side."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hp_pcaptest as hp  # noqa: E402

N = 6
SECRET = "whsec_warmup_test_0123"
ENDPOINTS = """endpoints:
  - {name: s, match: {host: a.example.com}, provider: stripe, secrets: [%s],
     pii: {policy: mask}, ml: {policy: score}}
  - {name: g, match: {host: b.example.com, path_prefix: /gh/}, provider: github,
     secrets: [gh-secret-1]}
  - {name: w, match: {host: "*.c.example.com"}, provider: standard-webhooks,
     secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]}
  - {name: l, match: {host: d.example.com}, provider: gitlab, secrets: [gitlab-token]}
  - {name: n, match: {host: e.example.com}, provider: none}
""" % SECRET
WARM_RE = re.compile(r"worker (\d+): warmed up in [0-9.]+ ms: (\d+) synthetic packets, "
                     r"(\d+) of (\d+) requests accepted")


class Warmup(hp.TmpDirCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        hp.gen(cls.tmp, "webhooks", "-o", "in.pcap", "--provider", "stripe", "--secret",
               SECRET, "--sessions", str(N), "--host", "a.example.com", "--seed", "11", "-q")
        cls.pcap = os.path.join(cls.tmp, "in.pcap")
        cls.n_frames = len(hp.read_pcap(cls.pcap))

    def run_bridge(self, warmup=None, workers=1):
        events = os.path.join(self.tmp, "ev-%s-%d.jsonl" % (warmup, workers))
        extra = "" if warmup is None else "  warmup_requests: %d\n" % warmup
        log = []
        st, frames = hp.run_hookpath(
            self.tmp, [self.pcap, None],
            hp.bridge_cfg(extra + "http: {max_sessions: 256}\nevents: {file: %s}\n" % events +
                          ENDPOINTS),
            workers=workers, log=log)
        return st, frames, hp.read_events(events), log[0]

    def no_warmup_frames(self, frames, name):
        out = os.path.join(self.tmp, name + ".pcap")
        hp.write_pcap(out, frames)
        leaked = hp.tshark(out, ["ip.src", "ip.dst"],
                           "ip.addr == 192.0.2.0/24 or ip.addr == 198.51.100.1")
        self.assertEqual(leaked, [], "warm-up frames left the worker on %s" % name)

    def check_real_only(self, st, frames, evs, workers):
        c = st["counters"]
        self.assertEqual(c["rx_packets"], self.n_frames)
        self.assertEqual(c["tx_packets"], self.n_frames)
        self.assertEqual(len(frames[1]), self.n_frames)  # all of it to the server side
        self.assertEqual(frames[0], [])  # nothing back to the client: no reply, no RST
        for k in ("http_requests", "requests_routed", "verdict_accept", "flows_created",
                  "reason_ok"):
            self.assertEqual(c.get(k, 0), N, k)
        for k in ("verdict_reject", "verdict_duplicate", "verdict_pass", "events_ring_full",
                  "forensics_captured", "replay_global_asked", "ml_ring_full"):
            self.assertEqual(c.get(k, 0), 0, k)
        self.assertEqual(c.get("ml_records", 0), N)
        self.assertEqual(st["latency"]["count"], N)
        self.assertEqual(st["replay_cache"]["entries"], N)
        self.assertLessEqual(st["flows_active"], N)
        self.assertEqual(sum(w["rx_packets"] for w in st["per_worker"]), self.n_frames)
        self.assertEqual(st["endpoints"]["s"]["requests"], N)
        for name in ("g", "w", "l", "n"):
            self.assertEqual(st["endpoints"][name]["requests"], 0, name)
        self.assertEqual(len(evs), N)
        self.assertTrue(all(e["endpoint"] == "s" and e["verdict"] == "accept" for e in evs))
        self.assertFalse([e for e in evs if "warmup" in e.get("webhook_id", "")])
        self.no_warmup_frames(frames[0], "client-side-%d" % workers)
        self.no_warmup_frames(frames[1], "server-side-%d" % workers)

    def test_default_warmup_is_invisible(self):
        st, frames, evs, log = self.run_bridge()
        lines = WARM_RE.findall(log)
        self.assertEqual(len(lines), 1, log[-3000:])
        _, packets, accepted, requests = map(int, lines[0])
        self.assertEqual(requests, 256)
        self.assertGreaterEqual(packets, 8 * requests)
        # 256 requests over 5 endpoints in turn: gitlab's 51 go unsigned and are refused
        self.assertEqual(accepted, requests - len(range(3, requests, 5)))
        # the same figures for operators in the stats (/v1/stats, --stats-file)
        wu = st["per_worker"][0]["warmup"]
        self.assertEqual((wu["requests"], wu["accepted"], wu["packets"]),
                         (requests, accepted, packets))
        self.assertGreater(wu["ms"], 0)
        self.check_real_only(st, frames, evs, 1)
        # the ML rate state never saw the warm-up: the first real request is the endpoint's
        # first and its source is new
        first = evs[0]["ml"]["features"]
        self.assertIsNone(first["gap_ms"])
        self.assertEqual(first["new_source"], 1)
        self.assertEqual(first["src_rate"], 1)

    def test_two_workers(self):
        st, frames, evs, log = self.run_bridge(workers=2)
        lines = WARM_RE.findall(log)
        self.assertEqual(sorted(int(x[0]) for x in lines), [0, 1], log[-3000:])
        self.check_real_only(st, frames, evs, 2)

    def test_off(self):
        st, frames, evs, log = self.run_bridge(warmup=0)
        self.assertEqual(WARM_RE.findall(log), [])
        self.assertNotIn("warmup", st["per_worker"][0])
        self.check_real_only(st, frames, evs, 0)


def connection(client, server, req, isn=1000, sisn=5000):
    """The client's side of one connection carrying req: handshake, the request, FIN."""
    return [hp.tcp_frame(client, server, "S", isn, 0),
            hp.tcp_frame(server, client, "SA", sisn, isn + 1),
            hp.tcp_frame(client, server, "A", isn + 1, sisn + 1),
            hp.tcp_frame(client, server, "PA", isn + 1, sisn + 1, req),
            hp.tcp_frame(client, server, "FA", isn + 1 + len(req), sisn + 1)]


def stripe_request(secret, body, host="a.example.com"):
    sys.path.insert(0, os.path.join(hp.ROOT, "pktgen-scripts"))
    import hp_sign
    hdrs = hp_sign.sign("stripe", secret, body, host=host, target="/hooks")
    head = "POST /hooks HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n" \
           "Content-Length: %d\r\n" % (host, len(body))
    head += "".join("%s: %s\r\n" % (k, v) for k, v in hdrs)
    return head.encode() + b"\r\n" + body


class AttackerView(hp.TmpDirCase):
    """What an attacker could try against the warm-up, read from the server side of the bridge:
    - a forged webhook on the first warm-up connection's exact tuple (192.0.2.1:20000 to
      198.51.100.1:80, a guarded port), with the warm-up's body and ids, signed with a wrong
      secret: refused like any forgery, its request never complete at the server (no state of
      the warm-up's connection was left for it to ride on);
    - a genuine webhook whose event id is a warm-up request's: accepted (the warm-up entered
      nothing in the replay cache), and the same webhook again on another connection a
      duplicate that never completes at the server (the cache works as before)."""

    def test_forgery_and_replay_around_the_warmup(self):
        body = (b'{"id":"evt_hookpath_warmup_000000","object":"event",'
                b'"type":"hookpath.warmup","data":{"object":{"id":"obj_warmup_000000"}}}')
        # the id of the stripe endpoint's first warm-up request (connection 0)
        genuine = stripe_request(SECRET, body)
        forged = stripe_request("whsec_not_the_endpoints", body.replace(b"000000", b"000005"))
        frames = (connection(("192.0.2.1", 20000), ("198.51.100.1", 80), forged) +
                  connection(("198.18.0.5", 41000), ("198.19.0.1", 8080), genuine) +
                  connection(("198.18.0.5", 41001), ("198.19.0.1", 8080), genuine, 7000))
        pcap = hp.write_frames(self.tmp, "attacker", frames)
        events = os.path.join(self.tmp, "attacker.jsonl")
        st, out = hp.run_hookpath(
            self.tmp, [pcap, None],
            hp.bridge_cfg("events: {file: %s}\n" % events + ENDPOINTS))
        evs = hp.read_events(events)
        self.assertEqual([(e["verdict"], e["reason"]) for e in evs],
                         [("reject", "bad_signature"), ("accept", "ok"),
                          ("duplicate", "duplicate")])
        server = {}
        for port in (80, 8080):
            server.update(hp.client_streams(out[1], port)[0])
        got = {k: v[1] for k, v in server.items()}
        self.assertNotIn(forged, got.get("192.0.2.1:20000", b""))
        self.assertIn(genuine, got.get("198.18.0.5:41000", b""))
        self.assertNotIn(genuine, got.get("198.18.0.5:41001", b""))
        self.assertEqual(st["counters"]["verdict_accept"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
