#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""`hookpath -c FILE --check-config` offline (issue 16): no EAL, so no hugepages, no NIC and no
runtime-directory lock; it runs next to a live instance, as systemd's ExecStartPre does. It
checks what the loader cannot: the events file's directory exists, the API token file is
private, the ML model loads; each failure names the key, exit 2. `--version` prints the
version. A configuration that loads but lets a server that ignores Host take unverified
requests (an endpoint that names a host and owns every path, with unrouted: pass) is warned
about, there and at every start."""
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hp_pcaptest as hp  # noqa: E402


class CheckConfig(hp.TmpDirCase):
    def check(self, yaml_text):
        cfg = os.path.join(self.tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write(yaml_text)
        return subprocess.run([hp.HOOKPATH, "-c", cfg, "--check-config"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=60)

    def test_offline_next_to_a_live_instance(self):
        hp.gen(self.tmp, "webhooks", "-o", "w.pcap", "--sessions", "4", "-q")
        good = ("dataplane: {mode: tap}\nevents: {file: %s/ev.jsonl}\n"
                "endpoints:\n  - {name: h, match: {host: hooks.example.com}, provider: none}\n"
                % self.tmp)
        cfg = os.path.join(self.tmp, "live.yaml")
        with open(cfg, "w") as f:
            f.write(good)
        # a live instance, default file prefix as a packaged one would have
        live = subprocess.Popen(
            [hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--log-level=lib.*:warning",
             "--vdev", "net_pcap0,rx_pcap=%s,infinite_rx=1" % os.path.join(self.tmp, "w.pcap"),
             "--", "-c", cfg], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(1.0)
            self.assertIsNone(live.poll(), "the live instance did not start")
            r = self.check(good)
            self.assertEqual(r.returncode, 0, r.stdout)
            self.assertIn("configuration OK", r.stdout)
            self.assertIn("offline", r.stdout)
            self.assertNotIn("EAL:", r.stdout)  # EAL never started
        finally:
            live.send_signal(signal.SIGTERM)
            live.communicate(timeout=60)

    def test_refusals_name_the_key(self):
        r = self.check("dataplane: {mode: tap}\nevents: {file: %s/no/such/dir/ev.jsonl}\n"
                       % self.tmp)
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("events.file: %s/no/such/dir/ev.jsonl: the directory" % self.tmp,
                      r.stdout)
        tok = os.path.join(self.tmp, "token")
        with open(tok, "w") as f:
            f.write("t0ken\n")
        os.chmod(tok, 0o644)
        r = self.check("dataplane: {mode: tap}\ncontrol: {api_listen: \"127.0.0.1:1\", "
                       "api_token_file: %s}\n" % tok)
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("control.api_token_file: %s: open to group or others" % tok, r.stdout)
        os.chmod(tok, 0o600)
        r = self.check("dataplane: {mode: tap}\ncontrol: {api_listen: \"127.0.0.1:1\", "
                       "api_token_file: %s}\n" % tok)
        self.assertEqual(r.returncode, 0, r.stdout)
        r = self.check("dataplane: {mode: tap}\nml: {model: %s/nope.json}\n" % self.tmp)
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("ml.model: %s/nope.json: cannot load the model" % self.tmp, r.stdout)
        self.assertNotIn("Stack trace", r.stdout)

    def test_version(self):
        r = subprocess.run([hp.HOOKPATH, "--version"], stdout=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^hookpath \d+\.\d+\.\d+ \(DPDK \d+\.\d+")

    def test_warns_of_a_host_that_owns_every_path(self):
        ep = ("endpoints:\n  - {name: h, match: {host: hooks.example.com%s}, provider: none}\n")
        warn = ("warning: endpoints[0] (h) names host hooks.example.com and no path_prefix: "
                "a server that ignores Host")
        for prefix, unrouted, want in (("", "pass", True), (", path_prefix: /", "pass", True),
                                       ("", "reject", False),
                                       (", path_prefix: /hooks", "pass", False)):
            r = self.check("dataplane: {mode: tap}\nunrouted: %s\n" % unrouted + ep % prefix)
            self.assertEqual(r.returncode, 0, r.stdout)  # a warning, not a refusal
            self.assertEqual(warn in r.stdout, want, (prefix, unrouted, r.stdout))
        # and at a start, in the log
        hp.gen(self.tmp, "webhooks", "-o", "w1.pcap", "--sessions", "1", "-q")
        log = []
        hp.run_hookpath(self.tmp, [os.path.join(self.tmp, "w1.pcap")],
                        "dataplane: {mode: tap}\n" + ep % "", log=log)
        self.assertIn(warn, log[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
