#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""pktgen-scripts/replay.lua on the Pktgen Lua API of 23.x and of 26.x (issue 16: on 26.x
portStats takes one argument and nests the counters under .curr, and the script failed):
tests/deploy/pktgen_api.lua models each version's calls as its app/lpktgenlib.c defines them
(no Pktgen or NIC here). The script must set rate, burst, count and pcap mode, print a stats
line per interval with the packets the port sent, and the totals at the end."""
import os
import re
import shutil
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
LUA = shutil.which("lua5.4") or shutil.which("lua5.3") or shutil.which("lua")


@unittest.skipIf(LUA is None, "no Lua interpreter (deploy/setup.sh installs lua5.4)")
class ReplayLua(unittest.TestCase):
    def run_on(self, version):
        env = dict(os.environ, HP_PORT="0", HP_RATE="25", HP_DURATION="3", HP_INTERVAL="1",
                   HP_QUIT="1")
        p = subprocess.run([LUA, os.path.join(HERE, "pktgen_api.lua"), version,
                            os.path.join(ROOT, "pktgen-scripts", "replay.lua")],
                           capture_output=True, text=True, env=env, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout

    def check(self, out):
        self.assertIn("pktgen.set 0 rate 25", out)
        self.assertIn("pktgen.pcap 0 on", out)
        self.assertIn("pktgen.pcap 0 off", out)
        ticks = re.findall(r"hookpath-replay t=\s*([\d.]+)s port 0: tx (\d+) pkts (\d+) bytes "
                           r"\((\d+) pps", out)
        self.assertEqual([(t, int(n), int(b), int(pps)) for t, n, b, pps in ticks],
                         [("1.0", 1000000, 100000000, 1000000),
                          ("2.0", 2000000, 200000000, 1000000),
                          ("3.0", 3000000, 300000000, 1000000)], out)
        self.assertRegex(out, r"hookpath-replay done: port 0 sent 3000000 packets, 300000000 "
                              r"bytes, 0 tx errors; received 7 packets")
        self.assertIn("pktgen.quit", out)

    def test_pktgen_23(self):
        self.check(self.run_on("23"))

    def test_pktgen_26(self):
        self.check(self.run_on("26"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
