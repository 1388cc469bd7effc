#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Several instances on one host (issue 16): two hookpath processes with their own EAL
--file-prefix and no control.instance write to a real Redis at once: each gets its own
default instance name (host-prefix), stream and spool, and every event of each lands in its
own stream (no XADD refused as a duplicate, as when both defaulted to the host name and half
of the first's events were lost). Two processes given one spool directory: the second
refuses to start, naming the directory and the first's pid."""
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
        for p in cls.prefixes:
            shutil.rmtree("/var/lib/hookpath/spool/%s-%s" % (socket.gethostname(), p),
                          ignore_errors=True)
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
