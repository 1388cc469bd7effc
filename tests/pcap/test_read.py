#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""hookpath -r CAPTURE (issue 17, offline analysis like suricata -r): a capture of stripe
webhooks signed and taken a week ago, some with a forged signature, read as it was live.

- the verdicts are those of the time of capture (the wall clock would refuse all as stale):
  the genuine ones accepted, the forged ones refused as bad_signature;
- the same capture as pcapng and as the link types tcpdump writes off Ethernet (Linux SLL
  and SLL2 on "any", BSD NULL on loopback, raw IP) gives exactly the same events (flows,
  requests, verdicts and reasons), where a plain net_pcap port counts them as l3_other and
  inspects nothing;
- packets without IP in such a capture are counted and left out; a link type it does not
  read, a file that is not a capture, EAL options with -r: refused, exit 2;
- a production bridge configuration runs unchanged (tap, one worker, no API socket, no
  state file), and nothing of the analysis is left in /tmp;
- timers run on the capture's time, one packet at a time: the same webhook resent 30 s and
  200 s later (capture time, read in milliseconds) is a duplicate within the replay cache's
  60 s TTL and new after it; a connection silent for 100 s past a 30 s flow timeout is picked
  up again midstream, as it was live."""
import glob
import os
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hp_pcaptest as hp  # noqa: E402

HOST = "hooks.example.com"
SECRET = "whsec_read_test_0123456789"
N = 8


def pcap_records(path):
    """(linktype, [(ts_sec, ts_usec, frame)]) of a classic microsecond pcap."""
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _, _, _, _, lt = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xa1b2c3d4, hex(magic)
    out, off = [], 24
    while off < len(data):
        s, us, cl, _ = struct.unpack("<IIII", data[off:off + 16])
        out.append((s, us, data[off + 16:off + 16 + cl]))
        off += 16 + cl
    return lt, out


def write_records(path, linktype, recs):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype))
        for s, us, frame in recs:
            f.write(struct.pack("<IIII", s, us, len(frame), len(frame)) + frame)


def relink(recs, linktype):
    """Ethernet frames as another link type would carry them."""
    out = []
    for s, us, fr in recs:
        et, ip = fr[12:14], fr[14:]
        if linktype == 113:    # Linux SLL: packet type, ARPHRD, addr len, addr[8], protocol
            hdr = struct.pack(">HHH8s", 0, 1, 6, fr[6:12] + b"\0\0") + et
        elif linktype == 276:  # Linux SLL2: protocol, reserved, ifindex, ARPHRD, type, len, addr
            hdr = et + b"\0\0" + struct.pack(">IHBB8s", 2, 1, 0, 6, fr[6:12] + b"\0\0")
        elif linktype == 0:    # BSD NULL: address family, host order
            hdr = struct.pack("<I", 2 if et == b"\x08\x00" else 10)
        elif linktype == 101:  # raw IP
            hdr = b""
        out.append((s, us, hdr + ip))
    return out


def pcapng(path, recs):
    """The capture as pcapng (one interface, Ethernet, microseconds)."""
    def block(btype, body):
        body += b"\0" * ((4 - len(body) % 4) % 4)
        n = len(body) + 12
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 65535))
    for s, us, fr in recs:
        ts = s * 1000000 + us
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xffffffff, len(fr), len(fr))
                     + fr)
    with open(path, "wb") as f:
        f.write(out)


def moved(recs, dt, port_off):
    """A TCP session's records dt seconds later, its client port moved by port_off (checksums
    made again): another connection carrying the same bytes."""
    from scapy.all import Ether, IP, TCP
    server = Ether(recs[0][2])[TCP].dport  # the first packet is the client's SYN
    out = []
    for s, us, fr in recs:
        p = Ether(fr)
        if p[TCP].sport == server:
            p[TCP].dport += port_off
        else:
            p[TCP].sport += port_off
        del p[IP].chksum
        del p[TCP].chksum
        out.append((s + dt, us, bytes(p)))
    return out


def counter(summary, name):
    """A counter of hookpath's exit summary (non-zero ones are listed), 0 when absent."""
    import re
    m = re.search(r"(?m)^\s+%s\s+(\d+)$" % re.escape(name), summary)
    return int(m.group(1)) if m else 0


class Read(hp.TmpDirCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        week_ago = int(time.time()) - 7 * 86400
        hp.gen(cls.tmp, "webhooks", "-o", "good.pcap", "--provider", "stripe", "--secret",
               SECRET, "--sign-time", str(week_ago), "--start", str(week_ago), "--sessions",
               str(N), "--host", HOST, "--seed", "8", "-q")
        hp.gen(cls.tmp, "webhooks", "-o", "forged.pcap", "--provider", "stripe", "--secret",
               "whsec_not_the_secret_at_all", "--sign-time", str(week_ago), "--start",
               str(week_ago + 10), "--sessions", str(N), "--host", HOST, "--seed", "9",
               "--port", "80", "-q")  # its own flows: another server port
        lt, good = pcap_records(os.path.join(cls.tmp, "good.pcap"))
        _, forged = pcap_records(os.path.join(cls.tmp, "forged.pcap"))
        cls.recs = good + forged
        cls.eth = os.path.join(cls.tmp, "eth.pcap")
        write_records(cls.eth, 1, cls.recs)
        cls.cfg = os.path.join(cls.tmp, "bridge.yaml")
        with open(cls.cfg, "w") as f:  # a production configuration: bridge, API, state
            f.write("dataplane: {mode: bridge, port_pairs: [[0, 1]], workers: 2}\n"
                    "control: {api_socket: /run/hookpath-read-test.sock}\n"
                    "events: {file: %s/ev.jsonl}\n"
                    "endpoints:\n  - {name: s, match: {host: %s}, provider: stripe,"
                    " secrets: [\"%s\"], dedup: {key: none}}\n" % (cls.tmp, HOST, SECRET))

    def read(self, capture, extra=(), expect=0):
        ev = os.path.join(self.tmp, "ev.jsonl")
        if os.path.exists(ev):
            os.unlink(ev)
        before = set(glob.glob("/tmp/hookpath-read-*"))
        p = subprocess.run([hp.HOOKPATH, "-r", capture, "-c", self.cfg] + list(extra),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, expect, p.stdout[-3000:] + p.stderr[-2000:])
        self.assertEqual(set(glob.glob("/tmp/hookpath-read-*")), before, "left in /tmp")
        self.assertFalse(os.path.exists("/run/hookpath-read-test.sock"))
        if expect != 0:
            return p.stdout + p.stderr, None
        return p.stdout, [(e["flow"]["src"], e["flow"]["dst"], e["http"]["uri"],
                           e["http"]["body_len"], e["verdict"], e["reason"])
                          for e in hp.read_events(ev)]

    def tap_cfg(self):
        return ("dataplane: {mode: tap}\nendpoints:\n  - {name: s, match: {host: %s},"
                " provider: stripe, secrets: [\"%s\"], dedup: {key: none}}\n" % (HOST, SECRET))

    def test_capture_time_verdicts(self):
        out, evs = self.read(self.eth)
        self.assertIn("EN10MB, %d packets" % len(self.recs), out)
        verdicts = sorted((e[4], e[5]) for e in evs)
        self.assertEqual(verdicts, [("accept", "ok")] * N + [("reject", "bad_signature")] * N,
                         evs)
        # the same capture on a live port, judged at the wall clock: a week old, all stale
        st, _ = hp.run_hookpath(self.tmp, [self.eth], self.tap_cfg())
        self.assertEqual(st["counters"]["reason_stale_timestamp"], N, st["counters"])
        self.assertEqual(st["counters"]["verdict_accept"], 0)

    def test_plain_port_reads_no_sll(self):
        path = os.path.join(self.tmp, "plain-sll.pcap")
        write_records(path, 113, relink(self.recs, 113))
        st, _ = hp.run_hookpath(self.tmp, [path], self.tap_cfg())
        c = st["counters"]
        self.assertEqual(c["verdict_accept"] + c["verdict_reject"], 0, c)
        self.assertGreater(c["l3_other"], 0, c)

    def test_link_types_and_pcapng(self):
        _, ref = self.read(self.eth)
        for lt, name in ((113, "LINUX_SLL"), (276, "LINUX_SLL2"), (0, "NULL"), (101, "RAW")):
            path = os.path.join(self.tmp, "lt%d.pcap" % lt)
            write_records(path, lt, relink(self.recs, lt))
            with self.subTest(linktype=name):
                out, evs = self.read(path)
                self.assertIn("%s, %d packets, %d read" % (name, len(self.recs),
                                                           len(self.recs)), out)
                self.assertEqual(sorted(evs), sorted(ref))
        ng = os.path.join(self.tmp, "cap.pcapng")
        pcapng(ng, self.recs)
        out, evs = self.read(ng)
        self.assertEqual(sorted(evs), sorted(ref))

    def test_non_ip_left_out(self):
        recs = relink(self.recs, 113)
        arp_like = (recs[0][0], recs[0][1], struct.pack(">HHH8s", 0, 1, 6, b"\0" * 8) +
                    b"\x88\xcc" + b"\0" * 40)  # LLDP over SLL
        path = os.path.join(self.tmp, "mixed.pcap")
        write_records(path, 113, [arp_like] + recs)
        out, evs = self.read(path)
        self.assertIn("%d packets, %d read, 1 without IP left out" % (len(recs) + 1, len(recs)),
                      out)
        self.assertEqual(len(evs), 2 * N)

    def test_timers_on_capture_time(self):
        t0 = int(time.time()) - 7 * 86400
        hp.gen(self.tmp, "webhooks", "-o", "one.pcap", "--provider", "stripe", "--secret",
               SECRET, "--sign-time", str(t0), "--start", str(t0), "--sessions", "1",
               "--host", HOST, "--seed", "21", "-q")
        _, one = pcap_records(os.path.join(self.tmp, "one.pcap"))
        cfg = os.path.join(self.tmp, "timers.yaml")
        with open(cfg, "w") as f:
            f.write("dataplane: {mode: tap, flows: {timeout_established_s: 30}}\n"
                    "events: {file: %s/ev.jsonl}\n"
                    "endpoints:\n  - {name: s, match: {host: %s}, provider: stripe,"
                    " secrets: [\"%s\"], tolerance_s: 0, dedup: {key: \"body:id\", ttl_s: 60}}\n"
                    % (self.tmp, HOST, SECRET))
        # the same webhook at +0, +30 s and +200 s: new, duplicate (within the TTL), new
        path = os.path.join(self.tmp, "resent.pcap")
        write_records(path, 1, one + moved(one, 30, 1000) + moved(one, 200, 2000))
        p = subprocess.run([hp.HOOKPATH, "-r", path, "-c", cfg], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-2000:])
        evs = sorted(hp.read_events(os.path.join(self.tmp, "ev.jsonl")),
                     key=lambda e: e["flow"]["src"])
        self.assertEqual([(e["verdict"], e["reason"]) for e in evs],
                         [("accept", "ok"), ("duplicate", "duplicate"), ("accept", "ok")],
                         evs)
        # a connection whose request comes 100 s after its handshake: the flow timed out
        # at 30 s of capture time, so the request is on a flow picked up midstream
        hs = [r for r in one if len(r[2]) <= 66][:3]  # SYN, SYN-ACK, ACK: no payload
        rest = one[len(hs):]
        path = os.path.join(self.tmp, "silent.pcap")
        write_records(path, 1, hs + moved(rest, 100, 0))
        p = subprocess.run([hp.HOOKPATH, "-r", path, "-c", cfg], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-2000:])
        self.assertEqual(counter(p.stdout, "flows_expired"), 1, p.stdout[-3000:])
        self.assertEqual(counter(p.stdout, "flows_midstream"), 1, p.stdout[-3000:])
        # the same packets 10 s apart: one flow, never expired
        path = os.path.join(self.tmp, "quick.pcap")
        write_records(path, 1, hs + moved(rest, 10, 0))
        p = subprocess.run([hp.HOOKPATH, "-r", path, "-c", cfg], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(counter(p.stdout, "flows_midstream"), 0, p.stdout[-3000:])

    def test_refusals(self):
        bad = os.path.join(self.tmp, "usb.pcap")
        write_records(bad, 189, [(1, 0, b"\0" * 64)])  # USB: not read
        out, _ = self.read(bad, expect=2)
        self.assertIn("link type", out)
        junk = os.path.join(self.tmp, "junk.pcap")
        with open(junk, "w") as f:
            f.write("not a capture\n")
        out, _ = self.read(junk, expect=2)
        self.assertIn("-r %s" % junk, out)
        p = subprocess.run([hp.HOOKPATH, "--no-huge", "-r", self.eth, "-c", self.cfg],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
