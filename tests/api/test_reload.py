#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Reload under traffic (issue 16): hookpath in tap mode over a pcap replayed without end.

- SIGHUP with a valid file: its new endpoint and a live limit are applied (GET /v1/endpoints,
  /v1/limits), verdicts go on;
- SIGHUP with a file that does not load: refused with the loader's message (file, line,
  key), logged; the running configuration stays and verdicts go on;
- a file that changes a key that needs a restart: refused whole (409 on POST /v1/reload,
  naming the key), nothing of it applied;
- POST /v1/reload with a valid file: 200;
- SIGUSR1: the events file, moved away as logrotate does, is opened again at its path and
  receives the events that follow;
- SIGHUP no longer kills the process; at SIGTERM it exits 0."""
import os
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcap"))
import hp_pcaptest as hp  # noqa: E402

HOST = "hooks.example.com"


def yaml(tmp, extra_ep="", syn=30, sessions=256, broken=False):
    return ("dataplane:\n  mode: tap\n  flows: {timeout_syn_s: %d}\n"
            "http: {max_sessions: %d}\n"
            "events: {file: %s/ev.jsonl}\n"
            "control: {api_socket: %s/api.sock, state_file: %s/state.json}\n"
            "endpoints:\n  - {name: a, match: {host: %s}, provider: none, dedup: {key: none}}\n"
            "%s%s" % (syn, sessions, tmp, tmp, tmp, HOST, extra_ep,
                      "  - {name: broken, match: {host: x}, provider: nope}\n" if broken
                      else ""))


class Reload(unittest.TestCase):
    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory(prefix="hp-reload-")
        self.tmp = self.tmpdir.name
        self.cfg = os.path.join(self.tmp, "c.yaml")
        self.write()
        hp.gen(self.tmp, "webhooks", "-o", "w.pcap", "--sessions", "40", "--host", HOST, "-q")
        self.sock = os.path.join(self.tmp, "api.sock")
        self.p = hp.start_live(self.cfg, os.path.join(self.tmp, "w.pcap"),
                               "hp-reload-%d" % os.getpid(), self.sock)

    def tearDown(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.communicate(timeout=30)
        self.tmpdir.cleanup()

    def write(self, **kw):
        tmp = self.cfg + ".tmp"
        with open(tmp, "w") as f:
            f.write(yaml(self.tmp, **kw))
        os.rename(tmp, self.cfg)

    def req(self, method, path, body=None):
        return hp.api(self.sock, method, path, body)

    def verdicts(self):
        st, s = self.req("GET", "/v1/stats")
        self.assertEqual(st, 200)
        c = s["counters"]
        return c["verdict_accept"] + c["verdict_reject"] + c["verdict_duplicate"]

    def names(self):
        return [e["name"] for e in self.req("GET", "/v1/endpoints")[1]["endpoints"]]

    def hup_and_wait(self):
        v = self.verdicts()
        self.p.send_signal(signal.SIGHUP)
        time.sleep(0.3)  # the control loop takes it at its next turn (10 ms)
        self.assertIsNone(self.p.poll(), "SIGHUP stopped hookpath")
        self.assertGreater(self.verdicts(), v, "verdicts stalled")

    def limit(self, key):
        return self.req("GET", "/v1/limits")[1][key]

    def test_reload(self):
        self.assertEqual(self.names(), ["a"])
        self.assertEqual(self.limit("dataplane.flows.timeout_syn_s"), 30)
        # a valid file: one more endpoint, a live limit
        self.write(extra_ep="  - {name: b, match: {host: other.example}, provider: none}\n",
                   syn=7)
        self.hup_and_wait()
        self.assertEqual(self.names(), ["a", "b"])
        self.assertEqual(self.limit("dataplane.flows.timeout_syn_s"), 7)
        # a file that does not load: refused, nothing changes
        self.write(broken=True)
        self.hup_and_wait()
        self.assertEqual(self.names(), ["a", "b"])
        self.assertEqual(self.limit("dataplane.flows.timeout_syn_s"), 7)
        # a key that needs a restart: refused whole (its endpoint change too)
        self.write(sessions=512)
        st, r = self.req("POST", "/v1/reload")
        self.assertEqual(st, 409, r)
        self.assertEqual(r["error"]["field"], "http.max_sessions")
        self.assertEqual(self.names(), ["a", "b"])
        # valid again, through the API: b goes
        self.write(syn=9)
        st, r = self.req("POST", "/v1/reload")
        self.assertEqual(st, 200, r)
        self.assertEqual((r["reloaded"], r["endpoints"]), (True, 1))
        self.assertEqual(self.names(), ["a"])
        self.assertEqual(self.limit("dataplane.flows.timeout_syn_s"), 9)
        # logrotate: the file moved away, SIGUSR1, a new file at the path
        ev = os.path.join(self.tmp, "ev.jsonl")
        os.rename(ev, ev + ".1")
        self.p.send_signal(signal.SIGUSR1)
        for _ in range(100):
            if os.path.exists(ev) and os.path.getsize(ev) > 0:
                break
            time.sleep(0.05)
        self.assertGreater(os.path.getsize(ev), 0)
        moved = os.path.getsize(ev + ".1")
        time.sleep(0.3)
        self.assertEqual(os.path.getsize(ev + ".1"), moved, "still writing the moved file")
        self.p.send_signal(signal.SIGTERM)
        out, _ = self.p.communicate(timeout=60)
        self.assertEqual(self.p.returncode, 0, out[-2000:])
        self.assertIn("SIGHUP: %s reloaded" % self.cfg, out)
        self.assertRegex(out, r"SIGHUP: reload of .* refused, the running configuration "
                              r"stays: .*c\.yaml:\d+:\d+: endpoints\[1\]\.provider")
        self.assertIn("SIGUSR1: events file reopened", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
