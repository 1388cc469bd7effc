#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The first webhooks after a start next to steady state (issue 18 item 5, DESIGN §7).

Prints figures, never passes or fails on them. hookpath starts, one worker in tap mode, on a
net_pcap port reading a capture of stripe webhooks (1 KB JSON bodies, one per connection,
signed now) once, from its first packet; every verdict's latency (rx of the segment that
completed the request to the verdict, the `latency_ns` of its event) is read from the events
file in the order the worker decided them. The first --first verdicts after the start are set
next to the last ones of the same run (steady state, the reference), and the run is repeated
(--runs) with a fresh process each time: p50, p90, p99, max and the mean of each.

Usage: tests/bench/bench_coldstart.py [--hookpath PATH] [--runs N] [--requests N] [--first N]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "pktgen-scripts", "hp_pcapgen.py")
SECRET = "whsec_hookpath_bench_0123456789"


def generate(tmp, requests):
    pcap = os.path.join(tmp, "cold.pcap")
    subprocess.run(["/usr/bin/python3", GEN, "webhooks", "-q", "-o", pcap, "--provider",
                    "stripe", "--secret", SECRET, "--sessions", str(requests), "--body-size",
                    "1024", "--host", "hooks.example.com", "--sign-time", str(int(time.time()))],
                   check=True)
    return pcap


def one_run(hookpath, tmp, pcap, prefix, extra_yaml=""):
    events = os.path.join(tmp, "ev.jsonl")
    if os.path.exists(events):
        os.unlink(events)
    cfg = os.path.join(tmp, "cold.yaml")
    with open(cfg, "w") as f:
        f.write("dataplane: {mode: tap, workers: 1}\n"
                "control: {api_socket: off, stats_interval_s: 0}\n"
                "events: {file: %s}\n"
                "endpoints:\n  - name: bench\n    match: {host: hooks.example.com}\n"
                "    provider: stripe\n    secrets: [%s]\n%s" % (events, json.dumps(SECRET),
                                                               extra_yaml))
    p = subprocess.run([hookpath, "--no-huge", "-m", "1024", "--no-pci", "-l", "0,1",
                        "--file-prefix", prefix, "--log-level=lib.*:warning",
                        "--vdev", "net_pcap0,rx_pcap=%s" % pcap, "--", "-c", cfg,
                        "--exit-idle-ms", "300"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    if p.returncode != 0:
        raise SystemExit("hookpath failed:\n" + p.stdout[-3000:])
    lat = []
    with open(events) as f:
        for line in f:
            e = json.loads(line)
            if e.get("verdict") == "accept":
                lat.append(e["latency_ns"] / 1000.0)
    return lat


def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def row(name, xs):
    return "%-24s %6d %8.2f %8.2f %8.2f %9.2f %8.2f" % (
        name, len(xs), q(xs, 0.5), q(xs, 0.9), q(xs, 0.99), max(xs), statistics.mean(xs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--hookpath")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--first", type=int, default=1000)
    a = ap.parse_args()
    hookpath = a.hookpath or os.path.join(a.build, "controlplane", "hookpath")
    if a.requests < 2 * a.first:
        sys.exit("--requests must be at least twice --first")
    with tempfile.TemporaryDirectory(prefix="hp-bench-cold-") as tmp:
        pcap = generate(tmp, a.requests)
        firsts, lasts, firsts10 = [], [], []
        print("verdict latency, microseconds (rx of the completing segment to the verdict)")
        print("%-24s %6s %8s %8s %8s %9s %8s" % ("", "n", "p50", "p90", "p99", "max", "mean"))
        for r in range(a.runs):
            lat = one_run(hookpath, tmp, pcap, "hp-bench-cold-%d-%d" % (os.getpid(), r))
            if len(lat) < 2 * a.first:
                sys.exit("only %d verdicts accepted of %d" % (len(lat), a.requests))
            first, last = lat[:a.first], lat[-a.first:]
            firsts += first
            lasts += last
            firsts10 += lat[:10]
            print(row("run %d: first %d" % (r + 1, a.first), first))
            print(row("run %d: last %d" % (r + 1, a.first), last))
            print(row("run %d: first 10" % (r + 1), lat[:10]))
        print()
        print(row("all runs: first %d" % a.first, firsts))
        print(row("all runs: last %d (ref)" % a.first, lasts))
        print(row("all runs: first 10", firsts10))
        print("first/last p50 %.2fx, p99 %.2fx, mean %.2fx" % (
            q(firsts, 0.5) / q(lasts, 0.5), q(firsts, 0.99) / q(lasts, 0.99),
            statistics.mean(firsts) / statistics.mean(lasts)))


if __name__ == "__main__":
    main()
