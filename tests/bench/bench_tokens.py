#!/usr/bin/python3
"""Token cache L1 cost in situ (issue 7): verdicts/s of one worker when every request carries a
bearer token that the workers' lock-free L1 knows, next to the same requests on an endpoint that
asks for no token, measured in the same run.

One worker in tap mode on a net_pcap vdev replaying (infinite_rx) 2 000 TCP sessions, each one
POST with a small JSON body and `Authorization: Bearer <token>` (tests/sinks/test_tokens.py's
session builder); endpoint provider none, no replay key, so the token lookup is the only verdict
work beyond parsing. The token is in Postgres (L3, real server); the first request fills L2 and
L1, every later one is an L1 hit (tokens.cache_ttl_s is long). The rate is hookpath's own stats
line, median of the per-second lines, median of the runs.

Usage: tests/bench/bench_tokens.py [--hookpath PATH] [--runs N] [--seconds S]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "sinks"))
sys.path.insert(0, os.path.join(ROOT, "tests", "pcap"))
from bench_verdict import verdict_rate  # noqa: E402
import hp_pcaptest as hp  # noqa: E402
import sinkenv  # noqa: E402
from test_tokens import session, HOST  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hookpath", default=os.path.join(ROOT, "build", "controlplane", "hookpath"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hp-bench-tokens-") as tmp:
        pg = sinkenv.Postgres(tmp)
        pg.query("INSERT INTO hookpath_tokens (token_sha256, endpoint) VALUES "
                 "(sha256('bench-token-0123456789'), 'api')")
        frames = []
        for i in range(2000):
            frames += session(i, "bench-token-0123456789", seed=i // 250)
        pcap = hp.write_frames(tmp, "tokens", frames)
        base = ("dataplane: {mode: tap, workers: 1, mbufs: 131072}\n"
                "control: {stats_interval_s: 1}\nhttp: {max_sessions: 4096}\n"
                "endpoints:\n  - name: api\n    match: {host: %s}\n    provider: none\n"
                "    dedup: {key: none}\n" % HOST)
        cfgs = {"no token": base,
                "token (L1 hit)": base + "    token: {header: Authorization, prefix: \"Bearer \"}\n"
                "tokens: {postgres_dsn: \"%s\", cache_ttl_s: 3600}\n" % pg.dsn}
        rates = {k: [] for k in cfgs}
        try:
            for run in range(a.runs):
                for name, text in cfgs.items():
                    path = os.path.join(tmp, name.split()[0] + ".yaml")
                    with open(path, "w") as f:
                        f.write(text)
                    stats = os.path.join(tmp, "st.json")
                    rates[name].append(verdict_rate(a.hookpath, path, pcap, a.seconds,
                                                    "hp-bench-tok-%d" % os.getpid(),
                                                    app_args=("--stats-file", stats)))
                    with open(stats) as f:
                        c = json.load(f)["counters"]
                    print("run %d %-15s %9.0f verdicts/s  (l1 hits %d, asked %d)" % (
                        run + 1, name, rates[name][-1], c.get("token_l1_hit", 0),
                        c.get("token_asked", 0)), flush=True)
        finally:
            pg.stop()
    ref = statistics.median(rates["no token"])
    print("\n| endpoint | verdicts/s (median of %d x %d s) | vs no token | ns per request more |"
          % (a.runs, a.seconds))
    print("|---|---|---|---|")
    for name, r in rates.items():
        m = statistics.median(r)
        print("| %s | %.0f | %.2fx | %.0f |" % (name, m, m / ref, 1e9 / m - 1e9 / ref))


if __name__ == "__main__":
    main()
