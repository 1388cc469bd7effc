#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Readiness that means something (issue 17): hookpath with a Redis sink whose server is down
when the webhooks of a pcap arrive: the breaker opens, the events spool, GET /v1/ready answers
503 with checks.sinks saying why; Redis comes up on its port: a probe closes the breaker, the
spool is sent, ready is 200 again. With control.ready.sinks false the same outage is reported
as degraded while ready stays 200."""
import os
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcap"))
import hp_pcaptest as hp  # noqa: E402
import sinkenv  # noqa: E402

HOST = "hooks.example.com"


class Ready(unittest.TestCase):
    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory(prefix="hp-ready-")
        self.tmp = self.tmpdir.name
        self.redis = sinkenv.Redis(self.tmp, appendfsync="off")
        self.redis.stop()  # down when the webhooks come; its port kept for later
        hp.gen(self.tmp, "webhooks", "-o", "w.pcap", "--sessions", "20", "--host", HOST, "-q")
        self.p = None

    def tearDown(self):
        if self.p is not None and self.p.poll() is None:
            self.p.kill()
            self.p.communicate(timeout=30)
        self.redis.stop()
        self.tmpdir.cleanup()

    def start(self, ready_sinks):
        self.sock = os.path.join(self.tmp, "api.sock")
        cfg = os.path.join(self.tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write("dataplane: {mode: tap}\ncontrol: {api_socket: %s, instance: ready, "
                    "ready: {sinks: %s}}\n"
                    "sinks:\n  spool: {dir: %s/spool}\n"
                    "  breaker: {failures: 2, cooldown_ms: 100, cooldown_max_ms: 200}\n"
                    "  redis: {url: \"%s\", timeout_ms: 200}\n"
                    "endpoints:\n  - {name: h, match: {host: %s}, provider: none, "
                    "dedup: {key: none}}\n"
                    % (self.sock, "true" if ready_sinks else "false", self.tmp, self.redis.url,
                       HOST))
        self.p = hp.start_live(cfg, os.path.join(self.tmp, "w.pcap"),
                               "hp-ready-%d" % os.getpid(), self.sock, infinite=False)

    def ready(self):
        return hp.api(self.sock, "GET", "/v1/ready")

    def until(self, what, cond, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            st, doc = self.ready()
            if cond(st, doc):
                return st, doc
            time.sleep(0.1)
        self.fail("%s: never; last %r" % (what, self.ready()))

    def outage(self, ready_sinks):
        self.start(ready_sinks)
        st, doc = self.until("degraded", lambda st, d: d["checks"]["sinks"] != "ok")
        self.assertTrue(doc["checks"]["sinks"].startswith("degraded: redis:"), doc)
        self.assertEqual(st, 503 if ready_sinks else 200, doc)
        self.assertEqual(doc["ready"], not ready_sinks)
        self.redis.start()  # same port
        self.until("ready again", lambda st, d: st == 200 and d["checks"]["sinks"] == "ok",
                   timeout=30)
        self.assertEqual(len(self.redis.stream_ids("hookpath:events:ready")), 20)
        self.p.send_signal(signal.SIGTERM)
        out, _ = self.p.communicate(timeout=60)
        self.assertEqual(self.p.returncode, 0, out[-2000:])

    def test_not_ready_while_spooling(self):
        self.outage(True)

    def test_degraded_but_ready(self):
        self.outage(False)


if __name__ == "__main__":
    unittest.main(verbosity=2)
