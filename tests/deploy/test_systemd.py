#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""systemd (issue 16): the units in deploy/systemd/ verify clean (systemd-analyze verify, the
binary path pointed at this build), and hookpath speaks the notify protocol to a NOTIFY_SOCKET
the test holds, as systemd would: READY=1 once running, WATCHDOG=1 twice per WATCHDOG_USEC,
RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 at SIGTERM. The API socket belongs to
control.api_socket_group; an unknown group refuses the start naming the key."""
import grp
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "pcap"))
import hp_pcaptest as hp  # noqa: E402

HOST = "hooks.example.com"


class Systemd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.TemporaryDirectory(prefix="hp-systemd-")
        cls.tmp = cls.tmpdir.name
        hp.gen(cls.tmp, "webhooks", "-o", "w.pcap", "--sessions", "20", "--host", HOST, "-q")

    @classmethod
    def tearDownClass(cls):
        cls.tmpdir.cleanup()

    def test_units_verify_clean(self):
        for unit, name in (("hookpath.service", "hookpath.service"),
                           ("hookpath@.service", "hookpath@edge.service")):
            with open(os.path.join(ROOT, "deploy", "systemd", unit + ".in")) as f:
                text = f.read()
            self.assertIn("Type=notify", text)
            self.assertIn("ExecReload=/bin/kill -HUP $MAINPID", text)
            self.assertIn("--check-config", text)
            path = os.path.join(self.tmp, name)
            with open(path, "w") as f:
                f.write(text.replace("@BINDIR@/hookpath", os.path.abspath(hp.HOOKPATH)))
            r = subprocess.run(["systemd-analyze", "verify", path], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            self.assertEqual((r.returncode, r.stdout.strip()), (0, ""), unit)
        # the setup unit: a oneshot before hookpath, the helper from the repository
        with open(os.path.join(ROOT, "deploy", "systemd", "hookpath-setup.service.in")) as f:
            text = f.read()
        self.assertIn("Before=hookpath.service", text)
        path = os.path.join(self.tmp, "hookpath-setup.service")
        with open(path, "w") as f:
            f.write(text.replace("@SBINDIR@/hookpath-setup",
                                 os.path.join(ROOT, "deploy", "hookpath-setup")))
        r = subprocess.run(["systemd-analyze", "verify", path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, ""), "hookpath-setup.service")

    def start(self, cfg_text, env):
        cfg = os.path.join(self.tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write(cfg_text)
        return subprocess.Popen(
            [hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--lcores", "0@0,1@1",
             "--file-prefix", "hp-sd-%d" % os.getpid(), "--log-level=lib.*:warning",
             "--vdev", "net_pcap0,rx_pcap=%s,infinite_rx=1" % os.path.join(self.tmp, "w.pcap"),
             "--", "-c", cfg], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, **env))

    def test_notify_protocol(self):
        addr = os.path.join(self.tmp, "notify.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(addr)
        s.settimeout(0.2)
        sock = os.path.join(self.tmp, "api.sock")
        nogroup = grp.getgrnam("nogroup").gr_gid
        p = self.start("dataplane: {mode: tap}\ncontrol: {api_socket: %s, "
                       "api_socket_group: nogroup}\n"
                       "endpoints:\n  - {name: h, match: {host: %s}, provider: none}\n"
                       % (sock, HOST),
                       {"NOTIFY_SOCKET": addr, "WATCHDOG_USEC": "200000"})
        got = []

        def until(what, timeout=20):
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                try:
                    got.append(s.recv(4096).decode())
                except socket.timeout:
                    pass
                if any(what in m for m in got):
                    return
                self.assertIsNone(p.poll(), "hookpath exited")
            self.fail("no %s in %r" % (what, got))
        try:
            until("READY=1")
            self.assertEqual(os.stat(sock).st_gid, nogroup)
            self.assertEqual(os.stat(sock).st_mode & 0o777, 0o660)
            del got[:]
            time.sleep(1.0)  # 200 ms watchdog: a ping every ~100 ms
            s.setblocking(False)  # everything sent meanwhile
            while True:
                try:
                    got.append(s.recv(4096).decode())
                except BlockingIOError:
                    break
            s.settimeout(0.2)
            self.assertGreaterEqual(sum(m == "WATCHDOG=1" for m in got), 5, got)
            del got[:]
            p.send_signal(signal.SIGHUP)
            until("RELOADING=1")
            until("READY=1")
            p.send_signal(signal.SIGTERM)
            until("STOPPING=1")
            out, _ = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, out[-2000:])
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
            s.close()

    def test_unknown_socket_group(self):
        p = self.start("dataplane: {mode: tap}\ncontrol: {api_socket: %s/x.sock, "
                       "api_socket_group: no-such-group-hp}\n" % self.tmp, {})
        out, _ = p.communicate(timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("control.api_socket_group: no-such-group-hp: no such group", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
