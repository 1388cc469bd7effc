#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""hookpath's log type is named "hookpath": EAL's --log-level=hookpath:LEVEL sets what it
writes (it was registered as the literal "RTE_LOG_DEFAULT_LOGTYPE", so the option did
nothing). The same run at info (default), warning and debug: the informational start lines
come and go with the level. At exit DPDK's memory-map files leave the runtime directory."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hp_pcaptest as hp  # noqa: E402


class Logging(hp.TmpDirCase):
    def run_at(self, level):
        cfg = os.path.join(self.tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write("dataplane: {mode: tap}\n")
        pcap = os.path.join(self.tmp, "w.pcap")
        if not os.path.exists(pcap):  # --exit-idle-ms counts from the first packet
            hp.gen(self.tmp, "webhooks", "-o", "w.pcap", "--sessions", "1", "-q")
        cmd = [hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--file-prefix",
               "hp-log-%d" % os.getpid(), "--log-level=lib.*:warning"]
        if level:
            cmd.append("--log-level=hookpath:%s" % level)
        cmd += ["--vdev", "net_pcap0,rx_pcap=%s" % pcap, "--", "-c", cfg, "--exit-idle-ms",
                "100"]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout[-2000:])
        # DPDK's memory-map files are not left behind in the runtime directory (13 MB each
        # run without hugepages; they filled /run once)
        rt = "/var/run/dpdk/hp-log-%d" % os.getpid()
        left = os.listdir(rt) if os.path.isdir(rt) else []
        self.assertEqual([f for f in left if f.startswith("fbarray_") or f == "config"], [])
        return [line for line in p.stdout.splitlines() if line.startswith("hookpath: ")]

    def test_levels(self):
        default, warning, debug = self.run_at(None), self.run_at("warning"), self.run_at("debug")
        self.assertTrue(any("tap mode" in line for line in default), default)
        self.assertFalse(any("tap mode" in line for line in warning), warning)
        self.assertLess(len(warning), len(default))
        self.assertGreaterEqual(len(debug), len(default))


if __name__ == "__main__":
    unittest.main(verbosity=2)
