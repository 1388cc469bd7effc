#!/usr/bin/python3
"""Verified webhooks per second per worker, from packets, next to its references (DESIGN §7).

Prints figures, never passes or fails on them. For stripe and standard-webhooks:

  hookpath     one worker in tap mode on a net_pcap vdev replaying (infinite_rx) complete TCP
               sessions, each carrying one signed webhook with a 1 KB JSON body: decode, flow
               tracking, reassembly, HTTP parsing, routing, signature verification and the
               replay cache for every request (after the first pass every request is a
               duplicate: it is verified first, then found in the cache, the same work).
               The rate is read from hookpath's own stats line (verdicts/s), median of the
               per-second lines of each run, median of the runs. Two shapes: one webhook per
               connection (8 packets each: handshake, request, response, teardown) and ten
               per keep-alive connection (what Stripe and most senders do).
  HMAC bound   build/tests/bench/bench_verify in the same run: OpenSSL EVP HMAC-SHA256 (keyed
               once, re-initialised per message) over the same 1 KB bodies, in process — what
               one core can verify if it did nothing else.
  Node.js      tests/bench/node/verify_bench.js (the providers' official npm libraries: stripe,
               standardwebhooks) over the same signed requests, if `npm install` was run there.

  --rotated-out N  N other secrets listed before the one the requests are signed with (a
               rotation where the sender moved to the secret added last): what verification
               costs while a rotation is under way.
  --endpoints N  N endpoints in all: N - 1 others (one host each, tenantI.example.com) listed
               before the bench's: what routing costs with many endpoints.
  --against B  another hookpath binary (a build of an earlier commit, a variant), run on the same
               pcaps and configurations alternately with this one, run by run (A B, then B A,
               so that a machine that speeds up or slows down during the bench weighs on both
               alike); printed next to it with the median of the per-pair ratios. The
               measurement for a change of a few per cent, which one run each cannot show on a
               shared machine (its phases move rates by 10-20 %).

Usage: tests/bench/bench_verdict.py [--hookpath PATH] [--against PATH] [--runs N] [--seconds S]
                                    [--sessions N] [--cases stripe:10,stripe:1,...]
                                    [--rotated-out N] [--endpoints N]
"""
import argparse
import base64
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "pktgen-scripts", "hp_pcapgen.py")
SECRETS = {"stripe": "whsec_hookpath_bench_0123456789",
           "standard-webhooks": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}


def generate(tmp, provider, sessions, per_session):
    pcap = os.path.join(tmp, "%s-%d.pcap" % (provider, per_session))
    reqs = os.path.join(tmp, "%s-%d.json" % (provider, per_session))
    subprocess.run(["/usr/bin/python3", GEN, "webhooks", "-q", "-o", pcap, "--requests-json", reqs,
                    "--provider", provider, "--secret", SECRETS[provider], "--sessions",
                    str(max(1, sessions // per_session)), "--requests-per-session",
                    str(per_session), "--body-size", "1024", "--host", "hooks.example.com"],
                   check=True)
    return pcap, reqs


def run_hookpath(hookpath, tmp, provider, pcap, seconds, prefix, rotated_out=0, endpoints=1):
    cfg = os.path.join(tmp, provider + ".yaml")
    # secrets that sign nothing here, listed first: valid for every provider (whsec_ base64)
    secrets = ["whsec_" + base64.b64encode(b"rotated-out-secret-%05d" % i).decode()
               for i in range(rotated_out)] + [SECRETS[provider]]
    with open(cfg, "w") as f:
        f.write("dataplane: {mode: tap, workers: 1, mbufs: 131072}\n"
                "control: {stats_interval_s: 1}\n"
                "http: {max_sessions: 4096}\n"
                "endpoints:\n")
        for i in range(endpoints - 1):
            f.write("  - name: tenant%d\n    match: {host: tenant%d.example.com}\n"
                    "    provider: %s\n    secrets: %s\n" % (i, i, provider,
                                                          json.dumps(secrets[-1:])))
        f.write("  - name: bench\n    match: {host: hooks.example.com}\n"
                "    provider: %s\n    secrets: %s\n" % (provider, json.dumps(secrets)))
    return verdict_rate(hookpath, cfg, pcap, seconds, prefix)


def run_for(cmd, seconds, env=None):
    """Run cmd (a hookpath command line with stats lines on) for seconds counted from its first
    stats line (the start: EAL memory, the pcap loaded into mbufs, the warm-up, takes 1-4 s
    depending on the machine), plus one; stop it with SIGTERM; its output."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=dict(os.environ, **env) if env else None)
    lines, first = [], threading.Event()

    def read():
        for line in p.stdout:
            lines.append(line)
            if "verdicts " in line:
                first.set()
        first.set()

    t = threading.Thread(target=read, daemon=True)
    t.start()
    first.wait(120)
    time.sleep(seconds + 1)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    t.join(timeout=60)
    return "".join(lines)


def verdict_rate(hookpath, cfg, pcap, seconds, prefix, vdevs=(), app_args=(), env=None):
    """Run hookpath (config file cfg) on one worker over pcap replayed without end, plus any
    extra vdevs and application arguments (and environment variables env), for seconds; the
    median of its per-second "verdicts N/s" stats lines."""
    cmd = [hookpath, "--no-huge", "-m", "2048", "--no-pci", "-l", "0,1", "--file-prefix", prefix,
           "--log-level=lib.*:warning", "--vdev", "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap]
    for v in vdevs:
        cmd += ["--vdev", v]
    cmd += ["--", "-c", cfg] + list(app_args)
    out = run_for(cmd, seconds, env)
    rates = [float(m.group(1)) for m in re.finditer(r"verdicts (\d+)/s", out)]
    if len(rates) < 3:
        raise SystemExit("hookpath printed no rates:\n" + out[-2000:])
    return statistics.median(rates[1:-1] if len(rates) > 3 else rates)


def hmac_bound(build):
    exe = os.path.join(build, "tests", "bench", "bench_verify")
    out = subprocess.run([exe, "5", "0.5"], check=True, stdout=subprocess.PIPE, text=True).stdout
    bound, section = None, ""
    for line in out.splitlines():
        if "byte JSON body" in line:
            section = line.split("-")[0]
        m = re.match(r"\s*evp_mac_reinit\s+(\d+)", line)
        if m and section == "1024" and bound is None:
            bound = float(m.group(1))
    return bound, out


def node_rates(reqs):
    node_dir = os.path.join(ROOT, "tests", "bench", "node")
    if not os.path.isdir(os.path.join(node_dir, "node_modules")):
        return None, "tests/bench/node: run `npm install` there for the Node.js reference"
    p = subprocess.run(["node", os.path.join(node_dir, "verify_bench.js"), "--iterations", "20000",
                        "--runs", "5"] + reqs, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    return p.stdout, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--hookpath")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--against")
    ap.add_argument("--rotated-out", type=int, default=0)
    ap.add_argument("--endpoints", type=int, default=1)
    ap.add_argument("--cases", default="stripe:1,stripe:10,standard-webhooks:1,"
                    "standard-webhooks:10")
    a = ap.parse_args()
    hookpath = a.hookpath or os.path.join(a.build, "controlplane", "hookpath")
    cases = []
    for c in a.cases.split(","):
        prov, _, per = c.partition(":")
        if prov not in SECRETS or not per.isdigit() or int(per) < 1:
            ap.error("--cases: %r is not PROVIDER:N (providers: %s)" % (c, ", ".join(SECRETS)))
        cases.append((prov, int(per)))
    if not 0 <= a.rotated_out <= 7:
        ap.error("--rotated-out: 0 to 7 (an endpoint holds at most 8 secrets)")
    if not 1 <= a.endpoints <= 256:
        ap.error("--endpoints: 1 to 256 (endpoints: at most 256)")
    for b in [hookpath] + ([a.against] if a.against else []):
        if not os.access(b, os.X_OK):
            ap.error("not an executable: %s" % b)
    with tempfile.TemporaryDirectory(prefix="hp-bench-verdict-") as tmp:
        bound, bound_out = hmac_bound(a.build)
        print("# HMAC bound (bench_verify, same run):")
        print("\n".join("#   " + l for l in bound_out.splitlines() if l.strip()))
        if a.endpoints > 1:
            print("# %d endpoints: %d others (one host each) listed before the bench's" %
                  (a.endpoints, a.endpoints - 1))
        if a.rotated_out:
            print("# each endpoint lists %d secret(s) before the one its requests are signed "
                  "with" % a.rotated_out)
        results, other, pair, reqfiles = {}, {}, {}, []
        for prov, per in cases:
            pcap, reqs = generate(tmp, prov, a.sessions, per)
            if per == 1:
                reqfiles.append(reqs)
            rates, orates = [], []
            for i in range(a.runs):
                order = [(hookpath, rates)]
                if a.against:
                    order.append((a.against, orates))
                    if i % 2 == 1:
                        order.reverse()
                for j, (b, into) in enumerate(order):
                    into.append(run_hookpath(b, tmp, prov, pcap, a.seconds,
                                             "hp-bench-verdict-%d-%d-%d" % (os.getpid(), i, j),
                                             a.rotated_out, a.endpoints))
            results[(prov, per)] = statistics.median(rates)
            print("# %s, %d request(s) per connection: hookpath runs %s verdicts/s" %
                  (prov, per, ", ".join("%.0f" % r for r in rates)))
            if a.against:
                other[(prov, per)] = statistics.median(orates)
                ratios = [x / y for x, y in zip(rates, orates)]
                pair[(prov, per)] = statistics.median(ratios)
                print("# %s, %d request(s) per connection: --against runs %s verdicts/s" %
                      (prov, per, ", ".join("%.0f" % r for r in orates)))
                print("# %s, %d request(s) per connection: hookpath / --against per pair: %s" %
                      (prov, per, ", ".join("%+.1f%%" % (100 * (x - 1)) for x in ratios)))
        node_out, why = node_rates(reqfiles)
        print()
        print("%-18s %9s %16s %16s %8s" % ("provider", "req/conn", "hookpath /s", "HMAC bound /s",
                                           "ratio") +
              ("  %14s %8s %10s" % ("--against /s", "ratio", "vs against") if a.against else ""))
        for (prov, per), r in results.items():
            line = "%-18s %9d %16.0f %16s %8s" % (prov, per, r, "%.0f" % bound if bound else "?",
                                                  "%.2fx" % (r / bound) if bound else "?")
            if a.against:
                o = other[(prov, per)]
                line += "  %14.0f %8s %+9.1f%%" % (o, "%.2fx" % (o / bound) if bound else "?",
                                                   100 * (pair[(prov, per)] - 1))
            print(line)
        if a.against:
            print("# vs against: median over the runs of hookpath / --against, each pair run "
                  "one after the other")
        print()
        if node_out:
            print("# Node.js, official libraries, same requests (tests/bench/node/verify_bench.js):")
            print("\n".join("#   " + l for l in node_out.splitlines() if l.strip()))
        else:
            print("# " + why)


if __name__ == "__main__":
    sys.exit(main())
