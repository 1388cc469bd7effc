#!/usr/bin/python3
"""Verdicts/s and good-webhook acceptance of one worker under each flood of the adversarial
suite, next to the same webhooks without the flood, measured in the same run (DESIGN §7).

Prints figures, never passes or fails on them. tests/adversarial/adv_gen.py builds N good and
N/10 forged signed webhook connections (stripe, 600-byte bodies, one per connection, closed)
and spreads them evenly through each flood at the issue's size (issue 13):

  syn          2M SYNs from spoofed sources and random ports to the guarded port
  slowloris    200k connections: handshake and a partial request head, never finished
  churn        100k short connections: an unrouted GET, the answer, FIN both ways
  first-frags  1M never-completed first fragments (random sources and one source); the
               webhooks' segments are themselves fragmented at MTU 576 (reference: the same
               fragmented webhooks alone)
  garbage      1M frames of random bytes, truncated headers, wrong checksums
  ooo          100k out-of-order segments: 1000 connections sending ahead of a hole

hookpath (bridge, one worker, default limits plus the endpoint) reads each pcap once, from
net_pcap, as fast as it can. For each run:

  verdicts/s   the webhooks' verdicts (events of their ids) divided by the time between the
               first and the last of them (the events' own timestamps: no start-up or exit in
               it). With a flood, that span also holds the flood frames around and between
               the webhooks, so the ratio to the run without the flood is what the flood costs
               the webhooks at the rate one worker absorbs it (the Mpps column: every input
               frame over the same span).
  accepted     good webhooks whose event says accept, over all good webhooks.
  ns/flood     (span with the flood - span without) / flood frames: what one flood frame
               costs the worker, net_pcap's file reading and writing included.
  peak RSS     of the hookpath process (/usr/bin/time), MiB, with / without the flood.

Medians of --runs runs (the pcaps are generated once). The webhooks are signed with the time of
generation; the endpoint's tolerance is 1800 s, enough for a full run.

Usage: tests/bench/bench_flood.py [--hookpath PATH] [--runs 3] [--good 10000] [--scale 1]
       [--only syn,churn]
"""
import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "adversarial"))
import adv_gen as ag  # noqa: E402
import test_adversarial as ta  # noqa: E402

FLOODS = (  # name, units at scale 1, flood builder (seed) -> unit function, fragmented webhooks
    ("syn", 2000000, ag.flood_syn, False),
    ("slowloris", 200000, ag.flood_slowloris, False),
    ("churn", 100000, ag.flood_churn, False),
    ("first-frags", 1000000, ag.flood_first_fragments, True),
    ("garbage", 1000000, ag.flood_garbage, False),
    ("ooo", 100000, None, False),
)


def ts_ns(ts):
    """Event timestamp "2026-12-04T20:36:51.328377845Z" -> ns since the epoch."""
    sec, frac = ts.rstrip("Z").split(".")
    t = datetime.datetime.strptime(sec, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000000000 + int(frac.ljust(9, "0")[:9])


def measure(run, man):
    """(verdicts/s, accepted fraction, Mpps over the span, peak RSS MiB, span s) of a run."""
    ids = {q["uri"]: q for q in man["requests"]}
    evs = [e for e in run.events if e.get("http", {}).get("uri") in ids]
    good = [q for q in man["requests"] if q["kind"] == "good"]
    acc = {e["http"]["uri"] for e in evs if e["verdict"] == "accept"}
    ok = sum(1 for q in good if q["uri"] in acc)
    t = sorted(ts_ns(e["ts"]) for e in evs)
    span = (t[-1] - t[0]) / 1e9 if len(t) > 1 else float("nan")
    vps = (len(t) - 1) / span if len(t) > 1 and span > 0 else float("nan")
    mpps = run.frames_in / span / 1e6 if len(t) > 1 and span > 0 else float("nan")
    return vps, ok / len(good), mpps, run.rss_kb / 1024.0, span


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--hookpath")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--good", type=int, default=10000, help="good webhooks (forged: a tenth)")
    ap.add_argument("--scale", type=float, default=1.0, help="flood sizes times this")
    ap.add_argument("--only", help="comma list of floods")
    a = ap.parse_args()
    hookpath = a.hookpath or os.path.join(a.build, "controlplane", "hookpath")
    floods = [f for f in FLOODS if not a.only or f[0] in a.only.split(",")]
    with tempfile.TemporaryDirectory(prefix="hp-bench-flood-") as tmp:
        t0 = time.time()
        plain = ag.build_sessions(31, a.good, a.good // 10, tag="bench")
        frag = ag.build_sessions(32, a.good, a.good // 10, frag_mtu=576, tag="benchfrag") \
            if any(f[3] for f in floods) else None
        pcaps = {}
        for name, (sessions, man) in (("base", plain), ("base-frag", frag)):
            if sessions is None:
                continue
            path = os.path.join(tmp, name + ".pcap")
            w = ag.Writer(path)
            for s in sessions:
                w.put_all(s)
            pcaps[name] = (path, w.close(), man, 0)
        for name, units, builder, fragmented in floods:
            sessions, man = frag if fragmented else plain
            units = max(1000, int(units * a.scale))
            path = os.path.join(tmp, name + ".pcap")
            if builder is None:
                flood, count = ag.flood_ooo(33, 1000, max(1, units // 1000))
                units = count - 1000  # segments (count also has the 1000 handshakes)
            else:
                flood, count = builder(33), units
            n = ag.write_mixed(path, sessions, flood, count)
            pcaps[name] = (path, n, man, units)
        print("# pcaps generated in %.0f s: %s" % (time.time() - t0, ", ".join(
            "%s %d frames" % (k, v[1]) for k, v in pcaps.items())), flush=True)
        res = {k: [] for k in pcaps}
        for i in range(a.runs):
            for name, (path, n, man, _) in pcaps.items():
                r = ta.run_hookpath(tmp, "%s-%d" % (name, i), path, frames_in=n,
                                    hookpath=hookpath, idle_ms=300)
                m = measure(r, man)
                res[name].append(m)
                for f in (r.out0, r.out1, r.events_path):
                    os.unlink(f)
                print("# run %d %-12s %9.0f verdicts/s  %6.2f%% accepted  %5.2f Mpps  %4.0f MiB"
                      % (i + 1, name, m[0], 100 * m[1], m[2], m[3]), flush=True)
    med = {k: [statistics.median(x[j] for x in v) for j in range(5)] for k, v in res.items()}
    print()
    print("%-12s %9s %9s %11s %9s %7s %9s %9s %8s %9s" % (
        "flood", "units", "frames", "verdicts/s", "without", "ratio", "accepted", "without",
        "ns/flood", "RSS MiB"))
    for name, (path, n, man, units) in pcaps.items():
        if name.startswith("base"):
            continue
        bname = "base-frag" if name == "first-frags" else "base"
        base, m = med[bname], med[name]
        # what one flood frame costs: the extra time over the flood frames between the verdicts
        per = (m[4] - base[4]) / (n - pcaps[bname][1]) * 1e9
        print("%-12s %9d %9d %11.0f %9.0f %6.3fx %8.2f%% %8.2f%% %8.0f %4.0f/%-4.0f" % (
            name, units, n, m[0], base[0], m[0] / base[0], 100 * m[1], 100 * base[1], per,
            m[3], base[3]))
    print()
    print("# Mpps over the verdicts' span (all frames of the input): " + ", ".join(
        "%s %.2f" % (k, v[2]) for k, v in med.items()))


if __name__ == "__main__":
    sys.exit(main())
