#!/usr/bin/python3
"""What the shared replay check (replay_cache.global) costs a request (issue 7): verdict latency
with and without it, measured in the same run.

hp_pcapgen.py writes N unique signed github webhooks (one per TCP session); one worker in tap
mode reads the pcap once. Without the shared check every verdict is local; with it, every
request (all new to the local cache) waits for Redis `SET NX EX` through the resolver thread
(real redis-server on loopback, tests/sinks/sinkenv.py, appendfsync everysec). Prints the
events' latency_ns (rx of the completing segment to the verdict) p50 / p90 / p99 / max, and
how many the resolver answered per round trip (queries / round trips).

With --pps P (root: a veth pair, tcpreplay) the same pcap is replayed at P packets/s into
hookpath reading the veth (net_pcap iface=), so requests arrive at a steady rate instead of all
at once: the latency then is the resolver's round trip, not a queue.

Usage: tests/bench/bench_replay_global.py [--hookpath PATH] [--sessions N] [--runs R] [--pps P]
"""
import argparse
import json
import os
import signal
import subprocess
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "pcap"))
sys.path.insert(0, os.path.join(ROOT, "tests", "sinks"))
import hp_pcaptest as hp  # noqa: E402
import sinkenv  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def run_live(hookpath, tmp, pcap, cfg_text, pps, tag):
    """hookpath on one end of a veth pair, tcpreplay at pps on the other; the stats at exit.
    tag makes its --file-prefix its own: a run sharing one would load the previous run's
    replay cache snapshot and find every request a duplicate."""
    cfg, stats = os.path.join(tmp, "live.yaml"), os.path.join(tmp, "live.json")
    with open(cfg, "w") as f:
        f.write(cfg_text)
    sinkenv.replay_live("hpbg", lambda iface: [
        hookpath, "--no-huge", "-m", "512", "--no-pci", "--lcores", "0@0,1@1",
        "--file-prefix", "hp-bench-global-%d-%s" % (os.getpid(), tag),
        "--log-level=lib.*:warning",
        "--vdev", "net_pcap0,iface=" + iface, "--", "-c", cfg, "--stats-file", stats],
        pcap, pps)
    with open(stats) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hookpath", default=os.path.join(ROOT, "build", "controlplane", "hookpath"))
    ap.add_argument("--sessions", type=int, default=4000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pps", type=int, default=0, help="replay live at this rate (root)")
    a = ap.parse_args()
    hp.HOOKPATH = a.hookpath
    with tempfile.TemporaryDirectory(prefix="hp-bench-global-") as tmp:
        redis = sinkenv.Redis(tmp, "everysec")
        res = {"local only": [], "shared check": []}
        try:
            for run in range(a.runs):
                pcap = os.path.join(tmp, "wh%d.pcap" % run)
                hp.gen(tmp, "webhooks", "-o", pcap, "--sessions", str(a.sessions), "--provider",
                       "github", "--secret", "s3cret", "--cases", "valid", "--host",
                       "hooks.example.com", "--sign-time", str(int(time.time())), "--seed",
                       str(1000 + run))
                for name in res:
                    ev = os.path.join(tmp, "ev.jsonl")
                    if os.path.exists(ev):
                        os.unlink(ev)
                    glob = ("replay_cache: {global: {url: \"%s\", timeout_ms: 1000}}\n" %
                            redis.url if name == "shared check" else "")
                    cfg = hp.tap_cfg("events: {file: %s}\nhttp: {max_sessions: 4096}\n%s"
                                     "endpoints:\n  - name: gh\n    match: {host: "
                                     "hooks.example.com}\n    provider: github\n    secrets: "
                                     "[s3cret]\n" % (ev, glob))
                    if a.pps:
                        st = run_live(a.hookpath, tmp, pcap, cfg, a.pps,
                                      "%d-%s" % (run, name.split()[0]))
                    else:
                        st, _ = hp.run_hookpath(tmp, [pcap], cfg, idle_ms=500)
                    evs = [e for e in hp.read_events(ev) if e["verdict"] == "accept"]
                    lat = [e["latency_ns"] for e in evs]
                    g = st["sinks"].get("replay_global", {})
                    res[name].append((lat, g.get("queries_total", 0),
                                      st["counters"].get("replay_global_timeout", 0)))
                    print("run %d %-12s %5d accepted  p50 %8.1f us  p99 %8.1f us  timeouts %d"
                          % (run + 1, name, len(lat), pct(lat, 50) / 1e3, pct(lat, 99) / 1e3,
                             res[name][-1][2]), flush=True)
        finally:
            redis.stop()
    print("\none worker, tap, %d unique github webhooks per run, %d runs (median of the runs), %s\n"
          % (a.sessions, a.runs, "replayed live at %d packets/s" % a.pps if a.pps
             else "read from the pcap at once"))
    print("| verdicts | p50 us | p90 us | p99 us | max us |")
    print("|---|---|---|---|---|")
    for name, runs in res.items():
        m = [statistics.median(pct(r[0], p) for r in runs) / 1e3 for p in (50, 90, 99)]
        mx = statistics.median(max(r[0]) for r in runs) / 1e3
        print("| %s | %.1f | %.1f | %.1f | %.1f |" % (name, m[0], m[1], m[2], mx))


if __name__ == "__main__":
    main()
