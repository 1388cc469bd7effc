#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""hookpath's log type is named "hookpath": EAL's --log-level=hookpath:LEVEL sets what it
writes (it was registered as the literal "RTE_LOG_DEFAULT_LOGTYPE", so the option did
nothing). The same run at info (default), warning and debug: the informational start lines
come and go with the level. At exit DPDK's memory-map files leave the runtime directory.

Where lines go (control.log_target): console lines start with the UTC time and the level;
with stdout the journal (JOURNAL_STREAM naming it, as systemd does) they start with the
syslog priority journald reads; syslog sends them to /dev/log with their priority (a socket
the test binds there when the machine has none) and nothing to stdout."""
import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hp_pcaptest as hp  # noqa: E402


LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) "
                  r"(emerg|alert|crit|err|warning|notice|info|debug) (.*)$")
PRIO = {"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warning": 4, "notice": 5, "info": 6,
        "debug": 7}


class Logging(hp.TmpDirCase):
    def cmd(self, level=None, target=None):
        cfg = os.path.join(self.tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write("dataplane: {mode: tap}\n")
            if target:
                f.write("control: {log_target: %s}\n" % target)
        pcap = os.path.join(self.tmp, "w.pcap")
        if not os.path.exists(pcap):  # --exit-idle-ms counts from the first packet
            hp.gen(self.tmp, "webhooks", "-o", "w.pcap", "--sessions", "1", "-q")
        cmd = [hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--file-prefix",
               "hp-log-%d" % os.getpid(), "--log-level=lib.*:warning"]
        if level:
            cmd.append("--log-level=hookpath:%s" % level)
        return cmd + ["--vdev", "net_pcap0,rx_pcap=%s" % pcap, "--", "-c", cfg,
                      "--exit-idle-ms", "100"]

    def run_at(self, level):
        p = subprocess.run(self.cmd(level), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout[-2000:])
        # DPDK's memory-map files are not left behind in the runtime directory (13 MB each
        # run without hugepages; they filled /run once)
        rt = "/var/run/dpdk/hp-log-%d" % os.getpid()
        left = os.listdir(rt) if os.path.isdir(rt) else []
        self.assertEqual([f for f in left if f.startswith("fbarray_") or f == "config"], [])
        lines = []
        for line in p.stdout.splitlines():
            m = LINE.match(line)
            if m and m.group(3).startswith("hookpath: "):
                lines.append((m.group(2), m.group(3)))
            self.assertFalse(line.startswith("hookpath: ") and "tap mode" in line,
                             "a log line without time and level: " + line)
        return lines

    def test_levels(self):
        default, warning, debug = self.run_at(None), self.run_at("warning"), self.run_at("debug")
        self.assertTrue(any("tap mode" in msg for _, msg in default), default)
        self.assertFalse(any("tap mode" in msg for _, msg in warning), warning)
        self.assertLess(len(warning), len(default))
        self.assertGreaterEqual(len(debug), len(default))
        self.assertTrue(all(PRIO[lv] <= PRIO["warning"] for lv, _ in warning), warning)

    def test_journal(self):
        r, w = os.pipe()
        st = os.fstat(w)
        env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
        p = subprocess.Popen(self.cmd(), stdout=w, stderr=subprocess.STDOUT, env=env)
        os.close(w)
        with os.fdopen(r) as f:
            out = f.read()
        self.assertEqual(p.wait(timeout=60), 0, out[-2000:])
        mine = [ln for ln in out.splitlines() if "hookpath: " in ln]
        self.assertTrue(any(re.match(r"^<6>hookpath: .*tap mode", ln) for ln in mine), out)
        self.assertTrue(all(re.match(r"^<[0-7]>", ln) for ln in mine), mine)

    def test_syslog(self):
        if os.path.exists("/dev/log"):
            self.skipTest("/dev/log is this machine's syslog: not taken over by a test")
        if os.geteuid() != 0:
            self.skipTest("binding /dev/log needs root")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        got, done = [], threading.Event()

        def read():
            # read while hookpath runs, as a syslog daemon does: a datagram socket queues
            # only net.unix.max_dgram_qlen (10) messages, and the eleventh syslog() would
            # wait for a reader
            s.settimeout(0.2)
            while not done.is_set():
                try:
                    got.append(s.recv(8192).decode(errors="replace"))
                except socket.timeout:
                    pass
        try:
            s.bind("/dev/log")
            reader = threading.Thread(target=read)
            reader.start()
            try:
                p = subprocess.run(self.cmd(target="syslog"), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, timeout=60)
            finally:
                time.sleep(0.5)
                done.set()
                reader.join()
            self.assertEqual(p.returncode, 0, p.stdout[-2000:])
        finally:
            s.close()
            os.unlink("/dev/log")
        # <facility daemon (3) * 8 + priority>; ident hookpath[pid]
        tap = [g for g in got if "tap mode" in g]
        self.assertTrue(tap, got)
        self.assertRegex(tap[0], r"^<30>.*hookpath\[\d+\]: hookpath: .*tap mode")
        self.assertNotIn("tap mode", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
