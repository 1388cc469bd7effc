#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ML scoring on a remote KServe v2 server (issue 15, ml.backend kserve): hookpath over
generated webhooks (net_pcap vdevs) sends its batches to kserve_server.py (the Open Inference
Protocol over python3-xgboost); tshark and the rebuilt client streams read the server side.

- the scores that come back are the model's: each event's score equals python3-xgboost's
  prediction of the feature vector the event carries (the default model);
- enforce through the remote model: large bodies never reach the server (403 ml_blocked);
- no inference server: enforce fails closed at once (503 ml_unavailable, nothing forwarded,
  "missing": "unavailable"), or open when the operator chose on_timeout: accept;
- a server that answers too slowly, with an error, or with the wrong number of scores: each
  failed batch's rows are missing ("error"), the breaker opens after the configured failures
  and what follows is missing at once ("unavailable"); nothing is held or lost;
- live (test_ml_kserve_live.py): the server killed and restarted under traffic."""
import json
import math
import os
import subprocess
import sys
import time
import unittest

import numpy as np
import xgboost as xgb

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcap"))
import hp_pcaptest as hp  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
HOST = "hooks.example.com"
SMALL, BIG = 300, 30000
N_SMALL, N_BIG = 10, 4
PORT = 8080  # the generator's server port
FEATURES = ["endpoint", "provider", "body_len", "n_headers", "json_depth", "json_keys",
            "pii_matches", "pii_entities", "ts_skew_s", "verified", "has_id", "src_rate",
            "ep_rate", "new_source", "gap_ms", "hour"]


def start_server(tmp, model, *args, port=0, wrapper=()):
    """kserve_server.py on loopback (under wrapper, e.g. taskset); returns (process, port)."""
    pf = os.path.join(tmp, "ks-%d.port" % time.monotonic_ns())
    cmd = ["/usr/bin/python3", os.path.join(HERE, "kserve_server.py"), "--model", model,
           "--port", str(port), "--port-file", pf]
    p = subprocess.Popen(list(wrapper) + cmd + list(args), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    for _ in range(400):
        if os.path.exists(pf):
            with open(pf) as f:
                return p, int(f.read())
        if p.poll() is not None:
            raise AssertionError("kserve_server exited: %s" % p.stderr.read().decode())
        time.sleep(0.025)
    p.kill()
    raise AssertionError("kserve_server did not start")


def stop_server(p):
    if p.poll() is None:
        p.terminate()
        p.wait(timeout=10)
    p.stderr.close()


def free_port():
    """A loopback port nothing listens on (bound, then closed)."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class MlKserve(hp.TmpDirCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = os.path.join(cls.tmp, "rule.json")
        subprocess.run(["/usr/bin/python3", os.path.join(HERE, "make_rule_model.py"), cls.rule],
                       check=True)
        cls.default = os.path.join(ROOT, "models", "default.json")
        hp.gen(cls.tmp, "webhooks", "-o", "small.pcap", "--sessions", str(N_SMALL),
               "--body-size", str(SMALL), "--host", HOST, "--seed", "3", "-q")
        hp.gen(cls.tmp, "webhooks", "-o", "big.pcap", "--sessions", str(N_BIG),
               "--body-size", str(BIG), "--host", HOST, "--seed", "4", "--clients", "3",
               "-q")
        cls.mixed = os.path.join(cls.tmp, "mixed.pcap")
        hp.write_pcap(cls.mixed, hp.read_pcap(os.path.join(cls.tmp, "small.pcap")) +
                      hp.read_pcap(os.path.join(cls.tmp, "big.pcap")))
        hp.gen(cls.tmp, "webhooks", "-o", "many.pcap", "--sessions", "120",
               "--body-size", "700", "--host", HOST, "--seed", "5", "--clients", "7", "-q")
        cls.many = os.path.join(cls.tmp, "many.pcap")

    def run_ml(self, url, ep_ml, pcap=None, kserve="", ml=""):
        events = os.path.join(self.tmp, "ev.jsonl")
        if os.path.exists(events):
            os.unlink(events)
        cfg = hp.bridge_cfg(
            "events: {file: %s}\nhttp: {max_sessions: 256, body_copy_max: 65536}\n"
            "ml: {backend: kserve, kserve: {url: \"%s\"%s}%s}\n"
            "endpoints:\n  - {name: h, match: {host: %s}, provider: none, dedup: {key: none},\n"
            "     ml: {%s}}\n" % (events, url, kserve, ml, HOST, ep_ml))
        st, frames = hp.run_hookpath(self.tmp, [pcap or self.mixed, None], cfg, idle_ms=600)
        return st, frames, hp.read_events(events)

    def server_bodies(self, frames):
        streams, _ = hp.client_streams(frames[1], port=PORT)
        return sorted(len(b) for _, s in streams.values() for b in hp.bodies(s))

    def response_codes(self, frames):
        path = os.path.join(self.tmp, "out-p0.pcap")
        hp.write_pcap(path, frames[0])
        return sorted(r[0] for r in hp.tshark(path, ["http.response.code"], "http.response"))

    def test_scores_are_the_models(self):
        srv, port = start_server(self.tmp, self.default)
        try:
            # generous deadlines: a loaded CI machine must not turn a score into a miss
            st, frames, evs = self.run_ml("http://127.0.0.1:%d" % port, "policy: score",
                                          pcap=self.many, kserve=", timeout_ms: 5000",
                                          ml=", timeout_ms: 2000")
        finally:
            stop_server(srv)
        self.assertEqual(len(evs), 120)
        booster = xgb.Booster()
        booster.load_model(self.default)
        x = np.array([[math.nan if e["ml"]["features"][k] is None else e["ml"]["features"][k]
                       for k in FEATURES] for e in evs], dtype=np.float32)
        want = booster.inplace_predict(x)
        got = np.array([e["ml"]["score"] for e in evs])
        # the events print 6 decimals
        self.assertLess(float(np.max(np.abs(want - got))), 1e-6 + 5e-7, (want, got))
        self.assertGreater(len(set(np.round(got, 3))), 1)  # not one constant answer
        self.assertEqual(st["counters"]["ml_records"], 120)
        self.assertEqual(len(self.server_bodies(frames)), 120)

    def test_enforce_through_remote(self):
        srv, port = start_server(self.tmp, self.rule)
        try:
            st, frames, evs = self.run_ml("http://127.0.0.1:%d" % port,
                                          "policy: enforce, threshold: 0.5",
                                          kserve=", timeout_ms: 5000", ml=", timeout_ms: 3000")
        finally:
            stop_server(srv)
        by = sorted((e["http"]["body_len"], e["verdict"], e["reason"]) for e in evs)
        self.assertEqual(by, [(SMALL, "accept", "ok")] * N_SMALL +
                         [(BIG, "reject", "ml_blocked")] * N_BIG)
        self.assertEqual(self.server_bodies(frames), [SMALL] * N_SMALL)
        self.assertEqual(self.response_codes(frames), ["403"] * N_BIG)

    def test_no_server_fails_closed(self):
        # nothing listens: the start check fails, the breaker is open, enforce refuses at
        # once (well before the 2 s the requests could wait)
        st, frames, evs = self.run_ml("http://127.0.0.1:%d" % free_port(),
                                      "policy: enforce", ml=", timeout_ms: 2000")
        self.assertEqual(len(evs), N_SMALL + N_BIG)
        for e in evs:
            self.assertEqual((e["verdict"], e["reason"]), ("reject", "ml_unavailable"), e)
            self.assertEqual(e["ml"].get("missing"), "unavailable", e)
            self.assertLess(e["latency_ns"], 1e9, e)
        self.assertEqual(self.server_bodies(frames), [])
        self.assertEqual(self.response_codes(frames), ["503"] * (N_SMALL + N_BIG))

    def test_no_server_accept_is_explicit(self):
        st, frames, evs = self.run_ml("http://127.0.0.1:%d" % free_port(),
                                      "policy: enforce, on_timeout: accept")
        self.assertEqual({(e["verdict"], e["reason"]) for e in evs}, {("accept", "ok")})
        self.assertEqual(self.server_bodies(frames), [SMALL] * N_SMALL + [BIG] * N_BIG)
        self.assertEqual(st["counters"]["ml_timeout_accepted"], N_SMALL + N_BIG)

    def faulty(self, *server_args, kserve=""):
        """The warm-up passes, every later infer fails as server_args say; one row per
        batch (max_batch 1) and one request at a time, so that each request is one event;
        ml.timeout_ms (the events wait up to 4x that for their score) covers the failures."""
        srv, port = start_server(self.tmp, self.rule, "--faults-after", "1", *server_args)
        try:
            return self.run_ml("http://127.0.0.1:%d" % port, "policy: score",
                               kserve=", inflight: 1, breaker: {failures: 3, "
                               "cooldown_ms: 60000, cooldown_max_ms: 60000}" + kserve,
                               ml=", max_batch: 1, timeout_ms: 1000")
        finally:
            stop_server(srv)

    def check_breaker(self, st, frames, evs):
        missing = [e["ml"].get("missing") for e in evs]
        # three failed requests open the breaker; the rest are missing at once
        self.assertEqual(missing.count("error"), 3, missing)
        self.assertEqual(missing.count("unavailable"), N_SMALL + N_BIG - 3, missing)
        # score only: everything was forwarded, nothing held
        self.assertEqual(self.server_bodies(frames), [SMALL] * N_SMALL + [BIG] * N_BIG)

    def test_timeout_opens_breaker(self):
        st, frames, evs = self.faulty("--delay-ms", "400", kserve=", timeout_ms: 50")
        self.check_breaker(st, frames, evs)

    def test_http_error_opens_breaker(self):
        self.check_breaker(*self.faulty("--fail-infer"))

    def test_short_answer_opens_breaker(self):
        self.check_breaker(*self.faulty("--short"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
