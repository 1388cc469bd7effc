#!/usr/bin/python3
"""Scaling: verdicts/s of one hookpath with N workers next to N one-worker hookpaths (issue 18).

Prints figures, never passes or fails on them (DESIGN §7). For each N of --workers:

  one process   hookpath in tap mode, N workers, one net_pcap vdev with N rx queues (one
                rx_pcap each, replayed without end): no RSS on net_pcap, so the software
                dispatch hands each packet to the worker that owns its flow (on a NIC, RSS
                spreads the flows and nothing is handed over).
  N processes   N independent hookpaths with one worker each, their own --file-prefix, own
                CPU, own pcap (the same N pcaps), at the same time: the ideal, since they
                share nothing (no replay cache, no handoff rings). Their rates are summed.
  ratio         one process / N processes: 1.00 is perfect scaling.

Traffic: Stripe-signed webhooks, 1 KB JSON bodies, 10 per keep-alive connection
(pktgen-scripts/hp_pcapgen.py, a different --seed per rx queue, so the flows differ). After
the first pass every request is a duplicate: verified, then found in the replay cache.
Rates are hookpath's own per-second stats lines (verdicts N/s), the median of each run,
the median of --runs runs; the two shapes alternate within each run.

Latency (hookpath's own verdict-latency histogram: rx of the completing segment to the
verdict; p50/p99/p99.9 interpolated within its log-linear buckets as Prometheus's
histogram_quantile does) is printed for the saturated runs above and, with --paced-pps, for
a steady load below saturation: net_pcap cannot pace, so a veth pair in a network namespace
made for the run, hookpath on net_af_packet at one end and tcpreplay --pps at the other
(needs root, ip and tcpreplay; skipped with a reason otherwise).

CPU placement: the CPUs this process may run on, in order; every main lcore on the first,
worker i on the (i+1)-th. N workers need N+1 CPUs; with fewer, workers share CPUs and the
row is flagged OVERSUBSCRIBED (it measures the sharing, not scaling). On a 2-CPU machine
only N=1 is a real measurement.

Nothing here is installed or absolute: run it from a checkout (pcaps are generated into a
temporary directory), or give --hookpath a command, e.g. "BUNDLE/run hookpath" for a
bundle made by device-bundle.sh (net_pcap, mempool_ring and, for --paced-pps, net_af_packet).

Usage: tests/bench/bench_scale.py [--workers 1,2,4] [--seconds S] [--runs N] [--hookpath CMD]
                                  [--sessions N] [--paced-pps PPS]
"""
import argparse
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "pktgen-scripts", "hp_pcapgen.py")
SECRET = "whsec_hookpath_bench_0123456789"
PER_SESSION = 10


def generate(tmp, i, sessions):
    pcap = os.path.join(tmp, "stripe-%d.pcap" % i)
    subprocess.run([sys.executable, GEN, "webhooks", "-q", "-o", pcap, "--seed", str(1 + i),
                    "--provider", "stripe", "--secret", SECRET, "--sessions",
                    str(max(1, sessions // PER_SESSION)), "--requests-per-session",
                    str(PER_SESSION), "--body-size", "1024", "--host", "hooks.example.com"],
                   check=True)
    return pcap


def write_cfg(tmp, name, workers):
    cfg = os.path.join(tmp, name + ".yaml")
    with open(cfg, "w") as f:
        f.write("dataplane: {mode: tap, workers: %d, mbufs: %d}\n"
                "control: {stats_interval_s: 1, api_socket: %s}\n"
                "events: {file: %s}\n"
                "replay_cache: {snapshot: \"off\"}\n"
                "http: {max_sessions: 4096}\n"
                "endpoints:\n  - name: bench\n    match: {host: hooks.example.com}\n"
                "    provider: stripe\n    secrets: [%s]\n" %
                (workers, 32768 * workers, os.path.join(tmp, name + ".sock"),
                 os.path.join(tmp, name + ".events.jsonl"), json.dumps(SECRET)))
    return cfg


def cpu_plan(n):
    """(main cpu, [cpu of worker i]), oversubscribed?"""
    cpus = sorted(os.sched_getaffinity(0))
    workers = [cpus[(1 + i) % len(cpus)] for i in range(n)]
    return cpus[0], workers, n + 1 > len(cpus)


def start(hookpath, tmp, name, workers, main_cpu, worker_cpus, vdevs, wrap=()):
    cfg = write_cfg(tmp, name, workers)
    lcores = ",".join(["0@%d" % main_cpu] +
                      ["%d@%d" % (i + 1, c) for i, c in enumerate(worker_cpus)])
    cmd = list(wrap) + hookpath + ["--no-huge", "-m", str(768 + 256 * workers), "--no-pci",
                                   "--lcores", lcores, "--file-prefix",
                                   "hp-bench-scale-%d-%s" % (os.getpid(), name),
                                   "--log-level=lib.*:warning"]
    for v in vdevs:
        cmd += ["--vdev", v]
    cmd += ["--", "-c", cfg, "--stats-file", os.path.join(tmp, name + ".stats.json")]
    out = open(os.path.join(tmp, name + ".out"), "w+")
    return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True), out, name


def wait_started(procs, limit=180):
    """Until every process printed its first stats line (a start loads the pcaps into mbufs,
    allocates its memory and warms up its workers: seconds, more with more workers), so that
    the timed window is the same whatever the machine; returns early if one exits."""
    deadline = time.time() + limit
    while time.time() < deadline:
        waiting = False
        for p, out, _ in procs:
            if p.poll() is not None:
                return
            with open(out.name) as f:
                if "verdicts " not in f.read():
                    waiting = True
        if not waiting:
            return
        time.sleep(0.2)


def stop(procs, tmp):
    """SIGTERM every process; per process (median verdicts/s, latency histogram)."""
    for p, _, _ in procs:
        p.send_signal(signal.SIGTERM)
    res = []
    for p, out, name in procs:
        p.wait(timeout=120)
        out.seek(0)
        text = out.read()
        out.close()
        rates = [float(m.group(1)) for m in re.finditer(r"verdicts (\d+)/s", text)]
        if len(rates) < 3:
            raise SystemExit("hookpath %s printed no rates (rc %s):\n%s" %
                             (name, p.returncode, text[-3000:]))
        try:
            with open(os.path.join(tmp, name + ".stats.json")) as f:
                lat = json.load(f).get("latency")
        except (OSError, ValueError):
            lat = None
        res.append((statistics.median(rates[1:-1] if len(rates) > 3 else rates), lat))
    return res


def quantile(lat, q):
    """Prometheus histogram_quantile over the stats file's per-bucket counts, in µs."""
    if not lat or not lat.get("count"):
        return float("nan")
    target, cum, lo = q * lat["count"], 0, 0.0
    for b in lat["buckets"]:
        hi = b["le_s"]
        if cum + b["count"] >= target and b["count"] > 0:
            if hi is None:
                return lo * 1e6
            return (lo + (hi - lo) * (target - cum) / b["count"]) * 1e6
        cum += b["count"]
        lo = hi if hi is not None else lo
    return lo * 1e6


def merge(lats):
    lats = [l for l in lats if l]
    if not lats:
        return None
    out = {"count": sum(l["count"] for l in lats), "buckets": []}
    for k, b in enumerate(lats[0]["buckets"]):
        out["buckets"].append({"le_s": b["le_s"],
                               "count": sum(l["buckets"][k]["count"] for l in lats)})
    return out


def pct(lat):
    return "%.1f / %.1f / %.1f" % (quantile(lat, 0.5), quantile(lat, 0.99), quantile(lat, 0.999))


def one_run(hookpath, tmp, pcaps, n, seconds, tag):
    main_cpu, wcpus, _ = cpu_plan(n)
    # one process, N workers, N rx queues
    vdev = "net_pcap0,%s,infinite_rx=1" % ",".join("rx_pcap=" + pcaps[i] for i in range(n))
    procs = [start(hookpath, tmp, "one%d-%s" % (n, tag), n, main_cpu, wcpus, [vdev])]
    wait_started(procs)
    time.sleep(seconds + 1)
    one = stop(procs, tmp)[0]
    # N processes, one worker each, same CPUs, same pcaps
    procs = [start(hookpath, tmp, "ind%d-%d-%s" % (n, i, tag), 1, main_cpu, [wcpus[i]],
                   ["net_pcap0,rx_pcap=%s,infinite_rx=1" % pcaps[i]]) for i in range(n)]
    wait_started(procs)
    time.sleep(seconds + 1)
    ind = stop(procs, tmp)
    return one, (sum(r for r, _ in ind), merge([l for _, l in ind]))


def paced(hookpath, tmp, pcap, pps, seconds):
    """Latency at a steady load below saturation: tcpreplay --pps into a veth pair inside a
    namespace made for this run, hookpath (one worker) on net_af_packet at the other end."""
    why = None
    if os.geteuid() != 0:
        why = "needs root (network namespace and veth)"
    for tool in ("ip", "tcpreplay"):
        if shutil.which(tool) is None:
            why = why or "needs %s" % tool
    if why:
        return None, why
    ns = "hpscale%d" % os.getpid()
    sh = lambda *a: subprocess.run(list(a), check=True, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
    sh("ip", "netns", "add", ns)
    try:
        sh("ip", "-n", ns, "link", "add", "hs0", "type", "veth", "peer", "name", "hs1")
        for i in ("hs0", "hs1"):
            sh("ip", "-n", ns, "link", "set", i, "up")
            if shutil.which("ethtool"):
                subprocess.run(["ip", "netns", "exec", ns, "ethtool", "-K", i, "tso", "off",
                                "gso", "off", "gro", "off", "tx", "off"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        main_cpu, wcpus, _ = cpu_plan(1)
        procs = [start(hookpath, tmp, "paced", 1, main_cpu, wcpus,
                       ["net_af_packet0,iface=hs1,qpairs=1"], wrap=("ip", "netns", "exec", ns))]
        wait_started(procs)
        rp = subprocess.Popen(["ip", "netns", "exec", ns, "tcpreplay", "-q", "-i", "hs0",
                               "--pps=%d" % pps, "--loop=1000000", pcap],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(seconds + 2)
        rp.terminate()
        rp.wait(timeout=30)
        time.sleep(0.5)
        (rate, lat), = stop(procs, tmp)
        return (rate, lat), None
    finally:
        subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def main():
    ncpu = len(os.sched_getaffinity(0))
    top = max(1, min(16, ncpu - 1))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hookpath", help="command running hookpath (default: BUILD's)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--workers", default=",".join(
        str(n) for n in sorted({1 << k for k in range(5) if 1 << k <= top} | {top})),
        help="comma list of N (default: powers of two up to min(16, CPUs - 1) and that)")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--paced-pps", type=int, default=20000,
                    help="packets/s of the paced latency run (0: skip it)")
    a = ap.parse_args()
    hookpath = shlex.split(a.hookpath) if a.hookpath else [
        os.path.join(a.build, "controlplane", "hookpath")]
    counts = [int(x) for x in a.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="hp-bench-scale-") as tmp:
        pcaps = [generate(tmp, i, a.sessions) for i in range(max(counts))]
        print("# %d CPUs usable (%s); main lcores on CPU %d; stripe, 1 KB bodies, %d "
              "requests per keep-alive connection, %d s x %d runs" %
              (ncpu, ",".join(map(str, sorted(os.sched_getaffinity(0)))), cpu_plan(1)[0],
               PER_SESSION, a.seconds, a.runs))
        if ncpu <= 2:
            print("# only %d CPUs: N=1 is the one real measurement here; N=2 shares a CPU "
                  "with the main lcores (flagged); 16-core figures need a 16-core machine" %
                  ncpu)
        rows = []
        for n in counts:
            ones, inds, lat_one, lat_ind = [], [], [], []
            for r in range(a.runs):
                (o, lo), (s, li) = one_run(hookpath, tmp, pcaps, n, a.seconds, "r%d" % r)
                ones.append(o)
                inds.append(s)
                lat_one.append(lo)
                lat_ind.append(li)
                print("# N=%d run %d: one process %.0f/s, %d processes %.0f/s" %
                      (n, r, o, n, s), flush=True)
            rows.append((n, statistics.median(ones), statistics.median(inds),
                         statistics.median(o / s for o, s in zip(ones, inds)),
                         merge(lat_one), merge(lat_ind), cpu_plan(n)[2]))
        print()
        print("%3s %16s %20s %7s   %-26s %-26s" %
              ("N", "one process /s", "N processes /s", "ratio", "latency one p50/99/99.9 µs",
               "latency N procs (ideal)"))
        for n, o, s, ratio, lo, li, over in rows:
            print("%3d %16.0f %20.0f %6.2fx   %-26s %-26s%s" %
                  (n, o, s, ratio, pct(lo), pct(li), "  OVERSUBSCRIBED" if over else ""))
        print("# ratio: median of per-run ratios; latency: saturated load (every run merged)")
        if a.paced_pps > 0:
            res, why = paced(hookpath, tmp, pcaps[0], a.paced_pps, a.seconds)
            if res is None:
                print("# paced latency: skipped (%s)" % why)
            else:
                rate, lat = res
                sat = rows[0][1] if rows and rows[0][0] == 1 else float("nan")
                print("# paced latency, 1 worker, tcpreplay --pps=%d over a veth "
                      "(net_af_packet): %.0f verdicts/s (%.0f%% of the saturated 1-worker "
                      "rate above), %d verdicts, p50/p99/p99.9 %s µs" %
                      (a.paced_pps, rate, 100.0 * rate / sat, lat["count"] if lat else 0,
                       pct(lat)))


if __name__ == "__main__":
    sys.exit(main())
