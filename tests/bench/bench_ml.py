#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ML scoring benchmark (issue 15): each figure next to its reference, same run.

1. rows/s through the embedded backend, batched vs one row per call (build/tests/bench/bench_ml);
2. one worker's verdicts/s with ml.policy score vs off (tap, stripe, 10 webhooks per
   connection, then 1 per connection, the pcap replayed without end: bench_verdict.py's
   harness);
3. verdict latency p50/p99/p99.9 with enforce vs off (bridge to a net_null port that
   receives nothing: the verdict histogram of the stats file, rx of the completing segment to
   the verdict, which for enforce includes the wait for the score; `threshold: 1.0`, so both
   accept): at saturation (the pcap replayed without end) and, as root with tcpreplay, at a
   steady load below it (--pps, default 50 000 packets/s into a veth hookpath reads). Both
   replay only the client's side of each connection (client_side()): a replayed server
   would answer and close a connection whose request is still held for its score;
   ... and the same two policies alternated in one process (--alt-pairs): the endpoint's
   ml.policy switched through the API after every few stats lines, each score window
   compared with the off windows on either side of it; the machine's slow and fast phases
   (tens of seconds on a shared host) then fall on both sides of each ratio;
4. one worker's verdicts/s with score on the KServe backend (tests/ml/kserve_server.py on
   loopback, pinned to the main lcore's CPU), the server up vs none listening (its breaker
   open), next to off: a dead inference server must not slow the workers.

usage: bench_ml.py [--runs N] [--seconds S] [--build DIR] [--pps P] [--alt-pairs N]
                   [--alt-lines L] [--alt-only [--alt-per-conn K]] [--hookpath BIN]"""
import argparse
import json
import os
import random
import re
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_verdict as bv  # noqa: E402

sys.path.insert(0, os.path.join(bv.ROOT, "tests", "sinks"))
sys.path.insert(0, os.path.join(bv.ROOT, "tests", "pcap"))
sys.path.insert(0, os.path.join(bv.ROOT, "pktgen-scripts"))
import hp_pcapgen as pg  # noqa: E402
import hp_pcaptest as hpt  # noqa: E402
import sinkenv  # noqa: E402

ENDPOINT = ("endpoints:\n  - name: bench\n    match: {host: hooks.example.com}\n"
            "    provider: stripe\n    secrets: [%s]\n    dedup: {key: none}\n"
            "    ml: {policy: %s}\n%s")


def cfg_file(tmp, name, mode, policy, ml="", sessions=4096, tolerance_s=0):
    """enforce with threshold 1.0: nothing is refused (a score is at most 1), so the latency
    compared with off is of the same verdict, an accept."""
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write("dataplane: {mode: %s, workers: 1, mbufs: 131072%s}\n"
                "control: {stats_interval_s: 1}\n"
                "http: {max_sessions: %d}\n" % (
                    mode, ", port_pairs: [[0, 1]]" if mode == "bridge" else "", sessions))
        if ml:
            f.write("ml: %s\n" % ml)
        f.write(ENDPOINT % (json.dumps(bv.SECRETS["stripe"]),
                            policy + (", threshold: 1.0" if policy == "enforce" else ""),
                            "    tolerance_s: %d\n" % tolerance_s if tolerance_s else ""))
    return path


def alternated(hookpath, cfg, pcap, pairs, per, prefix):
    """One hookpath process (cfg: endpoint "bench", tap) over pcap replayed without end; its
    ml.policy set to off, then score, pairs times, through the API (PATCH, applied by RCU).
    After each switch the next stats line (the second the switch fell in) is skipped and the
    following per lines are that window's. Returns the windows' mean rates, in order
    [off, score, off, score, ..., off] (a last off window closes the last pair)."""
    sock = "/var/run/dpdk/%s/hookpath.sock" % prefix
    cmd = [hookpath, "--no-huge", "-m", "2048", "--no-pci", "-l", "0,1", "--file-prefix",
           prefix, "--log-level=lib.*:warning", "--vdev",
           "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap, "--", "-c", cfg]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    rates, tail = [], []
    got = threading.Condition()

    def read():
        for line in p.stdout:
            tail[:] = (tail + [line])[-40:]
            m = re.search(r"verdicts (\d+)/s", line)
            if m:
                with got:
                    rates.append(float(m.group(1)))
                    got.notify_all()
        with got:
            rates.append(None)
            got.notify_all()

    def lines(n):
        """The next n rates (None: hookpath stopped)."""
        with got:
            start = len(rates)
            got.wait_for(lambda: len(rates) >= start + n or None in rates, timeout=60)
            if None in rates or len(rates) < start + n:
                raise SystemExit("hookpath stopped printing rates:\n" + "".join(tail))
            return rates[start:start + n]

    threading.Thread(target=read, daemon=True).start()
    windows = []
    try:
        lines(2)  # started and warm
        for pol in ["off", "score"] * pairs + ["off"]:
            st, body = hpt.api(sock, "PATCH", "/v1/endpoints/bench", {"ml": {"policy": pol}})
            if st != 200:
                raise SystemExit("PATCH ml.policy %s: %s %s" % (pol, st, body))
            lines(1)
            windows.append(statistics.mean(lines(per)))
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
    return windows


def print_alternated(windows):
    off, score = windows[0::2], windows[1::2]
    ratios = [s / ((a + b) / 2) for a, s, b in zip(off, score, off[1:])]
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    # the median's spread: the middle 95 % of medians of 2 000 resamples (a bootstrap)
    rnd = random.Random(1)
    meds = sorted(statistics.median(rnd.choices(ratios, k=len(ratios))) for _ in range(2000))
    print("# the same, one process, ml.policy switched through the API (window means):")
    print("#   off   %s" % ", ".join("%.0f" % r for r in off))
    print("#   score %s" % ", ".join("%.0f" % r for r in score))
    print("verdicts/s, score vs the off windows on either side, %d windows in one process: "
          "median %.3fx (quartiles %.3f-%.3f; the median's 95 %% bootstrap interval "
          "%.3f-%.3f)" % (len(ratios), statistics.median(ratios), q[0], q[2],
                          meds[50], meds[1949]))


def quantile(buckets, q):
    total = sum(b["count"] for b in buckets)
    seen = 0
    for b in buckets:
        seen += b["count"]
        if total and seen >= q * total:
            return b["le_s"]
    return None


def client_side(src, dst, server_port=8080):
    """The pcap src as a bridge's client-side port sees it when the server only answers what
    hookpath forwards: the client's packets and, of the server's, only the SYN-ACK (its ISN).
    The client's ACK numbers are set back to that SYN-ACK's (nothing else came from the server),
    its checksums redone; the ACKs of the server's answer are left out, the client's FIN kept
    (the connection ends, its tuple can be reused). IPv4, untagged Ethernet."""
    isn, out = {}, []
    for frame in hpt.read_pcap(src):
        frame = bytearray(frame)
        if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            out.append(frame)
            continue
        t = 14 + (frame[14] & 0x0F) * 4
        sport, dport, seq, ack = struct.unpack("!HHII", frame[t:t + 12])
        flags = frame[t + 13]
        if sport == server_port:
            if flags & 0x12 == 0x12:  # SYN-ACK
                isn[(bytes(frame[30:34]), dport)] = seq
                out.append(frame)
            continue
        tup = (bytes(frame[26:30]), sport)
        end = 14 + struct.unpack("!H", frame[16:18])[0]
        has_payload = end > t + (frame[t + 12] >> 4) * 4
        first = tup in isn and ack == (isn[tup] + 1) & 0xFFFFFFFF
        if not (flags & 0x03 or has_payload or first):
            continue  # an ACK of the server's answer, which is not there
        if flags & 0x10 and tup in isn and not first:
            frame[t + 8:t + 12] = struct.pack("!I", (isn[tup] + 1) & 0xFFFFFFFF)
            frame[t + 16:t + 18] = b"\0\0"
            frame[t + 16:t + 18] = struct.pack("!H", pg.csum(
                pg.pseudo_header(bytes(frame[26:30]), bytes(frame[30:34]), 6, end - t) +
                bytes(frame[t:end])))
        out.append(frame)
    hpt.write_pcap(dst, [bytes(f) for f in out])
    return dst


def latency_stats(stats):
    with open(stats) as f:
        st = json.load(f)
    lat = st["latency"]["buckets"]
    c = st["counters"]
    return {"p50": quantile(lat, 0.5), "p99": quantile(lat, 0.99), "p999": quantile(lat, 0.999),
            "answers": c.get("ml_answers", 0), "timeouts": c.get("ml_timeouts", 0),
            "accept": c.get("verdict_accept", 0), "unscored": c.get("reason_ml_unavailable", 0)}


def latency_run(hookpath, cfg, pcap, seconds, prefix, stats):
    """Saturation: the pcap replayed without end; port 1 a net_null that receives nothing
    (without no-rx it would hand back recycled mbufs: old packets, replayed)."""
    cmd = [hookpath, "--no-huge", "-m", "2048", "--no-pci", "-l", "0,1", "--file-prefix",
           prefix, "--log-level=lib.*:warning",
           "--vdev", "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap, "--vdev", "net_null1,no-rx=1",
           "--", "-c", cfg, "--stats-file", stats]
    bv.run_for(cmd, seconds)
    return latency_stats(stats)


def latency_live(hookpath, cfg, pcap, pps, prefix, stats):
    """Steady load: tcpreplay at pps (on the main lcore's CPU, not the worker's) into one end
    of a veth pair, hookpath bridging the other end (net_pcap iface=) to a net_null that
    receives nothing."""
    sinkenv.replay_live("hpml", lambda iface: [
        hookpath, "--no-huge", "-m", "2048", "--no-pci", "-l", "0,1", "--file-prefix", prefix,
        "--log-level=lib.*:warning", "--vdev", "net_pcap0,iface=" + iface,
        "--vdev", "net_null1,no-rx=1", "--", "-c", cfg, "--stats-file", stats],
        pcap, pps, cpu=0)
    return latency_stats(stats)


def print_latency(title, lat):
    print()
    print("# " + title)
    for pol in ("off", "enforce"):
        r = lat[pol]
        print("#   ml.policy %-8s p50 <= %s s, p99 <= %s s, p99.9 <= %s s (accepted %d, "
              "scores %d, timeouts %d, decided unscored %d)" % (
                  pol, r["p50"], r["p99"], r["p999"], r["accept"], r["answers"], r["timeouts"],
                  r["unscored"]))
    print("added by enforce: p50 %s s, p99 %s s, p99.9 %s s (bucket bounds)" % tuple(
        "%.6f" % (lat["enforce"][k] - lat["off"][k]) if lat["off"][k] is not None and
        lat["enforce"][k] is not None else "?" for k in ("p50", "p99", "p999")))


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
    ap.add_argument("--alt-pairs", type=int, default=30,
                    help="score/off windows alternated in one process (0: skip)")
    ap.add_argument("--alt-lines", type=int, default=2,
                    help="stats lines (seconds) per alternated window")
    ap.add_argument("--alt-only", action="store_true",
                    help="only the alternated score/off run (--hookpath: another binary)")
    ap.add_argument("--alt-per-conn", type=int, default=10,
                    help="--alt-only: webhooks per connection of its pcap")
    ap.add_argument("--hookpath", help="the hookpath binary (default: BUILD's)")
    ap.add_argument("--pps", type=int, default=50000,
                    help="steady-load latency run: packets/s (root, tcpreplay; 0: skip)")
    a = ap.parse_args()
    hookpath = a.hookpath or os.path.join(a.build, "controlplane", "hookpath")
    if a.alt_only:
        with tempfile.TemporaryDirectory(prefix="hp-bench-ml-") as tmp:
            pcap, _ = bv.generate(tmp, "stripe", 2000, a.alt_per_conn)
            print("# %d webhook(s) per connection" % a.alt_per_conn)
            print_alternated(alternated(hookpath, cfg_file(tmp, "tap-alt", "tap", "off",
                                                           tolerance_s=3600), pcap,
                                        max(a.alt_pairs, 2), a.alt_lines,
                                        "hp-bench-ml-alt-%d" % os.getpid()))
        return 0
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
        # lib/ml/ml_json.h) in situ, next to the 512-bit one the workers pick where they can;
        # "-openssl": OpenSSL's SHA-256 (HOOKPATH_SHA=openssl), so the JSON scan runs after
        # the HMAC instead of inside it (lib/ml/ml_json_sha.h): what a CPU without SHA-NI runs
        rates = {"off": [], "score": [], "score-avx2": [], "off-openssl": [],
                 "score-openssl": []}
        envs = {"score-avx2": {"HOOKPATH_ML_JSON": "avx2"},
                "off-openssl": {"HOOKPATH_SHA": "openssl"},
                "score-openssl": {"HOOKPATH_SHA": "openssl"}}
        for i in range(a.runs):
            for pol in rates:
                cfg = cfg_file(tmp, "tap-" + pol, "tap", pol.split("-")[0])
                env = envs.get(pol, {})
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
        offo, ono = statistics.median(rates["off-openssl"]), statistics.median(
            rates["score-openssl"])
        print("verdicts/s, OpenSSL's SHA-256 (the JSON scan after the HMAC): score %.0f vs "
              "off %.0f = %.2fx" % (ono, offo, ono / offo))
        if a.alt_pairs:
            # minutes of one pcap's signatures: a tolerance that keeps them fresh throughout
            # (the same check either way), else they age into stale_timestamp and never
            # reach the ml stage
            print_alternated(alternated(hookpath, cfg_file(tmp, "tap-alt", "tap", "off",
                                                           tolerance_s=3600), pcap,
                                        a.alt_pairs, a.alt_lines,
                                        "hp-bench-ml-alt-%d" % os.getpid()))
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
        cs1 = client_side(pcap1, os.path.join(tmp, "client-1.pcap"))
        for pol in ("off", "enforce"):
            cfg = cfg_file(tmp, "bridge-" + pol, "bridge", pol)
            lat[pol] = latency_run(hookpath, cfg, cs1, a.seconds,
                                   "hp-bench-ml-lat-%d-%s" % (os.getpid(), pol),
                                   os.path.join(tmp, "lat-%s.json" % pol))
        print_latency("bridge to net_null, stripe, one webhook per connection, the client's "
                      "side replayed without end (saturation): verdict latency (upper bound "
                      "of its histogram bucket)", lat)
        if a.pps and sinkenv.can_veth():
            # unique tuples, read once: 10 000 connections of 5 packets
            pcapl, _ = bv.generate(tmp, "stripe", 10000, 1)
            csl = client_side(pcapl, os.path.join(tmp, "client-live.pcap"))
            live = {}
            for pol in ("off", "enforce"):
                cfg = cfg_file(tmp, "live-" + pol, "bridge", pol,
                               sessions=16384)
                live[pol] = latency_live(hookpath, cfg, csl, a.pps,
                                         "hp-bench-ml-live-%d-%s" % (os.getpid(), pol),
                                         os.path.join(tmp, "live-%s.json" % pol))
            print_latency("the same at a steady load: %d packets/s (%d webhooks/s) by tcpreplay "
                          "into a veth" % (a.pps, a.pps // 5), live)
        kserve_rates(tmp, hookpath, pcap, a, off)
    return 0


if __name__ == "__main__":
    sys.exit(main())
