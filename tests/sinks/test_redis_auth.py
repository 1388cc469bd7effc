#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Redis with a password (issue 16): a real redis-server with requirepass and an ACL user; the
Redis sink and the shared replay check connect with redis://:password@..., with
redis://user:password@... (ACL) and through a unix socket; a wrong password is refused by the
server (WRONGPASS, events spooled, nothing lost) and no password, right or wrong, appears in
hookpath's output, its stats, its API answers or its events."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcap"))
import hp_pcaptest as hp  # noqa: E402
import sinkenv  # noqa: E402

HOST = "hooks.example.com"
ADMIN_PW = "adm1n-pw-never-shown"
USER, USER_PW = "hookpath", "acl:pw@with/odd%chars"
WRONG_PW = "wr0ng-pw-never-shown"
SECRETS = (ADMIN_PW, USER_PW, WRONG_PW, "acl%3Apw%40with%2Fodd%25chars")


def esc(s):
    return "".join(c if c.isalnum() or c in "-_." else "%%%02X" % ord(c) for c in s)


class RedisAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.TemporaryDirectory(prefix="hp-redis-auth-")
        cls.tmp = cls.tmpdir.name
        cls.port = sinkenv.free_port()
        cls.sock = os.path.join(cls.tmp, "redis.sock")
        cls.redis = subprocess.Popen(
            ["redis-server", "--port", str(cls.port), "--bind", "127.0.0.1", "--unixsocket",
             cls.sock, "--dir", cls.tmp, "--save", "", "--appendonly", "no",
             "--requirepass", ADMIN_PW,
             "--user", USER, "on", ">" + USER_PW, "~hookpath:*", "+@all"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sinkenv.wait_port(cls.port)
        hp.gen(cls.tmp, "webhooks", "-o", "w.pcap", "--sessions", "20", "--host", HOST, "-q")

    @classmethod
    def tearDownClass(cls):
        cls.redis.terminate()
        cls.redis.wait(10)
        cls.tmpdir.cleanup()

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), "--no-auth-warning", "-a",
                               ADMIN_PW] + [str(a) for a in args], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True).stdout

    def run_with(self, name, url):
        events = os.path.join(self.tmp, "%s.jsonl" % name)
        cfg = os.path.join(self.tmp, "%s.yaml" % name)
        stats = os.path.join(self.tmp, "%s-stats.json" % name)
        with open(cfg, "w") as f:
            f.write("dataplane: {mode: tap}\nevents: {file: %s}\ncontrol: {instance: %s}\n"
                    "sinks:\n  spool: {dir: %s/spool-%s}\n"
                    "  redis: {url: \"%s\", timeout_ms: 500}\n"
                    "replay_cache: {global: {url: \"%s\"}}\n"
                    "endpoints:\n  - {name: h, match: {host: %s}, provider: none}\n"
                    % (events, name, self.tmp, name, url, url, HOST))
        p = subprocess.run(
            [hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--file-prefix",
             "hp-rauth-%d-%s" % (os.getpid(), name), "--log-level=lib.*:warning",
             "--log-level=hookpath:debug", "--vdev",
             "net_pcap0,rx_pcap=%s" % os.path.join(self.tmp, "w.pcap"), "--", "-c", cfg,
             "--exit-idle-ms", "600", "--stats-file", stats],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout[-2000:])
        with open(stats) as f:
            st_text = f.read()
        with open(events) as f:
            ev_text = f.read()
        for text in (p.stdout, st_text, ev_text):
            for s in SECRETS:
                self.assertNotIn(s, text, "a password leaked")
        self.out = p.stdout
        return json.loads(st_text), [json.loads(line) for line in ev_text.splitlines()]

    def test_admin_password(self):
        st, evs = self.run_with("admin", "redis://:%s@127.0.0.1:%d/0" % (ADMIN_PW, self.port))
        self.assertEqual(len(evs), 20)
        self.assertEqual(int(self.cli("XLEN", "hookpath:events:admin")), 20)
        self.assertEqual(st["sinks"]["redis"]["sent_total"], 20)
        self.shared_replay_answered(st)

    def shared_replay_answered(self, st):
        # the same webhooks in every test: first here or duplicates of an earlier test's,
        # answered either way (none unavailable)
        g = st["sinks"]["replay_global"]
        self.assertEqual(g["first_total"] + g["duplicate_total"], 20, g)
        self.assertEqual(g["unavailable_total"], 0, g)

    def test_acl_user(self):
        st, evs = self.run_with("acl", "redis://%s:%s@127.0.0.1:%d" % (
            USER, esc(USER_PW), self.port))
        self.assertEqual(int(self.cli("XLEN", "hookpath:events:acl")), 20)
        self.shared_replay_answered(st)

    def test_unix_socket(self):
        st, evs = self.run_with("unix", "unix://%s:%s@%s?db=0" % (USER, esc(USER_PW),
                                                                  self.sock))
        self.assertEqual(int(self.cli("XLEN", "hookpath:events:unix")), 20)

    def test_wrong_password(self):
        st, evs = self.run_with("wrong", "redis://:%s@127.0.0.1:%d" % (WRONG_PW, self.port))
        self.assertEqual(len(evs), 20)
        self.assertEqual(int(self.cli("XLEN", "hookpath:events:wrong")), 0)
        r = st["sinks"]["redis"]
        self.assertIn("WRONGPASS", r["last_error"])
        self.assertIn("127.0.0.1:%d" % self.port, r["last_error"])
        self.assertEqual(r["spool"]["records"], 20)  # nothing lost: spooled
        self.assertIn("WRONGPASS", st["sinks"]["replay_global"]["last_error"])
        # said in the log when it happened, and in the exit summary
        self.assertRegex(self.out, r"sink redis: breaker open after \d+ failed batch\(es\): "
                                   r".*WRONGPASS")
        self.assertRegex(self.out, r"sink redis: sent 0, duplicates 0, left in the spool 20 "
                                   r"\(sent first at the next start\), last error: .*WRONGPASS")
        # the right password, same instance and spool: the spool goes first, then this run's
        st, evs = self.run_with("wrong", "redis://:%s@127.0.0.1:%d" % (ADMIN_PW, self.port))
        self.assertEqual(int(self.cli("XLEN", "hookpath:events:wrong")), 40)
        self.assertIn("sink redis: spool sent, none left", self.out)
        self.assertIn("sink redis: sent 40, duplicates 0, left in the spool 0", self.out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
