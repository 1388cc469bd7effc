#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""DPDK telemetry commands /hookpath/stats, /hookpath/flows, /hookpath/sinks and
/hookpath/endpoints, read with dpdk-telemetry.py.

hookpath (two workers, software dispatch, tap mode) runs on a generated pcap of signed
webhooks with no idle exit. Once the pcap is consumed and the counters are still, the test
asks dpdk-telemetry.py (commands on its stdin) for the counters, each worker's counters and
the flow tables, then stops hookpath with SIGTERM and compares with its --stats-file:

- every counter of /hookpath/stats equals the stats file's (except those computed at exit);
- /hookpath/stats,0 + /hookpath/stats,1 = /hookpath/stats; /hookpath/stats,<bad> is refused;
- the latency histogram agrees with the stats file's "latency" object and with the verdicts;
- /hookpath/flows has one entry per worker, their sum is "total", "max" is the configured
  dataplane.flows.max;
- /hookpath/endpoints has each endpoint's counters as the stats file's "endpoints" (one
  endpoint by name with a parameter; an unknown name refused); /hookpath/sinks has the file
  sink and the instance name as the stats file's "sinks".
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hp_pcaptest as hp  # noqa: E402

TELEMETRY = "/usr/bin/dpdk-telemetry.py"
HOST = "hooks.example.com"
SECRET = "whsec_hookpath_test_0123456789"
WORKERS = 2
FLOWS_MAX = 4096
# Computed when hookpath stops (drained or counted at exit): differ from a live reading.
AT_EXIT = {"defrag_incomplete_at_exit", "dispatch_dropped_at_exit"}


def runtime_dir(prefix):
    """DPDK's runtime directory for a file prefix (as EAL and dpdk-telemetry.py compute it)."""
    run = os.environ.get("RUNTIME_DIRECTORY")
    if not run:
        run = "/var/run" if os.getuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp")
    return os.path.join(run, "dpdk", prefix)


def telemetry(prefix, *cmds):
    """Replies of dpdk-telemetry.py to cmds (one JSON object per command, in order)."""
    p = subprocess.run([sys.executable, TELEMETRY, "-f", prefix], input="\n".join(cmds) + "\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError("dpdk-telemetry.py exited %d: %s" % (p.returncode, p.stderr))
    replies = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    if len(replies) != len(cmds):
        raise AssertionError("%d replies to %d commands:\n%s%s" %
                             (len(replies), len(cmds), p.stdout, p.stderr))
    for cmd, r in zip(cmds, replies):
        if list(r) != [cmd.split(",")[0]]:
            raise AssertionError("reply to %s: %r" % (cmd, r))
    return [r[cmd.split(",")[0]] for cmd, r in zip(cmds, replies)]


class Telemetry(hp.TmpDirCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pcap = os.path.join(cls.tmp, "hooks.pcap")
        manifest = os.path.join(cls.tmp, "hooks.json")
        hp.gen(cls.tmp, "webhooks", "-o", cls.pcap, "--manifest", manifest, "--sessions", "24",
               "--provider", "stripe", "--secret", SECRET, "--cases",
               "valid,tampered,replayed,unrouted", "--max-body", "4096", "--body-size", "600",
               "--host", HOST, "--sign-time", str(int(time.time())))
        with open(manifest) as f:
            cls.manifest = json.load(f)
        cls.frames = len(hp.read_pcap(cls.pcap))
        cls.run_hookpath()

    @classmethod
    def run_hookpath(cls):
        """hookpath until the pcap is consumed and still: the live replies, then the stats
        file after SIGTERM."""
        cfg = os.path.join(cls.tmp, "cfg.yaml")
        with open(cfg, "w") as f:
            # flow timeouts far away: nothing expires between the readings and the exit
            f.write(hp.tap_cfg("  workers: %d\n  flows:\n    max: %d\n"
                               "    timeout_syn_s: 3600\n    timeout_established_s: 3600\n"
                               "    timeout_closed_s: 3600\n" % (WORKERS, FLOWS_MAX)) +
                    "endpoints:\n"
                    "  - name: ep-stripe\n"
                    "    match: {host: %s, path_prefix: /}\n"
                    "    provider: stripe\n"
                    "    secrets: [%s]\n"
                    "    max_body: 4096\n" % (HOST, json.dumps(SECRET)))
        stats = os.path.join(cls.tmp, "stats.json")
        prefix = "hp-telemetry-%d" % os.getpid()
        lcores = ",".join(["0@0"] + ["%d@1" % (i + 1) for i in range(WORKERS)])
        tx = ",".join("tx_pcap=%s" % os.path.join(cls.tmp, "tx%d.pcap" % q)
                      for q in range(WORKERS))
        cmd = [hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--lcores", lcores,
               "--file-prefix", prefix, "--log-level=lib.*:warning",
               "--vdev", "net_pcap0,rx_pcap=%s,%s" % (cls.pcap, tx),
               "--", "-c", cfg, "--stats-file", stats]
        log = open(os.path.join(cls.tmp, "hookpath.log"), "w+")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            sock = os.path.join(runtime_dir(prefix), "dpdk_telemetry.v2")
            deadline = time.monotonic() + 60
            prev = None
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise AssertionError("hookpath exited %d:\n%s" %
                                         (proc.returncode, log.read()[-3000:]))
                if time.monotonic() > deadline:
                    raise AssertionError("pcap not consumed in 60 s: %r" % (prev,))
                time.sleep(0.2)
                if not os.path.exists(sock):
                    continue
                cur = telemetry(prefix, "/hookpath/stats")[0]
                if cur is None:
                    continue  # EAL's socket is up before hookpath registers its commands
                # consumed, and nothing moved since the previous reading
                if cur["rx_packets"] == cls.frames and cur == prev:
                    break
                prev = cur
            cls.live = telemetry(prefix, "/hookpath/stats", "/hookpath/stats,0",
                                 "/hookpath/stats,1", "/hookpath/flows",
                                 "/hookpath/stats,%d" % WORKERS, "/hookpath/stats,x",
                                 "/hookpath/endpoints", "/hookpath/endpoints,ep-stripe",
                                 "/hookpath/endpoints,nope", "/hookpath/sinks")
            cls.commands = telemetry(prefix, "/")[0]
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.seek(0)
            cls.log = log.read()
            log.close()
        if proc.returncode != 0:
            raise AssertionError("hookpath exited %d:\n%s" % (proc.returncode, cls.log[-3000:]))
        with open(stats) as f:
            cls.stats = json.load(f)

    def test_commands_listed(self):
        for c in ("/hookpath/stats", "/hookpath/flows", "/hookpath/sinks",
                  "/hookpath/endpoints"):
            self.assertIn(c, self.commands)

    def test_endpoints(self):
        eps, one, unknown = self.live[6], self.live[7], self.live[8]
        # telemetry keys are [A-Za-z0-9_]: ep-stripe is keyed ep_stripe, named in "name"
        want = dict(self.stats["endpoints"]["ep-stripe"], name="ep-stripe")
        self.assertEqual(eps, {"ep_stripe": want})
        self.assertEqual(one, {"ep_stripe": want})
        self.assertGreater(eps["ep_stripe"]["requests"], 0)
        self.assertIsNone(unknown)

    def test_sinks(self):
        sinks = self.live[9]
        self.assertEqual(sinks["instance"], self.stats["sinks"]["instance"])
        self.assertIn("file", sinks)
        for k, v in self.stats["sinks"]["file"].items():
            if not isinstance(v, (dict, list)):
                self.assertEqual(sinks["file"][k], v if not isinstance(v, bool)
                                 else ("true" if v else "false"), k)

    def test_stats_match_stats_file(self):
        live = self.live[0]
        counters = self.stats["counters"]
        self.assertEqual(live["workers"], WORKERS)
        self.assertEqual(live["rx_packets"], self.frames)
        self.assertEqual(self.stats["ports"][0]["rx_packets"], self.frames)
        # every counter is there, and each one agrees with the file
        missing = set(counters) - set(live)
        self.assertEqual(missing, set())
        self.assertNotIn("counters_omitted", live)
        differ = {k: (live[k], v) for k, v in counters.items()
                  if k not in AT_EXIT and live[k] != v}
        self.assertEqual(differ, {})
        # the traffic did reach verification
        self.assertGreater(live["http_requests"], 0)
        self.assertGreater(live["verdict_accept"], 0)
        self.assertGreater(live["verdict_reject"], 0)
        self.assertGreater(live["verdict_duplicate"], 0)
        self.assertEqual(live["http_requests"], len(self.manifest["requests"]))

    def test_latency(self):
        live, lat = self.live[0], self.stats["latency"]
        verdicts = sum(live["verdict_" + v] for v in ("accept", "reject", "duplicate", "pass"))
        self.assertEqual(live["verdict_latency_count"], verdicts)
        self.assertEqual(live["verdict_latency_count"], lat["count"])
        self.assertEqual(live["verdict_latency_buckets"], [b["count"] for b in lat["buckets"]])
        self.assertAlmostEqual(live["verdict_latency_sum_ns"] / 1e9, lat["sum_s"], places=9)
        self.assertGreater(lat["sum_s"], 0)
        # bounds: log-linear in ns (exact decimals): 128 ns, then each power of two from 2^7
        # to 2^32 ns cut in four equal steps; the last one +Inf (null)
        les = [b["le_s"] for b in lat["buckets"]]
        self.assertIsNone(les[-1])
        self.assertEqual(len(les), 2 + 25 * 4)
        self.assertEqual(les[0], 128e-9)
        want = [128 * 1e-9]
        for e in range(7, 32):
            want += [(2 ** e + k * 2 ** (e - 2)) * 1e-9 for k in range(1, 5)]
        for a, b in zip(les[:-1], want):
            self.assertAlmostEqual(a, b, delta=b * 1e-9)

    def test_per_worker(self):
        total, w0, w1 = self.live[0], self.live[1], self.live[2]
        self.assertEqual(w0["workers"], 1)
        for k, v in total.items():
            if k == "workers":
                continue
            if k == "verdict_latency_buckets":
                self.assertEqual([a + b for a, b in zip(w0[k], w1[k])], v)
            else:
                self.assertEqual(w0[k] + w1[k], v, k)
        # software dispatch: both workers took part
        self.assertGreater(w0["inspect_packets"], 0)
        self.assertGreater(w1["inspect_packets"], 0)
        # no such worker, not a number: refused (null reply)
        self.assertIsNone(self.live[4])
        self.assertIsNone(self.live[5])

    def test_flows(self):
        flows = self.live[3]
        self.assertEqual(flows["workers"], WORKERS)
        self.assertEqual(len(flows["active"]), WORKERS)
        self.assertEqual(sum(flows["active"]), flows["total"])
        self.assertEqual(flows["max"], FLOWS_MAX)
        # nothing expired (timeouts of an hour): every flow created is still tracked
        self.assertEqual(self.live[0]["flows_expired"], 0)
        self.assertGreater(flows["total"], 0)
        self.assertEqual(flows["total"], self.live[0]["flows_created"])
        self.assertEqual(flows["total"], self.stats["flows_active"])


if __name__ == "__main__":
    hp.main()
