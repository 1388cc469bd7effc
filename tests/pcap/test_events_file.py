#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The events file (events.file, events.rotate_mb, events.rotate_keep) and what hookpath may do
to a path it is given.

- a regular file is rotated by size: path, path.1 ... path.<keep>, each about rotate_mb, every
  line a whole event (docs/events.schema.json), the oldest beyond keep removed;
- a device or a FIFO (an operator's /dev/stdout, or /dev/null by mistake) is written and never
  rotated: rotating renames the path, which once put a regular file in /dev/null's place on
  this machine (every later `> /dev/null` wrote into it); here a character device node made
  in the test's directory stands for it;
- forensics.pcapng, replay_cache.snapshot and --stats-file (each written aside and renamed
  into place, or truncated and chmod'ed) naming an existing path that is not a regular file are
  refused at start, naming the key or option, and the node is left as it was.
"""
import glob
import json
import os
import signal
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hp_pcaptest as hp  # noqa: E402

HOST = "hooks.example.com"


class EventsFile(hp.TmpDirCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        hp.gen(cls.tmp, "webhooks", "-o", "w.pcap", "--sessions", "40", "--host", HOST, "-q")
        cls.node = os.path.join(cls.tmp, "devnull")
        os.mknod(cls.node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # as /dev/null
        os.chmod(cls.node, 0o666)  # whatever the umask

    def live(self, name, yaml, seconds=2.5):
        sock = os.path.join(self.tmp, name + ".sock")
        cfg = os.path.join(self.tmp, name + ".yaml")
        with open(cfg, "w") as f:
            f.write("dataplane: {mode: tap}\ncontrol: {api_socket: %s}\n%s"
                    "endpoints:\n  - {name: h, match: {host: %s}, provider: none, "
                    "dedup: {key: none}}\n" % (sock, yaml, HOST))
        p = hp.start_live(cfg, os.path.join(self.tmp, "w.pcap"),
                          "hp-evfile-%s-%d" % (name, os.getpid()), sock)
        time.sleep(seconds)
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, out[-2000:])
        return out

    def test_regular_file_rotated(self):
        path = os.path.join(self.tmp, "ev.jsonl")
        self.live("reg", "events: {file: %s, rotate_mb: 1, rotate_keep: 2}\n" % path)
        files = sorted(glob.glob(path + "*"))
        self.assertEqual(files, [path, path + ".1", path + ".2"], files)
        for f in files[1:]:
            size = os.path.getsize(f)
            self.assertTrue(1 << 20 <= size < (1 << 20) + 4096, (f, size))
            with open(f) as fh:
                lines = fh.read().splitlines()
            self.assertTrue(all(json.loads(x)["verdict"] == "accept" for x in lines))

    def test_device_never_rotated(self):
        out = self.live("dev", "events: {file: %s, rotate_mb: 1, rotate_keep: 2}\n" % self.node)
        self.assertIn("events.file %s is not a regular file: not rotated" % self.node, out)
        st = os.lstat(self.node)
        self.assertTrue(stat.S_ISCHR(st.st_mode), oct(st.st_mode))
        self.assertEqual(os.major(st.st_rdev), 1)
        self.assertEqual(glob.glob(self.node + ".*"), [])
        # it did receive the events: many more than one rotation's worth
        self.assertRegex(out, r"(?m)^\s+events\s+\d{5,}$")

    def refused(self, name, yaml, args, message):
        cfg = os.path.join(self.tmp, name + ".yaml")
        with open(cfg, "w") as f:
            f.write(hp.tap_cfg(yaml + "endpoints:\n  - {name: h, match: {host: %s}, "
                               "provider: none, dedup: {key: none}}\n" % HOST))
        p = subprocess.run([hp.HOOKPATH, "--no-huge", "-m", "256", "--no-pci", "--lcores",
                            "0@0,1@1", "--file-prefix", "hp-evfile-%s-%d" % (name, os.getpid()),
                            "--log-level=lib.*:warning", "--vdev",
                            "net_pcap0,rx_pcap=%s" % os.path.join(self.tmp, "w.pcap"), "--",
                            "-c", cfg] + args, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(message, p.stdout + p.stderr)
        st = os.lstat(self.node)
        self.assertTrue(stat.S_ISCHR(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o666)
        self.assertEqual(glob.glob(self.node + ".*"), [])

    def test_forensics_refuses_a_device(self):
        self.refused("fx", "forensics: {pcapng: %s}\n" % self.node, [],
                     "forensics.pcapng: %s exists and is not a regular file" % self.node)

    def test_snapshot_and_stats_file_refuse_a_device(self):
        self.refused("snap", "replay_cache: {snapshot: \"%s\"}\n" % self.node, [],
                     "replay_cache.snapshot %s: exists and is not a regular file" % self.node)
        self.refused("stats", "", ["--stats-file", self.node],
                     "--stats-file %s: exists and is not a regular file" % self.node)


if __name__ == "__main__":
    unittest.main(verbosity=2)
