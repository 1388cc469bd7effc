#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ML scoring benchmark (issue 15): each figure next to its reference, same run.

1. rows/s through the embedded backend, batched vs one row per call (build/tests/bench/bench_ml);
2. one worker's verdicts/s with ml.policy score vs off (tap, stripe, 10 webhooks per
   connection, then 1 per connection, the pcap replayed without end: bench_verdict.py's
   harness);
3. verdict latency p50/p99 with enforce vs off at a steady load (bridge to a net_null port:
   the verdict histogram of the stats file, rx of the completing segment to the verdict,
   which for enforce includes the wait for the score);
4. one worker's verdicts/s with score on the KServe backend (tests/ml/kserve_server.py on
   loopback, pinned to the main lcore's CPU), the server up vs none listening (its breaker
   open), next to off: a dead inference server must not slow the workers.

usage: bench_ml.py [--runs N] [--seconds S] [--build DIR]"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_verdict as bv  # noqa: E402

ENDPOINT = ("endpoints:\n  - name: bench\n    match: {host: hooks.example.com}\n"
            "    provider: stripe\n    secrets: [%s]\n    dedup: {key: none}\n"
            "    ml: {policy: %s}\n")


def cfg_file(tmp, name, mode, policy, ml=""):
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write("dataplane: {mode: %s, workers: 1, mbufs: 131072%s}\n"
                "control: {stats_interval_s: 1}\n"
                "http: {max_sessions: 4096}\n" % (
                    mode, ", port_pairs: [[0, 1]]" if mode == "bridge" else ""))
        if ml:
            f.write("ml: %s\n" % ml)
        f.write(ENDPOINT % (json.dumps(bv.SECRETS["stripe"]), policy))
    return path


def quantile(buckets, q):
    total = sum(b["count"] for b in buckets)
    seen = 0
    for b in buckets:
        seen += b["count"]
        if total and seen >= q * total:
            return b["le_s"]
    return None


def latency_run(hookpath, cfg, pcap, seconds, prefix, stats):
    cmd = [hookpath, "--no-huge", "-m", "2048", "--no-pci", "-l", "0,1", "--file-prefix",
           prefix, "--log-level=lib.*:warning",
           "--vdev", "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap, "--vdev", "net_null1",
           "--", "-c", cfg, "--stats-file", stats]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(seconds + 2)
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=60)
    with open(stats) as f:
        st = json.load(f)
    lat = st["latency"]["buckets"]
    c = st["counters"]
    return quantile(lat, 0.5), quantile(lat, 0.99), c.get("ml_answers", 0), \
        c.get("ml_timeouts", 0), c.get("verdict_accept", 0)


def kserve_rates(tmp, hookpath, pcap, a, off):
    sys.path.insert(0, os.path.join(bv.ROOT, "tests", "ml"))
    from test_ml_kserve import start_server, stop_server, free_port
    rates = {"up": [], "down": []}
    for i in range(a.runs):
        # on the main lcore's CPU (0), not the worker's (1)
        srv, port = start_server(tmp, os.path.join(bv.ROOT, "models", "default.json"),
                                 wrapper=("taskset", "-c", "0"))
        try:
            for state, p in (("up", port), ("down", free_port())):
                ml = ("{backend: kserve, max_batch: 256, target_us: 20000, "
                      "kserve: {url: \"http://127.0.0.1:%d\"}}" % p)
                cfg = cfg_file(tmp, "tap-ks-" + state, "tap", "score", ml)
                rates[state].append(bv.verdict_rate(
                    hookpath, cfg, pcap, a.seconds,
                    "hp-bench-ml-ks-%d-%s-%d" % (os.getpid(), state, i)))
        finally:
            stop_server(srv)
    print()
    print("# one worker, tap, stripe, 10 webhooks per connection, score on the KServe backend "
          "(kserve_server.py on loopback; verdicts/s per run):")
    for state in ("up", "down"):
        print("#   server %-5s %s" % (state, ", ".join("%.0f" % r for r in rates[state])))
    up, down = statistics.median(rates["up"]), statistics.median(rates["down"])
    print("verdicts/s: kserve up %.0f = %.2fx of off, server down %.0f = %.2fx of off"
          % (up, up / off, down, down / off))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(bv.ROOT, "build"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    a = ap.parse_args()
    hookpath = os.path.join(a.build, "controlplane", "hookpath")
    out = subprocess.run([os.path.join(a.build, "tests", "bench", "bench_ml"),
                          os.path.join(bv.ROOT, "models", "default.json")],
                         capture_output=True, text=True, check=True).stdout
    print(out.rstrip())
    with tempfile.TemporaryDirectory(prefix="hp-bench-ml-") as tmp:
        pcap, _ = bv.generate(tmp, "stripe", 2000, 10)
        # enforce holds each request until its score: one webhook per connection (the
        # generator pipelines keep-alive requests without waiting for answers, and a request
        # pipelined behind a waiting one decides that one at once, as unavailable)
        pcap1, _ = bv.generate(tmp, "stripe", 2000, 1)
        # "score-avx2": the JSON shape scan's 256-bit version (HOOKPATH_ML_JSON,
        # lib/ml/ml_json.h) in situ, next to the 512-bit one the workers pick where they can
        rates = {"off": [], "score": [], "score-avx2": []}
        for i in range(a.runs):
            for pol in rates:
                cfg = cfg_file(tmp, "tap-" + pol, "tap", pol.split("-")[0])
                env = {"HOOKPATH_ML_JSON": "avx2"} if pol.endswith("avx2") else {}
                rates[pol].append(bv.verdict_rate(hookpath, cfg, pcap, a.seconds,
                                                  "hp-bench-ml-%d-%s-%d" % (os.getpid(), pol, i),
                                                  env=env))
        print()
        print("# one worker, tap, stripe, 10 webhooks per connection (verdicts/s per run):")
        for pol in rates:
            print("#   ml.policy %-13s %s" % (pol, ", ".join("%.0f" % r for r in rates[pol])))
        off, on = statistics.median(rates["off"]), statistics.median(rates["score"])
        print("verdicts/s: score %.0f vs off %.0f = %.2fx" % (on, off, on / off))
        on256 = statistics.median(rates["score-avx2"])
        print("verdicts/s: score with the AVX2 JSON scan %.0f vs off = %.2fx" % (
            on256, on256 / off))
        # the same with one webhook per connection: the connection's own work (handshake,
        # flow, session) is then part of each verdict, the ML stage's cost is the same
        rates1 = {"off": [], "score": []}
        for i in range(a.runs):
            for pol in rates1:
                cfg = cfg_file(tmp, "tap-" + pol, "tap", pol)
                rates1[pol].append(bv.verdict_rate(
                    hookpath, cfg, pcap1, a.seconds,
                    "hp-bench-ml1-%d-%s-%d" % (os.getpid(), pol, i)))
        print("# one worker, tap, stripe, 1 webhook per connection (verdicts/s per run):")
        for pol in rates1:
            print("#   ml.policy %-13s %s" % (pol, ", ".join("%.0f" % r for r in rates1[pol])))
        off1, on1 = statistics.median(rates1["off"]), statistics.median(rates1["score"])
        print("verdicts/s, 1 per connection: score %.0f vs off %.0f = %.2fx" % (
            on1, off1, on1 / off1))
        lat = {}
        for pol in ("off", "enforce"):
            cfg = cfg_file(tmp, "bridge-" + pol, "bridge", pol)
            lat[pol] = latency_run(hookpath, cfg, pcap1, a.seconds,
                                   "hp-bench-ml-lat-%d-%s" % (os.getpid(), pol),
                                   os.path.join(tmp, "lat-%s.json" % pol))
        print()
        print("# bridge to net_null, stripe, one webhook per connection, without end: verdict "
              "latency (upper bound of its histogram bucket)")
        for pol in ("off", "enforce"):
            p50, p99, answers, timeouts, acc = lat[pol]
            print("#   ml.policy %-8s p50 <= %s s, p99 <= %s s (accepted %d, scores %d, "
                  "timeouts %d)" % (pol, p50, p99, acc, answers, timeouts))
        print("added by enforce: p50 %s s, p99 %s s (bucket bounds)" % (
            "%.6f" % (lat["enforce"][0] - lat["off"][0]) if lat["off"][0] else "?",
            "%.6f" % (lat["enforce"][1] - lat["off"][1]) if lat["off"][1] else "?"))
        kserve_rates(tmp, hookpath, pcap, a, off)
    return 0


if __name__ == "__main__":
    sys.exit(main())
