#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The first webhooks after a start next to steady state (issue 18 item 5, DESIGN §7).

Prints figures, never passes or fails on them. hookpath starts, one worker in tap mode, on a
net_pcap port reading a capture of stripe webhooks (1 KB JSON bodies, one per connection,
signed now) once, from its first packet; every verdict's latency (rx of the segment that
completed the request to the verdict, the `latency_ns` of its event) is read from the events
file in the order the worker decided them. The first --first verdicts after the start are set
next to the last ones of the same run (steady state, the reference), and the run is repeated
(--runs) with a fresh process each time: p50, p90, p99, max and the mean of each. Each run is
made twice, alternated: with the workers' warm-up at start (dataplane.warmup_requests, the
default) and without it (warmup_requests 0, the reference for what the warm-up changes),
and the mean latency by position after the start (verdicts 0-5, 5-20, ... 1000-2000) is printed
for both.

--tokens: the token cache after a start (tokens.warm_max). A real Redis (L2) and Postgres (L3)
are started (tests/sinks/sinkenv.py); --requests connections each carry its own bearer token,
all valid in Postgres; one run with warm_max 0 fills Redis (every token's first request is
asked: L2 miss, L3 hit); then, alternated --runs times, a fresh process with warm_max 0 (each
token's first request waits for its L2 hit) next to one warmed at start (L1 hits from the
first packet). Same latency figures, and the first requests' share that was asked.

--pii: the same with the endpoint scanning bodies for PII (pii.policy report, Hyperscan).

Usage: tests/bench/bench_coldstart.py [--hookpath PATH] [--runs N] [--requests N] [--first N]
                                      [--pii | --tokens]
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


def accepted_latencies(hookpath, tmp, pcap, prefix, body, warmup=None):
    """hookpath (tap, one worker, the events file, config body after that) reads pcap once from
    its first packet and exits when idle; the accepted verdicts' latencies (us), in order."""
    events = os.path.join(tmp, "ev.jsonl")
    if os.path.exists(events):
        os.unlink(events)
    cfg = os.path.join(tmp, "cold.yaml")
    with open(cfg, "w") as f:
        f.write("dataplane: {mode: tap, workers: 1%s}\n" % (
                    "" if warmup is None else ", warmup_requests: %d" % warmup) +
                "control: {api_socket: off, stats_interval_s: 0}\n"
                "events: {file: %s}\n%s" % (events, body))
    p = subprocess.run([hookpath, "--no-huge", "-m", "1024", "--no-pci", "-l", "0,1",
                        "--file-prefix", prefix, "--log-level=lib.*:warning",
                        "--vdev", "net_pcap0,rx_pcap=%s" % pcap, "--", "-c", cfg,
                        "--exit-idle-ms", "500"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    if p.returncode != 0:
        raise SystemExit("hookpath failed:\n" + p.stdout[-3000:])
    with open(events) as f:
        evs = [json.loads(line) for line in f]
    return [e["latency_ns"] / 1000.0 for e in evs if e.get("verdict") == "accept"]


def one_run(hookpath, tmp, pcap, prefix, pii=False, warmup=None):
    return accepted_latencies(
        hookpath, tmp, pcap, prefix,
        "endpoints:\n  - name: bench\n    match: {host: hooks.example.com}\n"
        "    provider: stripe\n    secrets: [%s]\n%s" % (
            json.dumps(SECRET), "    pii: {policy: report}\n" if pii else ""), warmup)


def token_runs(hookpath, tmp, a):
    sys.path.insert(0, os.path.join(ROOT, "tests", "sinks"))
    sys.path.insert(0, os.path.join(ROOT, "tests", "pcap"))
    import hp_pcaptest as hp
    import sinkenv
    from test_tokens import session, HOST
    redis, pg = sinkenv.Redis(tmp, "off"), sinkenv.Postgres(tmp)
    try:
        pg.query("INSERT INTO hookpath_tokens (token_sha256, endpoint) SELECT "
                 "sha256(('tok-' || i)::bytea), 'api' FROM generate_series(0, %d) i"
                 % (a.requests - 1))
        frames = []
        for i in range(a.requests):
            frames += session(i, "tok-%d" % i, seed=i // 250)
        pcap = hp.write_frames(tmp, "tokens", frames)

        def run(name, warm):
            ok = accepted_latencies(
                hookpath, tmp, pcap, "hp-bench-cold-%s-%d" % (name, os.getpid()),
                "replay_cache: {global: {max_pending: 65536}}\n"
                "http: {max_sessions: 8192}\n"
                "tokens: {redis_url: \"%s\", postgres_dsn: \"%s\", cache_ttl_s: 3600, "
                "timeout_ms: 2000, warm_max: %d}\n"
                "endpoints:\n  - name: api\n    match: {host: %s}\n    provider: none\n"
                "    dedup: {key: none}\n    token: {header: Authorization, "
                "prefix: \"Bearer \"}\n" % (redis.url, pg.dsn, warm, HOST))
            if len(ok) != a.requests:
                raise SystemExit("%s: %d of %d accepted" % (name, len(ok), a.requests))
            return ok

        run("prime", 0)  # every token into Redis L2, as a running appliance leaves them
        print("tokens: %d connections, each its own token (valid, in Redis L2 and Postgres "
              "L3); verdict latency, microseconds" % a.requests)
        print("%-24s %6s %8s %8s %8s %9s %8s" % ("", "n", "p50", "p90", "p99", "max", "mean"))
        cold, warm = [], []
        for r in range(a.runs):
            c = run("cold%d" % r, 0)
            w = run("warm%d" % r, 16384)
            cold += c[:a.first]
            warm += w[:a.first]
            print(row("run %d: warm_max 0" % (r + 1), c[:a.first]))
            print(row("run %d: warmed" % (r + 1), w[:a.first]))
        print()
        print(row("all: warm_max 0 (ref)", cold))
        print(row("all: warmed at start", warm))
        print("unwarmed/warmed p50 %.0fx, p99 %.0fx, mean %.0fx" % (
            q(cold, 0.5) / q(warm, 0.5), q(cold, 0.99) / q(warm, 0.99),
            statistics.mean(cold) / statistics.mean(warm)))
    finally:
        redis.stop()
        pg.stop()


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
    ap.add_argument("--pii", action="store_true",
                    help="the endpoint scans bodies for PII (pii.policy report)")
    ap.add_argument("--tokens", action="store_true",
                    help="the token cache's L1 after a start, warmed or not")
    a = ap.parse_args()
    hookpath = a.hookpath or os.path.join(a.build, "controlplane", "hookpath")
    if a.tokens:
        with tempfile.TemporaryDirectory(prefix="hp-bench-cold-") as tmp:
            token_runs(hookpath, tmp, a)
        return
    if a.requests < 2 * a.first:
        sys.exit("--requests must be at least twice --first")
    with tempfile.TemporaryDirectory(prefix="hp-bench-cold-") as tmp:
        pcap = generate(tmp, a.requests)
        firsts, lasts, firsts10 = [], [], []
        print("verdict latency, microseconds (rx of the completing segment to the verdict)")
        print("%-24s %6s %8s %8s %8s %9s %8s" % ("", "n", "p50", "p90", "p99", "max", "mean"))
        # the default (the workers' warm-up at start) alternated with warmup_requests 0
        modes = (("warm-up", None), ("no warm-up", 0))
        res = {m: ([], [], []) for m, _ in modes}
        spans = [(a_, b_) for a_, b_ in ((0, 5), (5, 20), (20, 50), (50, 200), (200, 1000),
                                          (1000, 2000)) if b_ <= a.requests]
        by_pos = {m: {sp: [] for sp in spans} for m, _ in modes}
        for r in range(a.runs):
            for m, wu in modes:
                lat = one_run(hookpath, tmp, pcap, "hp-bench-cold-%d-%d-%d" % (
                    os.getpid(), r, 0 if wu is None else 1), a.pii, wu)
                if len(lat) < 2 * a.first:
                    sys.exit("only %d verdicts accepted of %d" % (len(lat), a.requests))
                first, last = lat[:a.first], lat[-a.first:]
                res[m][0].extend(first)
                res[m][1].extend(last)
                res[m][2].extend(lat[:10])
                for sp in spans:
                    by_pos[m][sp].append(statistics.mean(lat[sp[0]:sp[1]]))
                print(row("run %d %s: first %d" % (r + 1, m, a.first), first))
                print(row("run %d %s: last %d" % (r + 1, m, a.first), last))
                print(row("run %d %s: first 10" % (r + 1, m), lat[:10]), flush=True)
        print()
        for m, _ in modes:
            firsts, lasts, firsts10 = res[m]
            print(row("%s: first %d" % (m, a.first), firsts))
            print(row("%s: last %d (ref)" % (m, a.first), lasts))
            print(row("%s: first 10" % m, firsts10))
        print("\nmean latency by position after the start (us; each run's mean, then their "
              "median)")
        print("%-12s" % "verdicts" + "".join("%12s" % ("%d-%d" % sp) for sp in spans))
        for m, _ in modes:
            print("%-12s" % m + "".join("%12.1f" % statistics.median(by_pos[m][sp])
                                        for sp in spans))
        for m, _ in modes:
            firsts, lasts, _ = res[m]
            print("%s: first/last p50 %.2fx, p99 %.2fx, mean %.2fx" % (
                m, q(firsts, 0.5) / q(lasts, 0.5), q(firsts, 0.99) / q(lasts, 0.99),
                statistics.mean(firsts) / statistics.mean(lasts)))

if __name__ == "__main__":
    main()
