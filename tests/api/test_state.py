#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The API's changes survive a restart (issue 16, control.state_file), under traffic.

hookpath in tap mode over a pcap of stripe webhooks signed with secret S1, replayed without
end; the verdict counters say which secrets verify:

- GET /v1/config: the running configuration, secrets as ids only, the Redis URL's password
  hidden (neither appears anywhere in the answer);
- S2 added and S1 retired through the API: S1's webhooks refused; after a restart S1 is still
  retired (its webhooks still refused) and S2's id is the same (stable ids);
- S1 added again, then dated three seconds ahead (hookpathctl secrets expire): accepted, then retired by itself
  (logged, GET shows it gone, its webhooks refused again), and that too survives a restart;
- the file's endpoints edited, then SIGHUP: the file wins, the API's changes are kept aside
  in state.old;
- a state file that is not private, or not JSON, stops hookpath at start naming the key;
- bad API input refused naming the field; every secret with a not_after refused at load."""
import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcap"))
import hp_pcaptest as hp  # noqa: E402

HOST = "hooks.example.com"
S1 = "whsec_state_test_first_secret_0123456789"
S2 = "whsec_state_test_second_secret_987654321"
REDIS_PW = "redis-password-never-shown"
CTL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools",
                   "hookpathctl")


def yaml(tmp, extra_ep=""):
    return ("dataplane: {mode: tap}\n"
            "control: {api_socket: %s/api.sock, state_file: %s/state/hp.json}\n"
            "sinks:\n  redis: {url: \"redis://:%s@127.0.0.1:1\"}\n  spool: {dir: %s/spool}\n"
            "endpoints:\n"
            "  - {name: a, match: {host: %s}, provider: stripe, secrets: [\"%s\"],\n"
            "     dedup: {key: none}}\n%s" % (tmp, tmp, REDIS_PW, tmp, HOST, S1, extra_ep))


class State(unittest.TestCase):
    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory(prefix="hp-state-")
        self.tmp = self.tmpdir.name
        self.cfg = os.path.join(self.tmp, "c.yaml")
        self.state = os.path.join(self.tmp, "state", "hp.json")
        self.sock = os.path.join(self.tmp, "api.sock")
        self.write()
        hp.gen(self.tmp, "webhooks", "-o", "w.pcap", "--sessions", "40", "--host", HOST,
               "--provider", "stripe", "--secret", S1, "-q")
        self.p = None
        self.out = ""

    def tearDown(self):
        if self.p is not None and self.p.poll() is None:
            self.p.kill()
            self.p.communicate(timeout=30)
        self.tmpdir.cleanup()

    def write(self, **kw):
        with open(self.cfg + ".tmp", "w") as f:
            f.write(yaml(self.tmp, **kw))
        os.rename(self.cfg + ".tmp", self.cfg)

    def start(self):
        self.p = hp.start_live(self.cfg, os.path.join(self.tmp, "w.pcap"),
                               "hp-state-%d" % os.getpid(), self.sock)

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        out, _ = self.p.communicate(timeout=60)
        self.assertEqual(self.p.returncode, 0, out[-2000:])
        self.out += out
        self.p = None
        return out

    def ctl(self, *args):
        p = subprocess.run([sys.executable, CTL, "--socket", self.sock] + list(args),
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout

    def req(self, method, path, body=None):
        return hp.api(self.sock, method, path, body)

    def counters(self):
        st, s = self.req("GET", "/v1/stats")
        self.assertEqual(st, 200)
        return s["counters"]

    def delta(self, seconds=1.0):
        """Accepted and refused-as-bad-signature verdicts over a second of traffic, and every
        counter that moved (for the message when an assertion fails)."""
        a = self.counters()
        time.sleep(seconds)
        b = self.counters()
        moved = {k: b[k] - a.get(k, 0) for k in b
                 if isinstance(b[k], int) and b[k] != a.get(k, 0)}
        return (b["verdict_accept"] - a["verdict_accept"],
                b["reason_bad_signature"] - a["reason_bad_signature"], moved)

    def wait_traffic(self):
        for _ in range(100):
            c = self.counters()
            if c["verdict_accept"] + c["verdict_reject"] > 0:
                return
            time.sleep(0.05)
        self.fail("no verdicts")

    def ids(self):
        st, ep = self.req("GET", "/v1/endpoints/a")
        self.assertEqual(st, 200, ep)
        return [s["id"] for s in ep["secrets"]], ep["secrets"]

    def why(self, moved):
        """What moved and what hookpath said: it is stopped for its output."""
        out = ""
        if self.p is not None and self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            out, _ = self.p.communicate(timeout=60)
        return "counters moved: %s\nrefused events: %s\nhookpath said: %s" % (
            json.dumps(moved, sort_keys=True), "\n".join(self.refused_events()),
            (self.out + (out or ""))[-3000:])

    def refused_events(self, n=3):
        """The first n events of refused webhooks in the spool (Redis is down here): which
        connections, what length of body."""
        found = []
        for root, _, files in os.walk(os.path.join(self.tmp, "spool")):
            for name in sorted(files):
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read()
                for m in re.finditer(rb'\{"ts":[^\x00]*?"latency_ns":\d+\}', data):
                    if b'"verdict":"reject"' in m.group(0) and len(found) < n:
                        found.append(m.group(0).decode("utf-8", "replace"))
        return found

    def assert_verifies(self, s1_ok):
        acc, bad, moved = self.delta()
        if s1_ok and not (acc > 0 and bad == 0):
            self.fail("S1's webhooks refused or forged ones seen: " + self.why(moved))
        if not s1_ok and not (acc == 0 and bad > 0):
            self.fail("S1's webhooks accepted after it was retired: " + self.why(moved))

    def test_state(self):
        self.start()
        self.wait_traffic()
        self.assert_verifies(True)
        # the running configuration, nothing secret in it
        st, r = self.req("GET", "/v1/config")
        self.assertEqual(st, 200, r)
        text = json.dumps(r)
        self.assertNotIn(S1, text)
        self.assertNotIn(REDIS_PW, text)
        self.assertEqual(r["config"]["sinks"]["redis"]["url"], "redis://:***@127.0.0.1:1")
        self.assertEqual(r["state_file"], self.state)
        self.assertFalse(r["api_changes"])
        (id1,), _ = self.ids()
        self.assertEqual(r["config"]["endpoints"][0]["secrets"], [{"id": id1}])
        self.assertEqual(stat.S_IMODE(os.stat(self.state).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(self.state)).st_mode), 0o700)
        # bad input: the field named, nothing changes
        st, r = self.req("POST", "/v1/endpoints/a/secrets", {"secret": S2, "ttl": 3})
        self.assertEqual((st, r["error"]["field"]), (400, "ttl"), r)
        st, r = self.req("PATCH", "/v1/endpoints/a/secrets/" + id1, {"not_after": 1000})
        self.assertEqual((st, r["error"]["field"]), (400, "not_after"), r)
        st, r = self.req("PATCH", "/v1/endpoints/a/secrets/" + id1,
                         {"not_after": "tomorrow"})
        self.assertEqual((st, r["error"]["field"]), (400, "not_after"), r)
        # rotation: S2 in, S1 out
        st, r = self.req("POST", "/v1/endpoints/a/secrets", {"secret": S2})
        self.assertEqual(st, 201, r)
        id2 = r["id"]
        st, r = self.req("DELETE", "/v1/endpoints/a/secrets/" + id1)
        self.assertEqual(st, 200, r)
        time.sleep(0.2)
        self.assert_verifies(False)
        with open(self.state) as f:
            kept = f.read()
        self.assertIn(S2, kept)
        self.assertNotIn(S1, kept, "the retired secret is still in the state file")
        self.stop()
        # a restart: S1 stays retired, S2 keeps its id
        self.start()
        self.wait_traffic()
        self.assertEqual(self.ids()[0], [id2])
        st, r = self.req("GET", "/v1/config")
        self.assertTrue(r["api_changes"], r)
        shown = self.ctl("config", "show", "--table")
        self.assertIn("api changes: yes", shown)
        self.assertIn(id2, shown)
        self.assertNotIn(S2, shown)
        self.assert_verifies(False)
        # S1 back for two seconds: PATCH not_after, then it retires by itself
        st, r = self.req("POST", "/v1/endpoints/a/secrets", {"secret": S1})
        self.assertEqual((st, r["id"]), (201, id1), r)
        time.sleep(0.2)
        self.assert_verifies(True)
        end = int(time.time()) + 3
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end))
        r = self.ctl("secrets", "expire", "a", id1, at, "--json")
        self.assertEqual(json.loads(r), {"id": id1, "not_after": at})
        self.assertEqual(self.ids()[1], [{"id": id2}, {"id": id1, "not_after": at}])
        self.assert_verifies(True)
        while time.time() < end + 0.3:
            time.sleep(0.1)
        self.assertEqual(self.ids()[0], [id2])
        self.assert_verifies(False)
        out = self.stop()
        self.assertIn("endpoint a: secret %s retired: its not_after %s passed" % (id1, at), out)
        self.start()
        self.wait_traffic()
        self.assertEqual(self.ids()[0], [id2])
        self.assert_verifies(False)
        # the file edited: the file wins at SIGHUP, the API's changes set aside
        self.write(extra_ep="  - {name: b, match: {host: other.example}, provider: none}\n")
        self.p.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        self.assertEqual(self.ids()[0], [id1])
        self.assert_verifies(True)
        self.assertTrue(os.path.exists(self.state + ".old"))
        with open(self.state + ".old") as f:
            self.assertIn(S2, f.read())
        st, r = self.req("GET", "/v1/config")
        self.assertFalse(r["api_changes"], r)
        out = self.stop()
        self.assertIn("the file wins", out)
        for text in (self.out, ):
            self.assertNotIn(S1, text)
            self.assertNotIn(S2, text)
            self.assertNotIn(REDIS_PW, text)

    def start_fails(self):
        p = subprocess.run(
            [hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--lcores", "0@0,1@1",
             "--file-prefix", "hp-state-bad-%d" % os.getpid(), "--log-level=lib.*:warning",
             "--vdev", "net_pcap0,rx_pcap=%s" % os.path.join(self.tmp, "w.pcap"),
             "--", "-c", self.cfg], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0, p.stdout[-2000:])
        return p.stdout + p.stderr

    def test_bad_state_file(self):
        self.start()
        self.wait_traffic()
        # nothing written while no secret id was shown nor anything changed
        self.assertFalse(os.path.exists(self.state))
        id_before = self.ids()[0]
        self.assertTrue(os.path.exists(self.state))
        self.stop()
        self.start()
        self.assertEqual(self.ids()[0], id_before)  # the key was kept with the first id
        self.stop()
        os.chmod(self.state, 0o644)
        out = self.start_fails()
        self.assertIn("control.state_file: %s: must be a regular file" % self.state, out)
        with open(self.state, "w") as f:
            f.write("{not json")
        os.chmod(self.state, 0o600)
        out = self.start_fails()
        self.assertIn("control.state_file: %s: not JSON" % self.state, out)

    def test_every_secret_dated(self):
        with open(self.cfg, "w") as f:
            f.write(yaml(self.tmp).replace(
                "secrets: [\"%s\"]" % S1,
                "secrets: [{secret: \"%s\", not_after: \"2030-01-01T00:00:00Z\"}]" % S1))
        p = subprocess.run([hp.HOOKPATH, "--check-config", "--", "-c", self.cfg],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("endpoints[0].secrets: every secret has a not_after", p.stderr)
        self.assertNotIn(S1, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
