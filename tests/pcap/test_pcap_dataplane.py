#!/usr/bin/python3
"""pcap tests of the foundation: hookpath in tap and bridge mode on net_pcap vdevs.

Inputs: the generator's decode cases (pktgen-scripts/hp_pcapgen.py decode-cases, whose
cases.json states what each pcap holds, hand-written in the generator), generated webhook
sessions (tshark is the oracle for what they carry), and the suricata-verify defrag pcaps in
tests/corpus (OISF/suricata-verify, MIT licence; see tests/corpus/README.md).

Asserted: counters by reason, reassembled datagrams, and that the bridge's output is
byte-identical to its input for what is not guarded (fragments as they came, nothing
rewritten), and that a guarded datagram's fragments are held until it is complete.
"""
import collections
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hp_pcaptest as hp  # noqa: E402

CORPUS = os.path.join(hp.ROOT, "tests", "corpus", "suricata-verify", "defrag")

# Hand-checked: the decode_err_* counters each malformed case must raise (and nothing else).
EXPECTED_ERRORS = {
    "bad_ip_csum": {"ipv4_csum": 1},
    "bad_tcp_csum": {"tcp_csum": 1},
    "bad_udp_csum": {"udp_csum": 1},
    "trunc_eth": {"eth_trunc": 1},
    "trunc_ipv4": {"ipv4_trunc": 1},
    "trunc_tcp": {"tcp_trunc": 1},
    "bad_ihl": {"ipv4_hdr_len": 2},          # IHL 4; IHL 15 past the datagram
    "bad_total_len": {"ipv4_total_len": 2},  # longer than the frame; shorter than the header
    "garbage": {"ipv4_version": 4},          # ethertype 0x0800, random bytes
}
# Checksum errors vanish with checksum_validation: false; structural ones do not.
CSUM_CASES = {"bad_ip_csum", "bad_tcp_csum", "bad_udp_csum"}

L3_OF_CLASS = {"arp": "l3_arp", "lldp": "l3_other", "other": "l3_other"}

# No decode case uses this port: with it as the only guarded one, every TCP flow of the cases
# is unguarded, forwarded untouched (the bridge's transparency is what those tests check).
UNGUARDED = "  guard: {ports: [9]}\n"


def decode_errors(st):
    c = st["counters"]
    return {k[len("decode_err_"):]: v for k, v in c.items()
            if k.startswith("decode_err_") and v}


class DecodeCases(hp.TmpDirCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = os.path.join(cls.tmp, "cases")
        hp.gen(cls.tmp, "decode-cases", "-o", cls.dir)
        with open(os.path.join(cls.dir, "cases.json")) as f:
            cls.cases = json.load(f)["cases"]

    def pcap(self, name):
        return os.path.join(self.dir, self.cases[name]["file"])

    def test_every_case_tap(self):
        """Each case alone in tap mode: frames, L3 classes, decode errors by reason, fragments,
        reassembled datagrams."""
        for name, case in self.cases.items():
            if name == "mixed":
                continue
            with self.subTest(case=name):
                st, _ = hp.run_hookpath(self.tmp, [self.pcap(name)], hp.tap_cfg())
                c = st["counters"]
                self.assertEqual(c["rx_packets"], case["frames"])
                self.assertEqual(decode_errors(st), EXPECTED_ERRORS.get(name, {}))
                bad = {m["frame"] for m in case["malformed"] if m["kind"] != "frag_overlap"}
                self.assertEqual(c["decode_errors"], len(bad))
                self.assertEqual(c["malformed_dropped"], len(bad))
                if not bad:
                    ipv4 = sum(v for k, v in case["classes"].items() if k.startswith("ipv4-"))
                    ipv6 = sum(v for k, v in case["classes"].items() if k.startswith("ipv6-"))
                    self.assertEqual(c["l3_ipv4"], ipv4)
                    self.assertEqual(c["l3_ipv6"], ipv6)
                    for cls_name, ctr in L3_OF_CLASS.items():
                        if cls_name in case["classes"]:
                            self.assertEqual(c[ctr], case["classes"][cls_name])
                self.assertEqual(c["defrag_fragments"], case["ip_fragments"])
                # only guarded datagrams (TCP to 8080 here) are reassembled; the others pass
                guarded = case.get("reassembled", {}).get("ipv4-tcp", 0) + \
                    case.get("reassembled", {}).get("ipv6-tcp", 0)
                self.assertEqual(c["defrag_reassembled"], guarded)
                # every complete, valid datagram or packet reaches the inspection hook once,
                # unless it is an unguarded TCP segment (structurally broken frames are classed
                # "malformed" by the generator; frames with a bad checksum keep their IP class)
                complete = sum(v for k, v in case["classes"].items()
                               if k[:5] in ("ipv4-", "ipv6-") and not k.endswith("-frag"))
                bad_csum = sum(1 for m in case["malformed"] if m["kind"].endswith("checksum"))
                self.assertEqual(c["inspect_packets"] + c["tcp_unguarded"],
                                 complete - bad_csum + guarded)

    def test_fragment_outcomes(self):
        """What reassembly does with each fragment case (docs/DEFRAG.md). UDP datagrams are not
        guarded: once their first fragment is seen they pass untouched (held until then, then
        released in arrival order), never reassembled; the TCP one (port 8080) is."""
        expect = {
            # case: (reassembled, passed unguarded, fragments dropped, left at exit)
            "frag4_inorder": (0, 1, 0, 0),
            "frag4_reversed": (0, 1, 0, 0),    # held until the first fragment came
            "frag4_duplicate": (0, 1, 0, 0),
            "frag4_overlap": (0, 1, 0, 0),     # not ours to judge: it is not guarded
            "frag4_incomplete": (0, 1, 0, 0),
            "frag6_inorder": (0, 1, 0, 0),
            "frag6_reversed": (0, 1, 0, 0),
            "frag6_incomplete": (0, 1, 0, 0),
            "frag4_tcp": (1, 0, 0, 0),
            "frag4_vlan": (0, 1, 0, 0),
        }
        for name, (reasm, unguarded, dropped, left) in expect.items():
            with self.subTest(case=name):
                st, _ = hp.run_hookpath(self.tmp, [self.pcap(name)], hp.tap_cfg())
                c = st["counters"]
                self.assertEqual(c["defrag_reassembled"], reasm)
                self.assertEqual(c["defrag_unguarded"], unguarded)
                self.assertEqual(c["defrag_fragments_dropped"], dropped)
                self.assertEqual(c["defrag_incomplete_at_exit"], left)
                self.assertEqual(c["defrag_expired"], 0)

    def tcp_incomplete(self, name, ip_id_delta=0):
        """The frag4_tcp case without its last fragment (a guarded datagram that never
        completes); ip_id_delta makes it another datagram."""
        frames = hp.read_pcap(self.pcap("frag4_tcp"))[3:5]  # 2 of the 3 fragments
        out = []
        for fr in frames:
            fr = bytearray(fr)
            ident = int.from_bytes(fr[18:20], "big") + ip_id_delta
            fr[18:20] = ident.to_bytes(2, "big")
            fr[24:26] = b"\0\0"
            ck = 0
            for i in range(14, 34, 2):
                ck += int.from_bytes(fr[i:i + 2], "big")
            while ck >> 16:
                ck = (ck & 0xffff) + (ck >> 16)
            fr[24:26] = (~ck & 0xffff).to_bytes(2, "big")
            out.append(bytes(fr))
        path = os.path.join(self.tmp, name + ".pcap")
        hp.write_pcap(path, out)
        return path, out

    def test_fragment_timeout(self):
        """A guarded datagram still incomplete after defrag.timeout_ms is dropped with its
        fragments: held, never forwarded (bridge: nothing of it reaches port 1)."""
        path, frames = self.tcp_incomplete("tcp_incomplete")
        cfg = hp.bridge_cfg("  defrag:\n    timeout_ms: 20\n")
        st, out = hp.run_hookpath(self.tmp, [path, None], cfg, idle_ms=400)
        c = st["counters"]
        self.assertEqual(c["defrag_expired"], 1)
        self.assertEqual(c["defrag_fragments_dropped"], 2)
        self.assertEqual(c["defrag_incomplete_at_exit"], 0)
        self.assertEqual(c["defrag_reassembled"], 0)
        self.assertEqual(out[1], [])

    def test_defrag_table_full(self):
        """defrag.max_flows: 1 -> a second datagram evicts the oldest incomplete one (FIFO),
        counted; what is evicted is dropped, never forwarded."""
        a, fa = self.tcp_incomplete("tcp_inc_a")
        b, fb = self.tcp_incomplete("tcp_inc_b", ip_id_delta=7)
        path = os.path.join(self.tmp, "two_incomplete.pcap")
        hp.write_pcap(path, fa + fb)
        st, out = hp.run_hookpath(self.tmp, [path, None],
                                  hp.bridge_cfg("  defrag:\n    max_flows: 1\n"))
        c = st["counters"]
        self.assertEqual(c["defrag_fragments"], 4)
        self.assertEqual(c["defrag_evicted"], 1)
        self.assertEqual(c["defrag_fragments_dropped"], 2)
        self.assertEqual(c["defrag_incomplete_at_exit"], 2)
        self.assertEqual(out[1], [])

    def test_defrag_disabled(self):
        st, out = hp.run_hookpath(self.tmp, [self.pcap("frag4_inorder"), None],
                                  hp.bridge_cfg("  defrag:\n    enabled: false\n"))
        c = st["counters"]
        self.assertEqual(c["defrag_disabled"], 3)
        self.assertEqual(c["defrag_reassembled"], 0)
        self.assertEqual(out[1], hp.read_pcap(self.pcap("frag4_inorder")))

    def test_checksum_validation_off(self):
        """Captures with offloaded checksums: bad checksums are not errors when switched off."""
        cfg = hp.tap_cfg("  checksum_validation: false\n")
        for name, errs in EXPECTED_ERRORS.items():
            with self.subTest(case=name):
                st, _ = hp.run_hookpath(self.tmp, [self.pcap(name)], cfg)
                want = {} if name in CSUM_CASES else errs
                self.assertEqual(decode_errors(st), want)

    def test_bridge_forward_is_byte_identical(self):
        """on_malformed: forward, nothing guarded -> the paired port emits exactly the input,
        in order (fragments included: held until their first fragment says they are not
        guarded, then released in arrival order)."""
        src = self.pcap("mixed")
        st, out = hp.run_hookpath(self.tmp, [src, None],
                                  hp.bridge_cfg("  on_malformed: forward\n" + UNGUARDED))
        frames = hp.read_pcap(src)
        self.assertEqual(out[1], frames)
        self.assertEqual(out[0], [])
        c = st["counters"]
        self.assertEqual(c["tx_packets"], len(frames))
        self.assertEqual(c["malformed_forwarded"], c["decode_errors"])
        self.assertEqual(c["defrag_reassembled"], 0)
        self.assertGreater(c["defrag_unguarded"], 0)
        self.assertGreater(c["tcp_unguarded"], 0)

    def test_bridge_drops_malformed(self):
        """on_malformed: drop (default) -> output = input minus the malformed frames."""
        src = self.pcap("mixed")
        st, out = hp.run_hookpath(self.tmp, [src, None], hp.bridge_cfg(UNGUARDED))
        bad = {m["frame"] for m in self.cases["mixed"]["malformed"]
               if m["kind"] != "frag_overlap"}
        frames = hp.read_pcap(src)
        self.assertEqual(out[1], [f for i, f in enumerate(frames, 1) if i not in bad])
        self.assertEqual(st["counters"]["malformed_dropped"], len(bad))

    def test_bridge_both_directions(self):
        """Port 1's input goes out of port 0 and vice versa."""
        a, b = self.pcap("frag6_reversed"), self.pcap("qinq")
        st, out = hp.run_hookpath(self.tmp, [a, b], hp.bridge_cfg())
        self.assertEqual(out[1], hp.read_pcap(a))
        self.assertEqual(out[0], hp.read_pcap(b))

    def test_two_workers_software_dispatch(self):
        """Two workers on vdevs without RSS: software dispatch hands packets to their flow's
        owner; nothing is lost or changed (compared as multisets: two tx queues)."""
        src = self.pcap("mixed")
        st, out = hp.run_hookpath(self.tmp, [src, None],
                                  hp.bridge_cfg("  on_malformed: forward\n  workers: 2\n" +
                                                UNGUARDED),
                                  workers=2, idle_ms=300)
        self.assertEqual(st["workers"], 2)
        self.assertTrue(st["dispatch"])
        self.assertEqual(collections.Counter(out[1]), collections.Counter(hp.read_pcap(src)))
        c = st["counters"]
        self.assertGreater(c["dispatch_out"], 0)
        self.assertEqual(c["dispatch_out"], c["dispatch_in"])
        self.assertEqual(c["dispatch_ring_full"], 0)
        self.assertEqual(c["defrag_reassembled"], 0)
        self.assertEqual(sum(w["inspect_packets"] for w in st["per_worker"]), c["inspect_packets"])


class Webhooks(hp.TmpDirCase):
    """Generated webhook sessions, checked against tshark."""

    def tshark_tcp_payload(self, path):
        """(TCP segments, payload bytes) as tshark counts them after IP reassembly."""
        out = subprocess.run(["tshark", "-r", path, "-o", "ip.defragment:TRUE",
                              "-o", "ipv6.defragment:TRUE", "-Y", "tcp", "-T", "fields",
                              "-e", "tcp.len"], check=True, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True).stdout.split()
        return len(out), sum(int(x) for x in out)

    def check(self, name, *args):
        path = os.path.join(self.tmp, name + ".pcap")
        hp.gen(self.tmp, "webhooks", "-o", path, "--sessions", "4", *args)
        segs, payload = self.tshark_tcp_payload(path)
        st, out = hp.run_hookpath(self.tmp, [path, None], hp.bridge_cfg())
        c = st["counters"]
        self.assertEqual(out[1], hp.read_pcap(path))
        self.assertEqual(c["decode_errors"], 0)
        self.assertEqual(c["inspect_tcp_payload_bytes"], payload)
        self.assertEqual(c["l4_tcp"], segs)
        return c

    def test_plain(self):
        self.check("plain", "--segments", "3")

    def test_ipv6_vlan(self):
        self.check("v6vlan", "--ipv6", "--vlan", "42")

    def test_ip_fragments(self):
        c = self.check("frag", "--ip-frag", "576", "--body-size", "3000")
        self.assertGreater(c["defrag_reassembled"], 0)

    def test_ipv6_fragments_qinq(self):
        c = self.check("frag6", "--ipv6", "--qinq", "100", "--vlan", "42", "--ip-frag", "600",
                       "--body-size", "2500")
        self.assertGreater(c["defrag_reassembled"], 0)


class Flows(hp.TmpDirCase):
    """TCP flow tracking: creation on SYN, both directions on one flow, state timeouts on the
    timer wheel, eviction when full, midstream pickup on or off."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pcap = os.path.join(cls.tmp, "s100.pcap")
        hp.gen(cls.tmp, "webhooks", "-o", cls.pcap, "--sessions", "100",
               "--requests-per-session", "2", "--interleave")

    @staticmethod
    def without_syn(src, dst):
        """Drop the client SYNs (TCP flags == SYN) of an Ethernet/IPv4 pcap."""
        keep = []
        for fr in hp.read_pcap(src):
            ihl = (fr[14] & 0x0f) * 4
            if fr[23] == 6 and fr[14 + ihl + 13] & 0x12 == 0x02:
                continue
            keep.append(fr)
        hp.write_pcap(dst, keep)
        return keep

    def test_one_flow_per_session(self):
        st, _ = hp.run_hookpath(self.tmp, [self.pcap], hp.tap_cfg())
        c = st["counters"]
        self.assertEqual(c["flows_created"], 100)
        self.assertEqual(c["flows_midstream"], 0)
        self.assertEqual(c["flows_untracked"], 0)
        self.assertEqual(st["flows_active"], 100)  # closed, within timeout_closed_s

    def test_closed_flows_expire(self):
        cfg = hp.tap_cfg("  flows:\n    timeout_closed_s: 1\n")
        st, _ = hp.run_hookpath(self.tmp, [self.pcap], cfg, idle_ms=1600)
        self.assertEqual(st["counters"]["flows_expired"], 100)
        self.assertEqual(st["flows_active"], 0)

    def test_eviction_when_full(self):
        cfg = hp.tap_cfg("  flows:\n    max: 64\n")
        st, _ = hp.run_hookpath(self.tmp, [self.pcap], cfg)
        c = st["counters"]
        self.assertEqual(st["flows_active"], 64)
        self.assertEqual(c["flows_created"] - c["flows_evicted"], 64)
        self.assertGreaterEqual(c["flows_evicted"], 36)

    def test_both_directions_one_flow_two_workers(self):
        """Client frames on port 0, server frames on port 1, two workers with software
        dispatch: each connection is one flow (a direction landing on the other worker would
        create a second, midstream one)."""
        frames = hp.read_pcap(self.pcap)
        to_server = [f for f in frames if f[26:28] == bytes([198, 18])]
        to_client = [f for f in frames if f[26:28] == bytes([198, 19])]
        self.assertEqual(len(to_server) + len(to_client), len(frames))
        a, b = os.path.join(self.tmp, "c2s.pcap"), os.path.join(self.tmp, "s2c.pcap")
        hp.write_pcap(a, to_server)
        hp.write_pcap(b, to_client)
        st, out = hp.run_hookpath(self.tmp, [a, b], hp.bridge_cfg("  workers: 2\n"),
                                  workers=2, idle_ms=300)
        c = st["counters"]
        self.assertTrue(st["dispatch"])
        self.assertEqual(c["flows_created"], 100)
        self.assertEqual(st["flows_active"], 100)
        self.assertEqual(collections.Counter(out[1]), collections.Counter(to_server))
        self.assertEqual(collections.Counter(out[0]), collections.Counter(to_client))

    def test_midstream(self):
        path = os.path.join(self.tmp, "nosyn.pcap")
        self.without_syn(self.pcap, path)
        st, _ = hp.run_hookpath(self.tmp, [path], hp.tap_cfg())
        self.assertEqual(st["counters"]["flows_created"], 100)
        self.assertEqual(st["counters"]["flows_midstream"], 100)
        st, _ = hp.run_hookpath(self.tmp, [path],
                                hp.tap_cfg("  flows:\n    midstream: false\n"))
        c = st["counters"]
        self.assertEqual(c["flows_created"], 0)
        self.assertEqual(c["flows_untracked"], c["l4_tcp"])


class SuricataVerifyDefrag(unittest.TestCase):
    """suricata-verify defrag/bug-6887-*: an IPv4 TCP SYN cut in 8-byte fragments (one pcap
    raw IPv4, one Ethernet + VLAN). Suricata expects one alert on the reassembled SYN; we
    expect one reassembled datagram, a TCP one, that reaches inspection."""

    def test_defrag_pcaps(self):
        with tempfile.TemporaryDirectory(prefix="hp-sv-") as tmp:
            for d in sorted(os.listdir(CORPUS)):
                for fn in os.listdir(os.path.join(CORPUS, d)):
                    if not fn.endswith(".pcap"):
                        continue
                    path = os.path.join(CORPUS, d, fn)
                    with self.subTest(pcap=d):
                        if hp.pcap_linktype(path) != 1:  # LINKTYPE_IPV4 (228) / RAW
                            eth = os.path.join(tmp, d + ".pcap")
                            hp.raw_ip_to_ethernet(path, eth)
                            path = eth
                        st, _ = hp.run_hookpath(tmp, [path], hp.tap_cfg())
                        c = st["counters"]
                        self.assertEqual(c["defrag_fragments"], 3)
                        self.assertEqual(c["defrag_reassembled"], 1)
                        self.assertEqual(c["defrag_decode_err"], 0)
                        self.assertEqual(c["inspect_packets"], 1)
                        self.assertEqual(c["decode_errors"], 0)


@unittest.skipUnless(os.path.exists("/usr/bin/valgrind"), "valgrind not installed")
class MemCheck(unittest.TestCase):
    """A bridge run over every decode case under valgrind: no invalid access, no leak
    (DPDK's own plugin constructors suppressed: tests/pcap/dpdk.supp)."""

    def test_valgrind_bridge(self):
        with tempfile.TemporaryDirectory(prefix="hp-vg-") as tmp:
            hp.gen(tmp, "decode-cases", "-o", os.path.join(tmp, "cases"))
            supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dpdk.supp")
            st, out = hp.run_hookpath(
                tmp, [os.path.join(tmp, "cases", "mixed.pcap"), None],
                hp.bridge_cfg("  on_malformed: forward\n"), idle_ms=1500,
                wrapper=["valgrind", "--error-exitcode=99", "--leak-check=full",
                         "--errors-for-leak-kinds=definite,indirect",
                         "--suppressions=" + supp, "-q"])
            self.assertEqual(st["counters"]["rx_packets"], len(out[1]))


class OtherVdevs(unittest.TestCase):
    """hookpath on net_ring and net_null vdevs: starts, forwards (net_null generates frames),
    stops cleanly on SIGTERM with exit code 0 and complete counters."""

    def run_for(self, vdevs, seconds=1.5):
        import signal
        import time
        with tempfile.TemporaryDirectory(prefix="hp-vdev-") as tmp:
            cfg = os.path.join(tmp, "c.yaml")
            with open(cfg, "w") as f:
                f.write(hp.bridge_cfg())
            stats = os.path.join(tmp, "s.json")
            cmd = [hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "-l", "0,1",
                   "--file-prefix", "hp-vdev-%d" % os.getpid(), "--log-level=lib.*:warning"]
            for v in vdevs:
                cmd += ["--vdev", v]
            cmd += ["--", "-c", cfg, "--stats-file", stats]
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
            # the seconds count from the worker's start (its warm-up line), not from the
            # process's: on a loaded machine the start alone can take longer than them
            lines = []
            for line in p.stdout:
                lines.append(line)
                if "warmed up" in line or len(lines) > 200:
                    break
            time.sleep(seconds)
            p.send_signal(signal.SIGTERM)
            out, _ = p.communicate(timeout=30)
            out = "".join(lines) + out
            self.assertEqual(p.returncode, 0, out)
            self.assertIn("Terminated, stopped", out)
            with open(stats) as f:
                return json.load(f)

    def test_net_null(self):
        st = self.run_for(["net_null0,size=64", "net_null1,size=64"])
        c = st["counters"]
        self.assertGreater(c["rx_packets"], 1000)
        # every frame received was sent or dropped for a counted reason
        self.assertEqual(c["rx_packets"], c["tx_packets"] + c["tx_drop_full"] +
                         c["malformed_dropped"])
        self.assertEqual(c["l3_other"], c["rx_packets"])  # zero-filled frames are not IP

    def test_net_ring(self):
        st = self.run_for(["net_ring0", "net_ring1"])
        self.assertEqual([p["name"] for p in st["ports"]], ["net_ring0", "net_ring1"])
        self.assertEqual(st["counters"]["decode_errors"], 0)


class IdleExit(unittest.TestCase):
    """--exit-idle-ms counts the idle time the worker saw: a worker blocked in a system call is
    not idle. Here net_pcap's tx writes into a pipe whose reader stops for four times the idle
    time: the worker blocks in the write, nothing is received meanwhile, and yet every frame
    of the capture is read and every request gets its verdict. (One CI run of
    sinks/replay_global lost 52 of 60 requests so: the control thread saw no rx for 400 ms and
    stopped the process while its worker was stalled.)"""

    def test_stalled_worker_is_not_idle(self):
        import threading
        import time
        with tempfile.TemporaryDirectory(prefix="hp-idle-") as tmp:
            pcap, man = os.path.join(tmp, "wh.pcap"), os.path.join(tmp, "wh.json")
            hp.gen(tmp, "webhooks", "-o", pcap, "--manifest", man, "--sessions", "200",
                   "--provider", "github", "--secret", "s3cret", "--cases", "valid",
                   "--host", "h.example.com", "--seed", "7",
                   "--sign-time", str(int(time.time())))
            frames = len(hp.read_pcap(pcap))
            empty, fifo = os.path.join(tmp, "empty.pcap"), os.path.join(tmp, "out.fifo")
            hp.write_pcap(empty, [])
            os.mkfifo(fifo)
            got = []

            def reader():  # a pipe buffer's worth, the stall, then the rest
                with open(fifo, "rb") as f:
                    got.append(len(f.read(65536)))
                    time.sleep(1.2)
                    got.append(len(f.read()))
            t = threading.Thread(target=reader, daemon=True)
            t.start()
            events = os.path.join(tmp, "ev.jsonl")
            cfg = os.path.join(tmp, "c.yaml")
            with open(cfg, "w") as f:
                f.write(hp.bridge_cfg("events: {file: %s}\nendpoints:\n  - name: gh\n"
                                      "    match: {host: h.example.com}\n    provider: github\n"
                                      "    secrets: [s3cret]\n" % events))
            stats = os.path.join(tmp, "s.json")
            cmd = [hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--lcores", "0@0,1@1",
                   "--file-prefix", "hp-idle-%d" % os.getpid(), "--log-level=lib.*:warning",
                   "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (
                       pcap, os.path.join(tmp, "p0.pcap")),
                   "--vdev", "net_pcap1,rx_pcap=%s,tx_pcap=%s" % (empty, fifo),
                   "--", "-c", cfg, "--exit-idle-ms", "300", "--stats-file", stats]
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=120)
            t.join(30)
            self.assertEqual(p.returncode, 0, p.stdout[-3000:])
            self.assertIn("rx idle for 300 ms, stopping", p.stdout)
            with open(stats) as f:
                st = json.load(f)
            c = st["counters"]
            self.assertEqual(c["rx_packets"], frames)
            self.assertEqual(c["verdict_accept"], 200)
            self.assertEqual(len(hp.read_events(events)), 200)
            # the stall was real: the worker's writes had filled the pipe before it
            self.assertGreater(sum(got), 2 * 65536, got)
            # and the worker says so: one pass of its loop took most of the reader's pause
            self.assertGreater(st["per_worker"][0]["longest_pass_ms"], 500, st["per_worker"])


class ConfigErrors(unittest.TestCase):
    """System-dependent config errors are refused with exit code 2 and name the key."""

    def test_missing_port_and_workers(self):
        with tempfile.TemporaryDirectory(prefix="hp-cfg-") as tmp:
            out, _ = hp.run_hookpath(tmp, [None, None],
                                     "dataplane:\n  mode: bridge\n  port_pairs: [[0, 3]]\n",
                                     expect_rc=2)
            self.assertIn("dataplane.port_pairs[0]: port 3 does not exist", out)
            out, _ = hp.run_hookpath(tmp, [None, None], hp.bridge_cfg("  workers: 5\n"),
                                     expect_rc=2)
            self.assertIn("dataplane.workers: 5 workers but only 1 worker lcore", out)
            out, _ = hp.run_hookpath(tmp, [None, None], hp.bridge_cfg("  mtu: 99999\n"),
                                     expect_rc=2)
            self.assertIn("dataplane.mtu", out)
            out, _ = hp.run_hookpath(tmp, [None, None], hp.bridge_cfg(),
                                     extra_args=["--check-config"])
            self.assertIn("configuration OK", out)


if __name__ == "__main__":
    hp.main()
