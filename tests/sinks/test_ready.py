#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Readiness that means something (issue 17): hookpath with a Redis sink whose server is down
when the webhooks of a pcap arrive: the breaker opens, the events spool, GET /v1/ready answers
503 with checks.sinks saying why; Redis comes up on its port: a probe closes the breaker, the
spool is sent, ready is 200 again. With control.ready.sinks false the same outage is reported
as degraded while ready stays 200.

A stalled worker: its thread alone stopped with ptrace (PTRACE_SEIZE + PTRACE_INTERRUPT, the
rest of the process runs on), ready is 503 naming it and hookpath_worker_stalled is 1 within
control.ready.stall_ms; let go, it is ready again; both are logged."""
import ctypes
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


PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_DETACH = 0x4206, 0x4207, 17
WALL = 0x40000000  # __WALL: wait for a thread that is not a child


def ptrace(req, tid):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    if libc.ptrace(req, tid, None, None) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "ptrace(%#x, %d): %s" % (req, tid, os.strerror(e)))


def worker_tids(pid):
    """The DPDK worker lcore threads of pid (named rte-worker-N by EAL 22.11, lcore-worker-N
    by later versions)."""
    tids = []
    for t in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
            if f.read().startswith(("rte-worker", "lcore-worker")):
                tids.append(int(t))
    return tids


class WorkerStall(unittest.TestCase):
    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory(prefix="hp-stall-")
        self.tmp = self.tmpdir.name
        hp.gen(self.tmp, "webhooks", "-o", "w.pcap", "--sessions", "4", "--host", HOST, "-q")
        self.sock = os.path.join(self.tmp, "api.sock")
        cfg = os.path.join(self.tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write("dataplane: {mode: tap}\ncontrol: {api_socket: %s, ready: {stall_ms: 300}}\n"
                    "endpoints:\n  - {name: h, match: {host: %s}, provider: none, "
                    "dedup: {key: none}}\n" % (self.sock, HOST))
        self.p = hp.start_live(cfg, os.path.join(self.tmp, "w.pcap"),
                               "hp-stall-%d" % os.getpid(), self.sock)

    def tearDown(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.communicate(timeout=30)
        self.tmpdir.cleanup()

    def until(self, what, cond, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            st, doc = hp.api(self.sock, "GET", "/v1/ready")
            if cond(st, doc):
                return st, doc
            time.sleep(0.05)
        self.fail("%s: never; last %r" % (what, hp.api(self.sock, "GET", "/v1/ready")))

    def stalled_metric(self):
        st, text = hp.api(self.sock, "GET", "/metrics")
        for line in (text if isinstance(text, str) else "").splitlines():
            if line.startswith('hookpath_worker_stalled{worker="0"}'):
                return int(line.split()[-1])
        self.fail("no hookpath_worker_stalled in /metrics")

    def test_stalled_worker_not_ready(self):
        self.until("ready", lambda st, d: st == 200)
        self.assertEqual(self.stalled_metric(), 0)
        tids = worker_tids(self.p.pid)
        self.assertEqual(len(tids), 1, tids)
        ptrace(PTRACE_SEIZE, tids[0])
        try:
            ptrace(PTRACE_INTERRUPT, tids[0])
            os.waitpid(tids[0], WALL)
            t0 = time.monotonic()
            st, doc = self.until("not ready", lambda st, d: st == 503)
            self.assertGreaterEqual(time.monotonic() - t0, 0.2)  # not before stall_ms
            self.assertFalse(doc["ready"])
            self.assertTrue(doc["checks"]["workers"].startswith("stalled: worker 0 (lcore 1)"),
                            doc)
            self.assertEqual(doc["checks"]["ports"], "ok")  # the rest of hookpath answers
            self.assertEqual(self.stalled_metric(), 1)
        finally:
            ptrace(PTRACE_DETACH, tids[0])
        st, doc = self.until("ready again", lambda st, d: st == 200)
        self.assertEqual(doc["checks"]["workers"], "ok")
        self.assertEqual(self.stalled_metric(), 0)
        self.p.send_signal(signal.SIGTERM)
        out, _ = self.p.communicate(timeout=60)
        self.assertEqual(self.p.returncode, 0, out[-2000:])
        self.assertIn("worker 0 (lcore 1) stalled", out)
        self.assertIn("worker 0 (lcore 1) runs again", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
