#!/usr/bin/python3
"""What the PII policies cost in situ: webhooks/s of one bridge worker per policy (DESIGN §7).

Prints figures, never passes or fails on them. One worker in bridge mode, port 0 a net_pcap vdev
replaying (infinite_rx) complete TCP sessions, each carrying one webhook whose 1 KB JSON body
holds a card number, an email, a phone number and an IBAN (hp_pcapgen.py --pii), port 1 a
net_null vdev. The endpoint verifies nothing (provider none, no replay cache) so that the
figures isolate the PII work; the policies:

  off      the packet path alone (decode, flows, reassembly, HTTP, routing): the reference
  report   + the Hyperscan scan and validators over each body, counts in the event
  mask     + the body's segments held until the verdict, 4 matches rewritten in place, TCP
           checksums adjusted, segments released in order
  block    + the scan, then a reject: held segments freed, RST to the server, 422 to the client

The rate is hookpath's own stats line (verdicts/s), median of the per-second lines of each run,
median of the runs; ratios are against `off` measured in the same run. The runs go in rounds
(off, report, mask, block, then again), and each policy's extra cost over `off` is also given
per round and as the median of the rounds' differences.

Usage: tests/bench/bench_pii_inline.py [--build DIR] [--runs N] [--seconds S] [--segments K]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_verdict import verdict_rate  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "pktgen-scripts", "hp_pcapgen.py")


def run(hookpath, tmp, pcap, policy, seconds, prefix):
    cfg = os.path.join(tmp, policy + ".yaml")
    with open(cfg, "w") as f:
        f.write("dataplane: {mode: bridge, port_pairs: [[0, 1]], workers: 1, mbufs: 131072}\n"
                "control: {stats_interval_s: 1}\n"
                "http: {max_sessions: 4096}\n"
                "endpoints:\n  - name: bench\n    match: {host: hooks.example.com}\n"
                "    provider: none\n    dedup: {key: none}\n"
                "    on_reject: {respond: true}\n%s" %
                ("" if policy == "off" else "    pii: {policy: %s}\n" % policy))
    return verdict_rate(hookpath, cfg, pcap, seconds, prefix, vdevs=("net_null0,no-rx=1",))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--segments", type=int, default=1,
                    help="TCP segments per request (1: the whole request in one segment)")
    a = ap.parse_args()
    hookpath = os.path.join(a.build, "controlplane", "hookpath")
    with tempfile.TemporaryDirectory(prefix="hp-bench-pii-") as tmp:
        pcap = os.path.join(tmp, "pii.pcap")
        subprocess.run(["/usr/bin/python3", GEN, "webhooks", "-q", "-o", pcap, "--sessions",
                        str(a.sessions), "--pii", "--body-size", "1024",
                        "--segments", str(a.segments), "--host", "hooks.example.com"],
                       check=True)
        policies = ("off", "report", "mask", "block")
        # rounds of one run per policy, in turn: a slow phase of the machine (minutes) then
        # weighs on every policy of its round, not on one policy's runs
        rates = {p: [] for p in policies}
        for i in range(a.runs):
            for policy in policies:
                rates[policy].append(run(hookpath, tmp, pcap, policy, a.seconds,
                                         "hp-bench-pii-%d-%d" % (os.getpid(), i)))
        res = {p: statistics.median(rates[p]) for p in policies}
        for policy in policies:
            print("# %-6s runs: %s webhooks/s" % (policy,
                                                  ", ".join("%.0f" % r for r in rates[policy])))
        print()
        print("%-8s %14s %10s %14s" % ("policy", "webhooks/s", "x off", "ns/webhook"))
        for policy, r in res.items():
            print("%-8s %14.0f %9.2fx %14.0f" % (policy, r, r / res["off"], 1e9 / r))
        print("\n# extra cost per webhook vs off, per round (ns): " +
              "; ".join("%s %s" % (p, ", ".join("%+.0f" % (1e9 / rates[p][i] - 1e9 / rates["off"][i])
                                                 for i in range(a.runs)))
                        for p in policies[1:]))
        print("# extra cost per webhook vs off, median of the rounds: " +
              ", ".join("%s %+.0f ns" % (p, statistics.median(
                  1e9 / rates[p][i] - 1e9 / rates["off"][i] for i in range(a.runs)))
                  for p in policies[1:]))


if __name__ == "__main__":
    sys.exit(main())
