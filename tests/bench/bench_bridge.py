#!/usr/bin/python3
"""Bridge forwarding benchmark: hookpath vs dpdk-testpmd io forwarding, same vdevs, same run.

Prints figures, never passes or fails on them (DESIGN §7). For each setup and frame size it
runs each tool RUNS times for SECONDS, takes the median rate, and prints the ratio.

Setups:
  null     net_null0 <-> net_null1: both ports generate frames (zero-filled: not IP, so hookpath
           decodes Ethernet only). The I/O ceiling: what the loop itself costs.
  pcap     net_pcap0 (infinite_rx over 4096 TCP webhook data segments from
           pktgen-scripts/hp_pcapgen.py flood; frame sizes count the FCS) <-> net_null1: port 0
           frames are real IPv4/TCP, decoded and checksum-validated in software by hookpath;
           rates are given for port 0 -> port 1 and in total. net_null writes nothing into
           the mbufs it receives: port 1's frames are whatever the recycled mbufs held, here
           copies of port 0's TCP frames (for both tools alike).
  nocsum   as pcap, with checksum_validation: false: what hookpath costs on a NIC that
           validates checksums itself (rx checksum offload), which vdevs cannot.

References: testpmd io (the I/O ceiling: never reads a packet byte), and, for context,
testpmd macswap (reads and writes each Ethernet header) and csum (parses L2-L4 and computes
checksums in software, as hookpath does when checksum_validation is on and the NIC cannot).

Both tools get one forwarding lcore (-l 0,1: lcore 0 is testpmd's main / hookpath's control
thread, lcore 1 forwards).

Usage: tests/bench/bench_bridge.py [--hookpath PATH] [--runs N] [--seconds S] [--sizes 64,1024]
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EAL = ["--no-huge", "-m", "1024", "--no-pci", "-l", "0,1", "--log-level=lib.*:warning"]


def make_pcap(path, size, count=4096):
    """Webhook POST data segments (IPv4/TCP) of `size` bytes on the wire (FCS included, as
    RFC 2544 counts), 256 flows, written by the project's generator."""
    gen = os.path.join(ROOT, "pktgen-scripts", "hp_pcapgen.py")
    subprocess.run(["/usr/bin/python3", gen, "flood", "-q", "-o", path, "--count", str(count),
                    "--size", str(size), "--proto", "tcp", "--flows", "256"], check=True)


def vdevs(setup, size, pcap):
    if setup == "null":
        return ["--vdev", "net_null0,size=%d" % size, "--vdev", "net_null1,size=%d" % size]
    return ["--vdev", "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap,
            "--vdev", "net_null1,size=%d" % size]


def run_testpmd(setup, size, pcap, seconds, prefix, mode="io"):
    cmd = ["dpdk-testpmd"] + EAL + ["--file-prefix", prefix] + vdevs(setup, size, pcap) + [
        "--", "-i", "--forward-mode=" + mode, "--total-num-mbufs=32768", "--burst=32"]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        def send(s):
            p.stdin.write(s + "\n")
            p.stdin.flush()
        time.sleep(2)
        send("start")
        time.sleep(1)
        send("clear port stats all")
        t0 = time.time()
        time.sleep(seconds)
        send("show port stats all")
        send("stop")
        dt = time.time() - t0
        send("quit")
        out, _ = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    # first "show port stats" block after the clear: RX-packets per port
    rx = [int(x) for x in re.findall(r"RX-packets:\s+(\d+)\s+RX-missed", out)]
    if len(rx) < 2:
        raise RuntimeError("testpmd output not understood:\n" + out[-2000:])
    return rx[0] / dt, (rx[0] + rx[1]) / dt


def run_hookpath(hookpath, setup, size, pcap, seconds, prefix, tmp):
    cfg = os.path.join(tmp, "bench.yaml")
    with open(cfg, "w") as f:
        f.write("dataplane:\n  mode: bridge\n  port_pairs: [[0, 1]]\n  burst: 32\n"
                "  mbufs: 32768\n  checksum_validation: %s\ncontrol:\n  stats_interval_s: 1\n"
                % ("false" if setup == "nocsum" else "true"))
    stats = os.path.join(tmp, "stats.json")
    cmd = [hookpath] + EAL + ["--file-prefix", prefix] + vdevs(setup, size, pcap) + [
        "--", "-c", cfg, "--stats-file", stats]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    t_end = time.time() + seconds + 3
    while time.time() < t_end:
        line = p.stdout.readline()
        if not line:
            break
        if line.startswith("stats:"):
            lines.append(line)
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=30)
    import json
    with open(stats) as f:
        st = json.load(f)
    # periodic lines give total rx pps; skip the first (warm-up) one
    rates = [float(re.search(r"rx (\d+) pps", x).group(1)) for x in lines[1:]]
    if not rates:
        raise RuntimeError("hookpath printed no stats line:\n" + out[-2000:])
    total = statistics.median(rates)
    ports = {pt["port"]: pt for pt in st["ports"]}
    share0 = ports[0]["rx_packets"] / max(1, ports[0]["rx_packets"] + ports[1]["rx_packets"])
    return total * share0, total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hookpath", default=os.path.join(ROOT, "build/controlplane/hookpath"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--sizes", default="64,1024")
    ap.add_argument("--setups", default="null,pcap,nocsum")
    ap.add_argument("--no-extra-refs", dest="extra_refs", action="store_false",
                    help="skip the testpmd macswap and csum references (io only)")
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    print("bridge forwarding, 1 worker lcore, median of %d runs x %d s (Mpps)" %
          (a.runs, a.seconds))
    print("%-6s %6s | %-22s | %-22s | %-18s | %-24s" % (
        "setup", "frame", "testpmd io (p0->p1 / all)", "hookpath (p0->p1 / all)",
        "ratio to io, all (p0->p1)", "testpmd all: macswap / csum -> hookpath ratio"))
    with tempfile.TemporaryDirectory() as tmp:
        for setup in a.setups.split(","):
            for size in sizes:
                pcap = os.path.join(tmp, "frames%d.pcap" % size)
                if setup != "null" and not os.path.exists(pcap):
                    make_pcap(pcap, size)
                t, h, ms, cs = [], [], [], []
                for r in range(a.runs):
                    t.append(run_testpmd(setup, size, pcap, a.seconds, "bench-tp%d" % r))
                    h.append(run_hookpath(a.hookpath, setup, size, pcap, a.seconds,
                                          "bench-hp%d" % r, tmp))
                    if a.extra_refs:
                        ms.append(run_testpmd(setup, size, pcap, a.seconds, "bench-ms%d" % r,
                                              "macswap"))
                        cs.append(run_testpmd(setup, size, pcap, a.seconds, "bench-cs%d" % r,
                                              "csum"))
                t0 = statistics.median(x[0] for x in t) / 1e6
                ta = statistics.median(x[1] for x in t) / 1e6
                h0 = statistics.median(x[0] for x in h) / 1e6
                ha = statistics.median(x[1] for x in h) / 1e6
                refs = ""
                if a.extra_refs:
                    ma = statistics.median(x[1] for x in ms) / 1e6
                    ca = statistics.median(x[1] for x in cs) / 1e6
                    refs = "%6.2f / %6.2f -> %.2fx / %.2fx" % (ma, ca, ha / ma, ha / ca)
                print("%-6s %6d | %9.2f / %9.2f   | %9.2f / %9.2f   | %.2fx (%.2fx)%9s| %s" %
                      (setup, size, t0, ta, h0, ha, ha / ta, h0 / t0 if t0 else 0, "", refs))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
