#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sink throughput (issue 7): the Redis and Postgres sinks (controlplane/ctl_sink*.c, driven by
bench_sinks.c exactly as the control thread drives them) next to a ceiling measured in the same
run against the same servers (tests/sinks/sinkenv.py: redis-server with appendfsync everysec (--redis-fsync),
postgres 15 with fsync=off, both on loopback in a temporary directory):

  Redis     bench_sinks --redis           vs  redis-benchmark -c 1 -P 64 XADD benchkey MAXLEN ~
                                              1000000 * event <the same JSON line> (-c 4 too)
  Postgres  bench_sinks --postgres        vs  psql \\copy of the same rows (bench_sinks
                                              --dump-copy) into hookpath_events_raw, a copy of
                                              the events table (LIKE ... INCLUDING ALL)
            bench_sinks --postgres --pg-pipeline: the alternative, pipelined prepared
                                              INSERT ... ON CONFLICT DO NOTHING, B rows per sync

Every run starts empty (DEL / TRUNCATE); stored counts are checked. Prints each run, then the
medians and the ratios against the goal (>= 0.8x of each ceiling). Pins nothing.

usage: tests/bench/bench_sinks.py [--bin build/tests/bench/bench_sinks] [--events 200000]
                                  [--runs 3] [--redis-batch B] [--pg-batch B] [--only redis|pg]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "sinks"))
import sinkenv  # noqa: E402

GOAL = 0.8
INSTANCE = "bench"
STREAM = "hookpath:events:" + INSTANCE


def bench(binary, *args):
    out = subprocess.run([binary] + [str(a) for a in args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    res = None
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            res = dict(kv.split("=", 1) for kv in line.split()[1:])
    if out.returncode != 0 or res is None:
        sys.exit("bench_sinks %s failed (%d):\n%s%s" % (" ".join(map(str, args)),
                                                        out.returncode, out.stdout, out.stderr))
    return res


def redis_benchmark(port, n, clients, payload):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-n", str(n), "-P", "64", "-c",
                          str(clients), "--csv", "XADD", "benchkey", "MAXLEN", "~", "1000000",
                          "*", "event", payload], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, check=True).stdout
    rows = [line for line in out.splitlines() if line.startswith('"XADD')]
    if not rows:
        sys.exit("redis-benchmark: no result:\n" + out)
    # the test name holds the payload's quotes: the 7 numeric fields are the last ones
    return float(rows[-1].rsplit('","', 7)[1])


def psql(pg, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                    str(pg.port), "-U", "hookpath", "-d", "hookpath", "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)


def psql_secs(pg, sql):
    t0 = time.monotonic()
    psql(pg, sql)
    return time.monotonic() - t0


def count(pg, table):
    return int(pg.query("SELECT count(*) FROM %s" % table)[0])


def med(xs):
    return statistics.median(xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(REPO, "build", "tests", "bench",
                                                   "bench_sinks"))
    ap.add_argument("--events", type=int, default=200000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--redis-batch", type=int, default=1024, help="sinks.redis.batch")
    ap.add_argument("--pg-batch", type=int, default=4096, help="sinks.postgres.batch")
    ap.add_argument("--only", choices=["redis", "pg"])
    ap.add_argument("--redis-fsync", choices=["always", "everysec", "off"], default="everysec",
                    help="redis-server appendfsync (off: no append-only file)")
    a = ap.parse_args()
    n = a.events
    payload = subprocess.run([a.bin, "--print-json"], stdout=subprocess.PIPE, text=True,
                             check=True).stdout.strip()
    print("events %d, runs %d, JSON line %d B (first record), redis batch %d, pg batch %d, "
          "redis appendfsync %s" % (n, a.runs, len(payload), a.redis_batch, a.pg_batch,
                                    a.redis_fsync))
    rows = []
    with tempfile.TemporaryDirectory(prefix="hp-bench-sinks-") as tmp:
        if a.only in (None, "redis"):
            redis = sinkenv.Redis(tmp, a.redis_fsync)
            try:
                sink, c1, c4, spooled = [], [], [], []
                for run in range(a.runs):
                    redis.cli("DEL", STREAM)
                    r = bench(a.bin, "--redis", redis.url, "--events", n, "--batch",
                              a.redis_batch, "--instance", INSTANCE)
                    xlen = int(redis.cli("XLEN", STREAM))
                    if xlen != n + 1:  # + the warm-up record sent before the clock starts
                        sys.exit("redis: XLEN %d, expected %d" % (xlen, n + 1))
                    redis.cli("DEL", "benchkey")
                    b1 = redis_benchmark(redis.port, n, 1, payload)
                    redis.cli("DEL", "benchkey")
                    b4 = redis_benchmark(redis.port, n, 4, payload)
                    sink.append(float(r["events_per_s"]))
                    c1.append(b1)
                    c4.append(b4)
                    spooled.append(int(r["spooled"]))
                    print("redis run %d: sink %.0f ev/s (%.2f s, push %.2f s, %s spooled, %s "
                          "batches) | redis-benchmark -c1 %.0f, -c4 %.0f req/s"
                          % (run + 1, sink[-1], float(r["seconds"]), float(r["push_s"]),
                             r["spooled"], r["batches"], b1, b4), flush=True)
                redis.cli("DEL", STREAM, "benchkey")
                rows.append(("Redis sink, XADD (batch %d)" % a.redis_batch, sink,
                             "redis-benchmark -P 64 -c 1", c1))
                rows.append(("(reference)", None, "redis-benchmark -P 64 -c 4", c4))
                print("redis median spooled: %d of %d" % (med(spooled), n))
            finally:
                redis.stop()
        if a.only in (None, "pg"):
            pg = sinkenv.Postgres(tmp)
            try:
                dump = os.path.join(tmp, "rows.copy")
                bench(a.bin, "--dump-copy", dump, "--events", n, "--instance", INSTANCE)
                psql(pg, "CREATE TABLE hookpath_events_raw (LIKE hookpath_events INCLUDING ALL)")
                base = med([psql_secs(pg, "SELECT 1") for _ in range(5)])
                sink, raw, pipe, spooled = [], [], [], []
                for run in range(a.runs):
                    psql(pg, "TRUNCATE hookpath_events; CHECKPOINT")
                    r = bench(a.bin, "--postgres", pg.dsn, "--events", n, "--batch", a.pg_batch,
                              "--instance", INSTANCE)
                    if count(pg, "hookpath_events") != n + 1:  # + the warm-up record
                        sys.exit("postgres: %d rows, expected %d"
                                 % (count(pg, "hookpath_events"), n + 1))
                    psql(pg, "TRUNCATE hookpath_events_raw; CHECKPOINT")
                    secs = psql_secs(pg, "\\copy hookpath_events_raw FROM '%s'" % dump) - base
                    if count(pg, "hookpath_events_raw") != n:
                        sys.exit("postgres: raw COPY stored %d rows" %
                                 count(pg, "hookpath_events_raw"))
                    psql(pg, "TRUNCATE hookpath_events; CHECKPOINT")
                    p = bench(a.bin, "--postgres", pg.dsn, "--events", n, "--batch", a.pg_batch,
                              "--instance", INSTANCE, "--pg-pipeline")
                    if count(pg, "hookpath_events") != n:
                        sys.exit("postgres: pipeline stored %d rows" %
                                 count(pg, "hookpath_events"))
                    sink.append(float(r["events_per_s"]))
                    raw.append(n / secs)
                    pipe.append(float(p["events_per_s"]))
                    spooled.append(int(r["spooled"]))
                    print("pg run %d: sink COPY %.0f ev/s (%.2f s, push %.2f s, %s spooled, %s "
                          "batches) | raw \\copy %.0f ev/s (%.2f s) | pipeline INSERT %.0f ev/s"
                          " (%.2f s)" % (run + 1, sink[-1], float(r["seconds"]),
                                         float(r["push_s"]), r["spooled"], r["batches"], raw[-1],
                                         secs, pipe[-1], float(p["seconds"])), flush=True)
                rows.append(("Postgres sink, COPY (batch %d)" % a.pg_batch, sink,
                             "psql \\copy, one COPY of all rows", raw))
                rows.append(("pipelined INSERT ON CONFLICT (batch %d)" % a.pg_batch, pipe,
                             "psql \\copy, one COPY of all rows", raw))
                print("postgres median spooled: %d of %d (psql start-up %.3f s subtracted)"
                      % (med(spooled), n, base))
            finally:
                pg.stop()
    # ratio: median of the per-run ratios (each pair measured back to back: less noise than
    # the ratio of the medians on a shared 2-vCPU machine)
    print("\nmedians of %d runs, %d events each (ratio: median of per-run ratios):\n"
          % (a.runs, n))
    print("| measured | events/s | ceiling | ceiling/s | ratio | goal >= %.1fx |" % GOAL)
    print("|---|---|---|---|---|---|")
    for name, v, ref, c in rows:
        if v is None:
            print("| %s | | %s | %.0f | | |" % (name, ref, med(c)))
        else:
            q = med([x / y for x, y in zip(v, c)])
            print("| %s | %.0f | %s | %.0f | %.2fx | %s |"
                  % (name, med(v), ref, med(c), q, "met" if q >= GOAL else "not met"))
    pgrows = [r for r in rows if r[0].startswith(("Postgres sink", "pipelined"))]
    if len(pgrows) == 2:
        print("\npipelined INSERT / sink COPY: %.2fx (median of per-run ratios)"
              % med([x / y for x, y in zip(pgrows[1][1], pgrows[0][1])]))


if __name__ == "__main__":
    main()
