#!/usr/bin/python3
"""Worker throughput while the sinks are up, hung or down (issue 7): the worker must not notice.

One worker in tap mode verifies signed stripe webhooks (1 KB bodies, one per connection) from a
net_pcap vdev replayed without end (as tests/bench/bench_verdict.py); every request is an
event. Scenarios, each measured --runs times, median of hookpath's per-second verdicts/s:

  no events     events off: no ring, no control-thread work (the reference)
  file          events file only
  sinks up      events file + Redis + Postgres (real servers, tests/sinks/sinkenv.py)
  redis hung    Redis stopped with SIGSTOP (accepts connections, never answers: every batch
                times out, the breaker opens, events go to the spool) + Postgres up
  both down     nothing listens on either port (connection refused)

Prints the rate of each next to the reference, and what the control plane did with the events:
written to the file per second, dropped on a full ring (events_ring_full: the control thread,
which shares the main core with the sink threads, could not keep up), stored by each sink,
spooled, dropped by a full spool.

Usage: tests/bench/bench_sink_impact.py [--hookpath PATH] [--runs N] [--seconds S]
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "sinks"))
from bench_verdict import generate, SECRETS, verdict_rate  # noqa: E402
import sinkenv  # noqa: E402


def config(tmp, name, events, redis_url=None, pg_dsn=None, spool_mb=256):
    y = ("dataplane: {mode: tap, workers: 1, mbufs: 131072}\n"
         "control: {stats_interval_s: 1, instance: %s}\n"
         "http: {max_sessions: 4096}\n"
         "endpoints:\n  - name: bench\n    match: {host: hooks.example.com}\n"
         "    provider: stripe\n    secrets: [%s]\n" % (name, json.dumps(SECRETS["stripe"])))
    if events:
        y += "events: {file: %s/%s.jsonl, rotate_mb: 256, rotate_keep: 1}\n" % (tmp, name)
    if redis_url or pg_dsn:
        y += ("sinks:\n  spool: {dir: %s/spool-%s, max_mb: %d}\n  flush_timeout_ms: 1000\n"
              "  redis: {url: \"%s\", timeout_ms: 200}\n  postgres: {dsn: \"%s\", timeout_ms: 500}\n"
              % (tmp, name, spool_mb, redis_url, pg_dsn))
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write(y)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hookpath", default=os.path.join(ROOT, "build", "controlplane", "hookpath"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--spool-mb", type=int, default=256, help="sinks.spool.max_mb")
    ap.add_argument("--only", help="run only this scenario (e.g. 'redis hung')")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hp-bench-impact-") as tmp:
        pcap, _ = generate(tmp, "stripe", 2000, 1)
        redis = sinkenv.Redis(tmp, "everysec")
        pg = sinkenv.Postgres(tmp)
        # the servers share the main core with the control thread: the worker's core is the
        # worker's (in production they are on other machines)
        for pid in [redis.proc.pid] + pg.pids():
            subprocess.run(["taskset", "-a", "-p", "-c", "0", str(pid)],
                           stdout=subprocess.DEVNULL, check=True)
        dead = "redis://127.0.0.1:%d" % sinkenv.free_port()
        dead_pg = "host=127.0.0.1 port=%d user=x dbname=x" % sinkenv.free_port()
        scenarios = [("no events", False, None, None), ("file", True, None, None),
                     ("sinks up", True, redis.url, pg.dsn),
                     ("redis hung", True, redis.url, pg.dsn),
                     ("both down", True, dead, dead_pg)]
        results = []
        try:
            for name, events, ru, pd in scenarios:
                if a.only and name not in (a.only, "no events"):
                    continue
                rates, details = [], []
                for run in range(a.runs):
                    tag = "%s-%d" % (name.replace(" ", "_"), run)
                    cfg = config(tmp, tag, events, ru, pd, a.spool_mb)
                    stats = os.path.join(tmp, tag + ".json")
                    if name == "redis hung":
                        redis.proc.send_signal(signal.SIGSTOP)
                    try:
                        rates.append(verdict_rate(a.hookpath, cfg, pcap, a.seconds,
                                                  "hp-impact-%d" % os.getpid(),
                                                  app_args=("--stats-file", stats)))
                    finally:
                        if name == "redis hung":
                            redis.proc.send_signal(signal.SIGCONT)
                    with open(stats) as f:
                        st = json.load(f)
                    details.append(st)
                    print("%-11s run %d: %9.0f verdicts/s" % (name, run + 1, rates[-1]),
                          flush=True)
                results.append((name, statistics.median(rates), details[len(details) // 2]))
        finally:
            redis.stop()
            pg.stop()
    ref = results[0][1]
    print("\none worker, tap, stripe 1 KB webhooks, %d s x %d runs (medians)\n" %
          (a.seconds, a.runs))
    print("| scenario | verdicts/s | vs no events | events written | ring full | redis sent "
          "| pg sent | spooled | spool dropped |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, rate, st in results:
        c = st["counters"]
        sk = st.get("sinks", {})

        def g(s, *k):
            v = sk.get(s)
            for x in k:
                v = v.get(x) if isinstance(v, dict) else None
            return "-" if v is None else str(v)
        print("| %s | %.0f | %.2fx | %d | %d | %s | %s | %s | %s |" % (
            name, rate, rate / ref, st.get("events_written", 0), c.get("events_ring_full", 0),
            g("redis", "sent_total"), g("postgres", "sent_total"),
            "%s / %s" % (g("redis", "spool", "appended_total"),
                         g("postgres", "spool", "appended_total")),
            "%s / %s" % (g("redis", "spool", "dropped_full_total"),
                         g("postgres", "spool", "dropped_full_total"))))


if __name__ == "__main__":
    main()
