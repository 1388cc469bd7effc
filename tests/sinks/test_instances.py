#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Several instances on one host (issue 16): two hookpath processes with their own EAL
--file-prefix and no control.instance write to a real Redis at once: each gets its own
default instance name (host-prefix), stream and spool, and every event of each lands in its
own stream (no XADD refused as a duplicate, as when both defaulted to the host name and half
of the first's events were lost). Two processes given one spool directory: the second
refuses to start, naming the directory and the first's pid. Two processes given one stream
(sinks.redis.stream): the second refuses to start while the first holds <stream>:owner,
starts once the first stopped cleanly (the claim released) and, after a SIGKILL, once the
claim's TTL ran out; every event of each lands once."""
import json
import os
import shutil
import signal
import socket
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


class Instances(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.TemporaryDirectory(prefix="hp-instances-")
        cls.tmp = cls.tmpdir.name
        cls.redis = sinkenv.Redis(cls.tmp, appendfsync="off")
        for name, seed in (("a", 1), ("b", 2)):
            hp.gen(cls.tmp, "webhooks", "-o", "%s.pcap" % name, "--sessions", "300",
                   "--host", HOST, "--seed", str(seed), "-q")
        cls.prefixes = ["hpinst%da%d" % (os.getpid(), i) for i in range(2)]

    @classmethod
    def tearDownClass(cls):
        cls.redis.stop()
        # the default spools of this test's instances
        for p in cls.prefixes + ["hpinst%dstream%d" % (os.getpid(), i) for i in range(4)]:
            shutil.rmtree("/var/lib/hookpath/spool/%s-%s" % (socket.gethostname(), p),
                          ignore_errors=True)
            try:
                os.unlink("/var/lib/hookpath/state/%s-%s.json" % (socket.gethostname(), p))
            except OSError:
                pass
        cls.tmpdir.cleanup()

    def cmd(self, prefix, pcap, cfg, stats=None, idle=True):
        c = [hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--lcores", "0@0,1@1",
             "--file-prefix", prefix, "--log-level=lib.*:warning", "--vdev",
             "net_pcap0,rx_pcap=%s" % pcap, "--", "-c", cfg]
        if idle:
            c += ["--exit-idle-ms", "500"]
        if stats:
            c += ["--stats-file", stats]
        return c

    def test_default_names_apart(self):
        cfg = os.path.join(self.tmp, "shared.yaml")
        with open(cfg, "w") as f:  # one file for both, as a copied config would be
            f.write("dataplane: {mode: tap}\nsinks:\n  redis: {url: \"%s\"}\n"
                    "endpoints:\n  - {name: h, match: {host: %s}, provider: none}\n"
                    % (self.redis.url, HOST))
        procs = []
        for i, name in enumerate(("a", "b")):
            stats = os.path.join(self.tmp, "%s-stats.json" % name)
            procs.append((subprocess.Popen(
                self.cmd(self.prefixes[i], os.path.join(self.tmp, name + ".pcap"), cfg, stats),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), stats))
        names = set()
        for p, stats in procs:
            out, _ = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, out[-2000:])
            with open(stats) as f:
                st = json.load(f)
            inst = st["sinks"]["instance"]
            names.add(inst)
            r = st["sinks"]["redis"]
            self.assertEqual((r["sent_total"], r["duplicates_total"]), (300, 0), r)
            self.assertEqual(int(self.redis.cli("XLEN", "hookpath:events:" + inst)), 300)
        self.assertEqual(names, {"%s-%s" % (socket.gethostname(), p) for p in self.prefixes})

    def test_one_spool_one_process(self):
        spool = os.path.join(self.tmp, "one-spool")
        cfg = os.path.join(self.tmp, "spool.yaml")
        with open(cfg, "w") as f:
            f.write("dataplane: {mode: tap}\nsinks:\n  spool: {dir: %s}\n"
                    "  redis: {url: \"redis://127.0.0.1:1\"}\n"
                    "endpoints:\n  - {name: h, match: {host: %s}, provider: none}\n"
                    % (spool, HOST))
        pcap = os.path.join(self.tmp, "a.pcap")
        first = subprocess.Popen(self.cmd("hpinst%dfirst" % os.getpid(), pcap, cfg, idle=False),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            for _ in range(200):  # until its spool is open (and locked)
                if os.path.exists(os.path.join(spool, "redis", "cursor")):
                    break
                self.assertIsNone(first.poll(), "the first instance exited")
                time.sleep(0.05)
            time.sleep(0.3)
            second = subprocess.run(self.cmd("hpinst%dsecond" % os.getpid(), pcap, cfg),
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, timeout=60)
            self.assertNotEqual(second.returncode, 0, second.stdout[-2000:])
            self.assertIn("sinks.spool.dir: %s/redis is in use by another hookpath (pid %d)"
                          % (spool, first.pid), second.stdout)
            self.assertIsNone(first.poll(), "the first instance must keep running")
        finally:
            first.send_signal(signal.SIGTERM)
            out, _ = first.communicate(timeout=60)
        self.assertEqual(first.returncode, 0, out[-2000:])

    def test_one_stream_one_writer(self):
        cfg = os.path.join(self.tmp, "stream.yaml")
        with open(cfg, "w") as f:
            f.write("dataplane: {mode: tap}\n"
                    "sinks:\n  redis: {url: \"%s\", stream: shared, owner_ttl_ms: 1500}\n"
                    "endpoints:\n  - {name: h, match: {host: %s}, provider: none}\n"
                    % (self.redis.url, HOST))
        pre = ["hpinst%dstream%d" % (os.getpid(), i) for i in range(4)]
        pcaps = [os.path.join(self.tmp, n + ".pcap") for n in ("a", "b", "a", "b")]
        host = socket.gethostname()

        def start(i):
            return subprocess.Popen(self.cmd(pre[i], pcaps[i], cfg, idle=False),
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        def refused(i, holder):
            p = subprocess.run(self.cmd(pre[i], pcaps[i], cfg), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=60)
            self.assertNotEqual(p.returncode, 0, p.stdout[-2000:])
            self.assertIn("sinks.redis.stream: shared is written by another live hookpath "
                          "(%s-%s pid %d since " % (host, pre[holder[0]], holder[1].pid),
                          p.stdout)

        def xlen_reaches(n):
            for _ in range(200):
                if int(self.redis.cli("XLEN", "shared")) >= n:
                    return
                time.sleep(0.05)
            self.fail("the stream has %s entries, not %d" % (self.redis.cli("XLEN", "shared"), n))

        def stop(p):
            p.send_signal(signal.SIGTERM)
            out, _ = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, out[-2000:])
            return out

        first = start(0)
        try:
            xlen_reaches(300)
            refused(1, (0, first))
        finally:
            stop(first)
        self.assertEqual(int(self.redis.cli("EXISTS", "shared:owner")), 0, "claim not released")
        second = start(1)  # the first stopped cleanly: at once
        xlen_reaches(600)
        second.kill()  # no release: the claim runs out after its TTL
        second.communicate(timeout=60)
        refused(2, (1, second))
        time.sleep(1.6)
        third = start(2)
        xlen_reaches(900)
        stop(third)
        self.assertEqual(int(self.redis.cli("XLEN", "shared")), 900)


if __name__ == "__main__":
    unittest.main(verbosity=2)
