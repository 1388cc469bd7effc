"""Shared helpers for the pcap tests: run hookpath on net_pcap vdevs, read pcaps.

hookpath runs with --no-huge, a file prefix of its own per run, and --exit-idle-ms so it stops
by itself once the input pcaps are consumed; its counters come back from --stats-file.
"""
import http.client
import itertools
import json
import re
import os
import socket
import struct
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOOKPATH = os.environ.get("HOOKPATH", os.path.join(ROOT, "build", "controlplane", "hookpath"))
PCAPGEN = os.path.join(ROOT, "pktgen-scripts", "hp_pcapgen.py")
PYTHON = "/usr/bin/python3"  # Debian's, with scapy
_run_ids = itertools.count()


class UnixConn(http.client.HTTPConnection):
    """HTTP over hookpath's API Unix socket (control.api_socket)."""

    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def api(sock, method, path, body=None):
    """One request on the API socket: (status, decoded JSON body, or the text if not JSON).
    Every answer is checked against docs/openapi.yaml (tests/api/openapi_check.py)."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
    import openapi_check
    c = UnixConn(sock)
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    text = r.read().decode()
    c.close()
    try:
        doc = json.loads(text)
    except ValueError:
        doc = text
    openapi_check.check(method, path, r.status, doc)
    return r.status, doc


def start_live(cfg, pcap, prefix, sock, infinite=True, env=None):
    """hookpath on one net_pcap port (replayed without end by default), running until the
    caller stops it; returns the process once its API socket is there."""
    import time
    p = subprocess.Popen(
        [HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--lcores", "0@0,1@1",
         "--file-prefix", prefix, "--log-level=lib.*:warning",
         "--vdev", "net_pcap0,rx_pcap=%s%s" % (pcap, ",infinite_rx=1" if infinite else ""),
         "--", "-c", cfg], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=env)
    # up to 60 s: a start reads and checks the sinks' spools before it opens the socket (a
    # test that keeps Redis down spools hundreds of MB), slower on a loaded machine
    for _ in range(1200):
        if os.path.exists(sock):
            return p
        if p.poll() is not None:
            raise AssertionError("hookpath exited: " + p.stdout.read()[-2000:])
        time.sleep(0.05)
    p.kill()
    raise AssertionError("hookpath did not open its API socket " + sock)


def read_pcap(path):
    """Frames of a classic pcap file as a list of bytes (any link type)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: not a pcap" % path)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError("%s: unknown pcap magic %r" % (path, magic))
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        frames.append(data[off:off + incl])
        off += incl
    return frames


def pcap_linktype(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
    endian = "<" if hdr[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    return struct.unpack(endian + "I", hdr[20:24])[0]


def write_pcap(path, frames, linktype=1):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)))
            f.write(fr)


def raw_ip_to_ethernet(src, dst):
    """Rewrite a LINKTYPE_RAW/IPV4/IPV6 or NULL (BSD loopback) pcap as Ethernet (hookpath
    decodes from L2)."""
    out = []
    strip = 4 if pcap_linktype(src) == 0 else 0
    for fr in read_pcap(src):
        fr = fr[strip:]
        etype = b"\x86\xdd" if fr and fr[0] >> 4 == 6 else b"\x08\x00"
        out.append(b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + etype + fr)
    write_pcap(dst, out)


def as_ethernet(tmp, path):
    """path itself if it is an Ethernet pcap, else an Ethernet copy in tmp."""
    if pcap_linktype(path) == 1:
        return path
    dst = os.path.join(tmp, "eth-%d-%s" % (next(_run_ids), os.path.basename(path)))
    raw_ip_to_ethernet(path, dst)
    return dst


def gen(tmp, *args):
    """Run the generator (pktgen-scripts/hp_pcapgen.py) with args."""
    subprocess.run([PYTHON, PCAPGEN] + list(args), check=True, cwd=tmp,
                   stdout=subprocess.DEVNULL)


def run_hookpath(tmp, rx_pcaps, config, workers=1, idle_ms=150, expect_rc=0, extra_args=(),
                 wrapper=(), log=None):
    """Run hookpath over one pcap per port; returns (stats dict, [output frames per port]).
    log: a list its output (stdout and stderr) is appended to.

    rx_pcaps: list of pcap paths (None = an empty pcap) for ports 0..n-1.
    config: YAML text. workers > 1 oversubscribes the 2 cores here with --lcores, and gives
    every port one tx_pcap per worker (net_pcap's tx queues); outputs are concatenated.
    """
    rid = next(_run_ids)
    empty = os.path.join(tmp, "empty.pcap")
    if not os.path.exists(empty):
        write_pcap(empty, [])
    cfg = os.path.join(tmp, "run%d.yaml" % rid)
    with open(cfg, "w") as f:
        f.write(config)
    stats = os.path.join(tmp, "run%d.json" % rid)
    # this run's EAL runtime directory starts empty: hookpath keeps its replay snapshot there
    # across runs, and an older process that had the same pid (a machine that ran many tests)
    # would otherwise hand this run its replay cache
    import shutil
    shutil.rmtree("/var/run/dpdk/hp-pcaptest-%d-%d" % (os.getpid(), rid), ignore_errors=True)
    lcores = ",".join(["0@0"] + ["%d@%d" % (i + 1, 1) for i in range(workers)])
    cmd = list(wrapper) + [HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--lcores", lcores,
           "--file-prefix", "hp-pcaptest-%d-%d" % (os.getpid(), rid),
           "--log-level=lib.*:warning"]
    outs = []
    for port, rx in enumerate(rx_pcaps):
        txs = [os.path.join(tmp, "run%d-p%d-q%d.pcap" % (rid, port, q)) for q in range(workers)]
        outs.append(txs)
        cmd += ["--vdev", "net_pcap%d,rx_pcap=%s,%s" % (
            port, rx or empty, ",".join("tx_pcap=" + t for t in txs))]
    cmd += ["--", "-c", cfg, "--exit-idle-ms", str(idle_ms), "--stats-file", stats]
    cmd += list(extra_args)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=300)
    if log is not None:
        log.append(p.stdout)
    if p.returncode != expect_rc:
        raise AssertionError("hookpath exited %d (expected %d):\n%s" %
                             (p.returncode, expect_rc, p.stdout[-3000:]))
    if expect_rc != 0 or "--check-config" in extra_args:
        return p.stdout, None
    with open(stats) as f:
        st = json.load(f)
    frames = []
    for txs in outs:
        fr = []
        for t in txs:
            fr += read_pcap(t)
        frames.append(fr)
    return st, frames


_EVENT_VALIDATOR = None


def event_validator():
    """docs/events.schema.json as a validator (python3-jsonschema), made once."""
    global _EVENT_VALIDATOR
    if _EVENT_VALIDATOR is None:
        import jsonschema
        with open(os.path.join(ROOT, "docs", "events.schema.json")) as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        _EVENT_VALIDATOR = jsonschema.Draft202012Validator(schema)
    return _EVENT_VALIDATOR


def check_event(ev, where="event"):
    """An event against docs/events.schema.json: AssertionError naming what breaks it."""
    errors = sorted(event_validator().iter_errors(ev), key=lambda e: list(e.path))
    if errors:
        raise AssertionError("%s does not follow docs/events.schema.json: %s at %s\n%s" % (
            where, errors[0].message, "/".join(map(str, errors[0].path)) or "(top)",
            json.dumps(ev)[:2000]))
    return ev


def read_events(path):
    """The events JSON lines file hookpath wrote, every line checked against the events'
    schema (docs/events.schema.json)."""
    with open(path) as f:
        return [check_event(json.loads(line), "%s line %d" % (path, i + 1))
                for i, line in enumerate(f) if line.strip()]


def tshark(pcap, fields, display_filter):
    """Rows of fields (lists of strings) of the frames display_filter selects. Checksum
    validation is on: without it tshark leaves every checksum "unverified" and a filter on
    tcp.checksum.status == 0 (bad) could never match."""
    out = subprocess.run(["tshark", "-r", pcap, "-o", "tcp.check_checksum:TRUE",
                          "-o", "ip.check_checksum:TRUE", "-Y", display_filter, "-T", "fields"] +
                         sum((["-e", f] for f in fields), []) + ["-E", "separator=|"],
                         check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


def bridge_cfg(extra=""):
    return "dataplane:\n  mode: bridge\n  port_pairs: [[0, 1]]\n" + extra


def tap_cfg(extra=""):
    return "dataplane:\n  mode: tap\n" + extra


class TmpDirCase(unittest.TestCase):
    """A test class with one temporary directory (cls.tmp) for all its tests."""

    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.TemporaryDirectory(prefix="hp-%s-" % cls.__name__.lower())
        cls.tmp = cls.tmpdir.name

    @classmethod
    def tearDownClass(cls):
        cls.tmpdir.cleanup()


def tcp_frame(src, dst, flags, seq, ack, payload=b""):
    """One Ethernet/IPv4/TCP frame (scapy); src/dst are (address, port)."""
    from scapy.all import Ether, IP, TCP, Raw
    p = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
         IP(src=src[0], dst=dst[0]) / TCP(sport=src[1], dport=dst[1], flags=flags,
                                         seq=seq & 0xffffffff, ack=ack & 0xffffffff))
    return p / Raw(payload) if payload else p


def write_frames(tmp, name, pkts):
    """Write scapy packets to tmp/name.pcap; returns the path."""
    from scapy.all import wrpcap
    path = os.path.join(tmp, name + ".pcap")
    wrpcap(path, pkts)
    return path


def client_streams(frames, port=8080):
    """client "ip:port" -> (first seq seen, bytes of the client->server stream as far as it is
    contiguous from the lowest sequence number seen, rst seqs)."""
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether
    segs, rsts = {}, {}
    for fr in frames:
        p = Ether(fr)
        if IP not in p or TCP not in p or p[TCP].dport != port:
            continue
        key = "%s:%d" % (p[IP].src, p[TCP].sport)
        t = p[TCP]
        if t.flags & 0x04:
            rsts.setdefault(key, []).append(t.seq)
            continue
        seq = t.seq + (1 if t.flags & 0x02 else 0)
        data = bytes(t.payload)
        if data:
            segs.setdefault(key, {})[seq] = data
    out = {}
    for key, d in segs.items():
        base = min(d)
        buf = bytearray()
        for seq in sorted(d):
            off = (seq - base) & 0xffffffff
            if off > len(buf):
                break  # a hole: the rest never arrived
            buf[off:off + len(d[seq])] = d[seq]
        out[key] = (base, bytes(buf))
    return out, rsts


def bodies(stream):
    """The bodies of the HTTP requests in a client stream (Content-Length framing)."""
    res, off = [], 0
    while True:
        end = stream.find(b"\r\n\r\n", off)
        if end < 0:
            return res
        head = stream[off:end].decode("latin-1")
        m = re.search(r"(?im)^content-length:\s*(\d+)", head)
        n = int(m.group(1)) if m else 0
        res.append(stream[end + 4:end + 4 + n])
        off = end + 4 + n


def main():
    """Run the calling module's tests; print the closing 'N passed, N failed' line."""
    prog = unittest.main(module="__main__", exit=False, verbosity=2)
    r = prog.result
    print("%d passed, %d failed" % (r.testsRun - len(r.failures) - len(r.errors),
                                    len(r.failures) + len(r.errors)))
    sys.exit(0 if r.wasSuccessful() else 1)
