#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The KServe backend under live traffic (issue 15): hookpath scores every request of a pcap
replayed without end on a KServe v2 server (kserve_server.py); the server is killed: requests
fail (counted by kind), the breaker opens, records are answered missing at once, nothing
stalls; the server comes back on the same port: a readiness probe closes the breaker and the
scores flow again. The API shows the backend, the breaker and the server's model; a reload
checks the server again (502 while it is down, the running scoring unchanged)."""
import os
import re
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcap"))
import hp_pcaptest as hp  # noqa: E402
from test_ml_kserve import start_server, stop_server  # noqa: E402

HOST = "hooks.example.com"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


class KserveLive(unittest.TestCase):
    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory(prefix="hp-ks-live-")
        self.tmp = self.tmpdir.name
        self.model = os.path.join(ROOT, "models", "default.json")
        self.srv, self.port = start_server(self.tmp, self.model)
        hp.gen(self.tmp, "webhooks", "-o", "w.pcap", "--sessions", "50", "--body-size", "300",
               "--host", HOST, "-q")
        self.sock = os.path.join(self.tmp, "api.sock")
        cfg = os.path.join(self.tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write("dataplane: {mode: tap, workers: 1}\nhttp: {max_sessions: 256}\n"
                    "control: {api_socket: %s}\n"
                    "ml: {backend: kserve, ring_size: 65536, queue: 65536, max_batch: 256,\n"
                    "     target_us: 20000,\n"
                    "     kserve: {url: \"http://127.0.0.1:%d/\", timeout_ms: 200,\n"
                    "              breaker: {failures: 2, cooldown_ms: 100,"
                    " cooldown_max_ms: 400}}}\n"
                    "endpoints:\n  - {name: h, match: {host: %s}, provider: none, "
                    "dedup: {key: none}, ml: {policy: score}}\n" % (self.sock, self.port, HOST))
        self.p = hp.start_live(cfg, os.path.join(self.tmp, "w.pcap"),
                               "hp-ks-live-%d" % os.getpid(), self.sock)

    def tearDown(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            self.p.communicate(timeout=30)
        stop_server(self.srv)
        self.tmpdir.cleanup()

    def req(self, method, path, body=None):
        return hp.api(self.sock, method, path, body)

    def metrics(self):
        st, text = self.req("GET", "/metrics")
        self.assertEqual(st, 200)

        def val(pat):
            return sum(float(m) for m in re.findall("^" + pat + r" ([0-9.e+]+)$", text, re.M))
        m = {"rows": val(r"hookpath_ml_rows_total"), "scored": val(r"hookpath_ml_scored_total"),
             "breaker": val(r'hookpath_ml_missing_total\{why="breaker"\}'),
             "error": val(r'hookpath_ml_missing_total\{why="error"\}'),
             "queue": val(r'hookpath_ml_missing_total\{why="queue"\}'),
             "ok": val(r'hookpath_ml_kserve_requests_total\{result="ok"\}'),
             "failed": val(r'hookpath_ml_kserve_requests_total\{result="(?:connection|timeout|'
                           r'http_status|bad_answer)"\}'),
             "open": val(r"hookpath_ml_kserve_breaker_open"),
             "opens": val(r"hookpath_ml_kserve_breaker_opens_total"),
             "ready": val(r'hookpath_ml_kserve_probes_total\{result="ready"\}')}
        # one instant: every record taken is scored, missing, or still on its way
        self.assertLessEqual(m["scored"] + m["breaker"] + m["error"] + m["queue"], m["rows"])
        return m

    def until(self, what, cond, timeout=15):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = self.metrics()
            if cond(m):
                return m
            self.assertIsNone(self.p.poll(), "hookpath exited")
            time.sleep(0.05)
        self.fail("%s: never; last %r" % (what, self.metrics()))

    def test_kill_and_recover(self):
        st, m = self.req("GET", "/v1/models")
        self.assertEqual(st, 200)
        model = m["models"][0]
        self.assertEqual((model["backend"], model["remote_model"], model["version"]),
                         ("kserve", "hookpath", 1))
        self.assertEqual(model["server"]["platform"], "xgboost")
        self.assertEqual(model["kserve"]["breaker"], "closed")
        m0 = self.until("scoring", lambda m: m["scored"] > 2000)
        self.assertEqual((m0["open"], m0["failed"]), (0, 0))

        # killed: connections refused, the breaker opens, records missing at once
        self.srv.kill()
        self.srv.wait()
        self.srv.stderr.close()
        m1 = self.until("breaker open", lambda m: m["open"] == 1 and m["breaker"] > 1000)
        self.assertGreaterEqual(m1["failed"], 2)
        self.assertGreaterEqual(m1["opens"], 1)
        st, mm = self.req("GET", "/v1/models")
        self.assertIn(mm["models"][0]["kserve"]["breaker"], ("open", "probing"))
        # not ready while it cannot score (control.ready.ml, the default)
        st, rd = self.req("GET", "/v1/ready")
        self.assertEqual((st, rd["ready"]), (503, False), rd)
        self.assertTrue(rd["checks"]["ml"].startswith("degraded: kserve breaker"), rd)
        self.assertNotEqual(mm["models"][0]["kserve"]["last_error"], "")
        # a reload now fails the check, names the key, and changes nothing
        st, r = self.req("POST", "/v1/models/default/reload", {})
        self.assertEqual(st, 502, r)
        self.assertEqual(r["error"]["field"], "ml.kserve.url")
        self.assertIn("/v2/health/ready", r["error"]["message"])
        self.assertEqual(self.req("GET", "/v1/models")[1]["models"][0]["version"], 1)
        # the probes keep failing while it is down (cooldown doubles up to 400 ms)
        time.sleep(1.0)
        m2 = self.metrics()
        self.assertEqual(m2["open"], 1)
        self.assertEqual(m2["ready"], 0)
        self.assertGreater(m2["breaker"], m1["breaker"])

        # back on the same port: a probe closes the breaker, scores flow again
        self.srv, _ = start_server(self.tmp, self.model, port=self.port)
        m3 = self.until("breaker closed", lambda m: m["open"] == 0 and m["ready"] >= 1)
        st, rd = self.req("GET", "/v1/ready")
        self.assertEqual((st, rd["checks"]["ml"]), (200, "ok"), rd)
        m4 = self.until("scoring again", lambda m: m["scored"] > m3["scored"] + 2000)
        self.assertEqual(m4["opens"], m3["opens"])
        # a reload checks the server again: version 2
        st, r = self.req("POST", "/v1/models/default/reload", {})
        self.assertEqual(st, 200, r)
        self.assertEqual(r["version"], 2)
        st, r = self.req("POST", "/v1/models/default/reload", {"path": "/tmp/x.json"})
        self.assertEqual(st, 422, r)
        self.assertEqual(r["error"]["field"], "path")
        self.assertIn("kserve", r["error"]["message"])
        self.p.send_signal(signal.SIGTERM)
        out, _ = self.p.communicate(timeout=30)
        self.assertEqual(self.p.returncode, 0, out[-2000:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
