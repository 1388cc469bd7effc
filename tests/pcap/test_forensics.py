#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Forensic captures of refused requests (forensics.*) and dpdk-dumpcap (forensics.pdump).

Generated GitHub webhooks (valid, tampered, replayed, unsigned, malformed signature, unrouted,
oversized) go through hookpath in tap and bridge mode with forensics.pcapng set; tshark reads
the capture:

- exactly the refused requests are in it (reject and duplicate), one TCP connection each with
  the flow's addresses and ports, good IP and TCP checksums, decoded as HTTP with the method,
  URI and body bytes that were sent; every frame's comment names the verdict, the reason, the
  endpoint and the delivery id; accepted requests are not in it;
- the file is mode 0600;
- rotation at forensics.max_file_bytes keeps forensics.max_files files;
- forensics.max_request_bytes cuts requests and counts them (forensics_truncated);
- a ring of one slot overflows: forensics_dropped counts what was not captured, and the
  verdicts and what the servers get (bridge) are the same as without captures;
- bad forensics.* keys are refused naming the key;
- pdump: rte_pdump_init ran (logged); on hugepages (as root, the test reserves 170 and mounts a
  hugetlbfs for itself where none are, given back after), dpdk-dumpcap attaches to a
  running hookpath and captures its packets (skipped, with the reason, elsewhere).
"""
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hp_pcaptest as hp  # noqa: E402

HOST = "hooks.example.com"
SECRET = "It's a Secret to Everybody"
CASES = "valid,tampered,replayed,missing_signature,malformed_signature,unrouted,too_large"
ENDPOINT = ("endpoints:\n"
            "  - name: ep-github\n"
            "    match: {host: %s, path_prefix: /hooks}\n"
            "    provider: github\n"
            "    secrets: [%s]\n"
            "    max_body: 4096\n" % (HOST, json.dumps(SECRET)))
REFUSED = ("reject", "duplicate")


def forensic_requests(path, whole=False):
    """The HTTP requests tshark decodes in a capture: client "ip:port" -> list of
    (method, uri, comment, body bytes). A request cut short (forensics.max_request_bytes, or
    refused before its body ended) never completes its Content-Length: its head is decoded
    with HTTP body reassembly off, as docs/SECURITY.md tells an analyst; whole: reassembly on
    (only the complete requests, with their bodies)."""
    fields = ["ip.src", "ipv6.src", "tcp.srcport", "http.request.method", "http.request.uri",
              "frame.comment", "http.file_data"]
    out = subprocess.run(["tshark", "-r", path, "-o", "http.desegment_body:%s" %
                          ("TRUE" if whole else "FALSE"), "-Y", "http.request", "-T", "fields"] +
                         sum((["-e", f] for f in fields), []) + ["-E", "separator=|"],
                         check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True).stdout
    res = {}
    for line in out.splitlines():
        src4, src6, port, method, uri, comment, body = line.split("|", 6)
        src = ("[%s]" % src6) if src6 else src4
        res.setdefault("%s:%s" % (src, port), []).append((method, uri, comment, body))
    return res


def body_bytes(field):
    """http.file_data as tshark 4.0 prints it: the bytes as text, or hex with colons."""
    if re.fullmatch(r"([0-9a-f]{2}:)*[0-9a-f]{2}", field):
        return bytes.fromhex(field.replace(":", ""))
    return field.encode("latin-1")


class Forensics(hp.TmpDirCase):

    def generate(self, name, sessions=14, body=700, extra=()):
        pcap = os.path.join(self.tmp, name + ".pcap")
        manifest = os.path.join(self.tmp, name + ".json")
        hp.gen(self.tmp, "webhooks", "-o", pcap, "--manifest", manifest, "--sessions",
               str(sessions), "--provider", "github", "--secret", SECRET, "--cases", CASES,
               "--max-body", "4096", "--body-size", str(body), "--host", HOST,
               "--sign-time", str(int(time.time())), *extra)
        with open(manifest) as f:
            return pcap, json.load(f)

    def run_mode(self, mode, pcap, name, forensics, events=True, clean=True):
        cap = os.path.join(self.tmp, name + ".pcapng")
        evf = os.path.join(self.tmp, name + ".jsonl")
        for f in os.listdir(self.tmp):
            if (clean and f.startswith(name + ".pcapng")) or f == name + ".jsonl":
                os.unlink(os.path.join(self.tmp, f))
        extra = "forensics: {pcapng: %s%s}\n" % (cap, forensics) if forensics is not None else ""
        if events:
            extra += "events: {file: %s}\n" % evf
        cfg = (hp.tap_cfg if mode == "tap" else hp.bridge_cfg)(extra + ENDPOINT)
        st, frames = hp.run_hookpath(self.tmp, [pcap] if mode == "tap" else [pcap, None], cfg)
        evs = hp.read_events(evf) if events else []
        return st, frames, evs, cap

    def check_capture(self, cap, man, evs, truncated=False):
        """Exactly the refused requests of the manifest, as they were sent."""
        got = forensic_requests(cap)
        whole = forensic_requests(cap, whole=True)
        refused = [r for r in man["requests"] if r["expect"]["verdict"] in REFUSED]
        self.assertGreater(len(refused), 3)
        want = {r["flow"].split("->")[0]: r for r in refused}
        ev_id = {e["flow"]["src"]: e.get("webhook_id") for e in evs}
        self.assertEqual(sorted(got), sorted(want), "clients in the capture")
        for client, reqs in got.items():
            r = want[client]
            self.assertEqual(len(reqs), 1, reqs)
            method, uri, comment, _ = reqs[0]
            self.assertEqual((method, uri), (r["method"], r["uri"]))
            self.assertTrue(comment.startswith(
                "hookpath: %s reason=%s endpoint=%s" % (
                    r["expect"]["verdict"], r["expect"]["reason"],
                    "-" if r["case"] == "unrouted" else "ep-github")), comment)
            if ev_id.get(client):  # the delivery id, as the event names it
                self.assertIn(" webhook_id=%s " % ev_id[client], comment)
            else:
                self.assertNotIn("webhook_id=", comment)
            if truncated or r["case"] == "too_large":  # refused at its head: body partial
                self.assertNotIn(client, whole)
                continue
            self.assertEqual(hashlib.sha256(body_bytes(whole[client][0][3])).hexdigest(),
                             r["body_sha256"], "%s: body bytes" % r["case"])
        # every frame is commented, checksums are right, and it is the flows' own addresses
        bad = hp.tshark(cap, ["frame.number"], "!frame.comment || tcp.analysis.flags || "
                        " tcp.checksum.status == 0 || "
                        "ip.checksum.status == 0 || tcp.len > 1460")
        self.assertEqual(bad, [])
        self.assertGreater(len(hp.tshark(cap, ["frame.number"], "tcp.checksum.status == 1")), 0)
        servers = {("%s:%s" % (a, p)) if a else ("[%s]:%s" % (a6, p)) for a, a6, p in
                   hp.tshark(cap, ["ip.dst", "ipv6.dst", "tcp.dstport"],
                             "tcp.flags.syn == 1 && tcp.flags.ack == 0")}
        self.assertEqual(servers, {r["flow"].split("->")[1] for r in refused})
        self.assertEqual(stat.S_IMODE(os.stat(cap).st_mode), 0o600)
        return refused

    def test_tap_and_bridge(self):
        pcap, man = self.generate("mixed")
        for mode in ("tap", "bridge"):
            st, frames, evs, cap = self.run_mode(mode, pcap, "mixed-" + mode, "")
            refused = self.check_capture(cap, man, evs)
            c = st["counters"]
            self.assertEqual(c["forensics_captured"], len(refused), mode)
            self.assertEqual(c["forensics_dropped"], 0)
            self.assertEqual(c["forensics_truncated"], 0)
            self.assertEqual(st["forensics"]["written"], len(refused))
            self.assertEqual(st["forensics"]["write_errors"], 0)
            self.assertEqual(sum(1 for e in evs if e["verdict"] in REFUSED), len(refused))

    def test_ipv6_chunked(self):
        """IPv6 flows, chunked bodies (de-chunked by the parser, framed again as one chunk)."""
        pcap, man = self.generate("v6", extra=("--ipv6", "--chunked"))
        st, _, evs, cap = self.run_mode("tap", pcap, "v6", "")
        self.check_capture(cap, man, evs)
        for rows in forensic_requests(cap).values():
            self.assertIn("chunked=one-chunk", rows[0][2])

    def test_truncation(self):
        pcap, man = self.generate("trunc", body=900)
        st, _, evs, cap = self.run_mode("tap", pcap, "trunc", ", max_request_bytes: 400")
        refused = self.check_capture(cap, man, evs, truncated=True)
        c = st["counters"]
        # all but the ones refused at their head (too_large: the head alone is shorter)
        cut = [r for r in refused if r["case"] != "too_large"]
        self.assertEqual(c["forensics_truncated"], len(cut))
        got = forensic_requests(cap)
        for r in cut:
            self.assertRegex(got[r["flow"].split("->")[0]][0][2], r" truncated=400/\d+ ")
        # the head comes whole, the body is cut: 400 bytes of request on the wire
        lens = hp.tshark(cap, ["ip.src", "tcp.len"], "tcp.len > 0")
        per = {}
        for src, n in lens:
            per[src] = per.get(src, 0) + int(n)
        for r in refused:  # too_large: refused at its head, shorter
            n = per[r["flow"].split(":")[0]]
            self.assertTrue(n == 400 or (r["case"] == "too_large" and n < 400), (r, n))

    def test_rotation(self):
        pcap, man = self.generate("rot", sessions=60)
        st, _, _, cap = self.run_mode("tap", pcap, "rot", ", max_file_bytes: 16384, max_files: 3")
        refused = [r for r in man["requests"] if r["expect"]["verdict"] in REFUSED]
        files = sorted(f for f in os.listdir(self.tmp) if f.startswith("rot.pcapng"))
        self.assertEqual(files, ["rot.pcapng", "rot.pcapng.1", "rot.pcapng.2"])
        f = st["forensics"]
        self.assertEqual(f["written"], len(refused))
        self.assertGreater(f["rotations"], 2)  # older files were deleted
        kept = 0
        for name in files:
            path = os.path.join(self.tmp, name)
            self.assertLessEqual(os.path.getsize(path), 16384, name)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, name)
            kept += sum(len(v) for v in forensic_requests(path).values())
        self.assertLess(kept, len(refused))
        self.assertGreater(kept, 0)
        # a restart keeps the file of the run before as .1 (one pcapng section per file)
        self.run_mode("tap", pcap, "restart", "")
        first = open(os.path.join(self.tmp, "restart.pcapng"), "rb").read()
        self.run_mode("tap", pcap, "restart", "", clean=False)
        self.assertEqual(open(os.path.join(self.tmp, "restart.pcapng.1"), "rb").read(), first)
        self.assertEqual(len(forensic_requests(os.path.join(self.tmp, "restart.pcapng"))),
                         len(refused))

    def test_ring_overflow(self):
        """One slot per worker and a burst of refusals: drops are counted, the verdicts and
        the servers' traffic are those of a run without captures."""
        pcap, man = self.generate("flood", sessions=140)
        refused = [r for r in man["requests"] if r["expect"]["verdict"] in REFUSED]
        base, bframes, bevs, _ = self.run_mode("bridge", pcap, "flood-base", None)
        st, frames, evs, cap = self.run_mode("bridge", pcap, "flood", ", ring: 1")
        c = st["counters"]
        self.assertGreater(c["forensics_dropped"], 0)
        self.assertEqual(c["forensics_captured"] + c["forensics_dropped"], len(refused))
        self.assertEqual(st["forensics"]["written"], c["forensics_captured"])
        self.assertEqual(sum(len(v) for v in forensic_requests(cap).values()),
                         c["forensics_captured"])
        for k in ("verdict_accept", "verdict_reject", "verdict_duplicate", "reject_responses",
                  "reject_rst_server"):
            self.assertEqual(c[k], base["counters"][k], k)
        key = lambda e: (e["flow"]["src"], e["verdict"], e["reason"])  # noqa: E731
        self.assertEqual(sorted(map(key, evs)), sorted(map(key, bevs)))
        # the servers (port 1) get the same requests
        server = os.path.join(self.tmp, "flood-server.pcap")
        hp.write_pcap(server, frames[1])
        got = sorted("%s:%s" % (a, p) for a, p in
                     hp.tshark(server, ["ip.src", "tcp.srcport"], "http.request"))
        want = sorted(r["flow"].split("->")[0] for r in man["requests"]
                      if r["expect"]["verdict"] in ("accept", "pass"))
        self.assertEqual(got, want)

    def test_bad_keys(self):
        cases = [
            ("ring: 0", "forensics.ring"),
            ("max_request_bytes: 10", "forensics.max_request_bytes"),
            ("max_files: 0", "forensics.max_files"),
            ("max_file_bytes: 100", "forensics.max_file_bytes"),
            ("pdump: maybe", "forensics.pdump"),
            ("pcapng: \"a\\x01b\"", "forensics.pcapng"),
            ("pcapng: /nonexistent-dir/x.pcapng", "forensics.pcapng"),
            ("bogus: 1", "forensics.bogus"),
        ]
        for text, key in cases:
            cfg = hp.tap_cfg("forensics: {%s}\n" % text if text.startswith("pcapng") else
                             "forensics: {pcapng: %s/x.pcapng, %s}\n" % (self.tmp, text))
            out, _ = hp.run_hookpath(self.tmp, [None], cfg, expect_rc=2,
                                     extra_args=("--check-config",))
            self.assertIn(key, out, "%s: %s" % (text, out))


def hugetlbfs():
    """A mounted hugetlbfs with at least 160 free 2 MB pages, or None and why not."""
    try:
        with open("/proc/meminfo") as f:
            mi = dict(line.split(":", 1) for line in f)
        free = int(mi["HugePages_Free"].split()[0])
        size_kb = int(mi["Hugepagesize"].split()[0])
    except (OSError, KeyError, ValueError):
        return None, "no hugepage information in /proc/meminfo"
    with open("/proc/mounts") as f:
        mounts = [line.split()[1] for line in f if line.split()[2] == "hugetlbfs"]
    if not mounts:
        return None, "no hugetlbfs mounted"
    if free * size_kb < 320 * 1024:
        return None, "%d free hugepages of %d kB: 320 MB needed" % (free, size_kb)
    if not os.path.exists("/usr/bin/dpdk-dumpcap"):
        return None, "no /usr/bin/dpdk-dumpcap"
    return mounts[0], None


NR_HUGEPAGES = "/proc/sys/vm/nr_hugepages"


def reserve_hugepages(mnt, pages=170):
    """As root, where none are free: reserve pages more 2 MB hugepages and mount a hugetlbfs
    on mnt for this test; returns the cleanup (unmount, the reservation given back), or None
    and why not (not root, no memory for them, ...)."""
    if os.geteuid() != 0:
        return None, "not root: cannot reserve hugepages"
    try:
        with open(NR_HUGEPAGES) as f:
            before = int(f.read())
        with open(NR_HUGEPAGES, "w") as f:
            f.write(str(before + pages))
        os.makedirs(mnt, exist_ok=True)
        r = subprocess.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "none", mnt],
                           capture_output=True, text=True)
    except OSError as e:
        return None, "cannot reserve hugepages: %s" % e

    def cleanup():
        subprocess.run(["umount", mnt], capture_output=True)
        with open(NR_HUGEPAGES, "w") as f:
            f.write(str(before))
    if r.returncode != 0:
        cleanup()
        return None, "cannot mount hugetlbfs: " + r.stderr.strip()
    return cleanup, None


class Pdump(hp.TmpDirCase):

    def cfg(self, pdump):
        path = os.path.join(self.tmp, "pdump-%s.yaml" % pdump)
        with open(path, "w") as f:
            f.write(hp.tap_cfg("control: {api_socket: off}\nforensics: {pdump: %s}\n" % pdump +
                               ENDPOINT))
        return path

    def pcap(self):
        pcap = os.path.join(self.tmp, "pd.pcap")
        if not os.path.exists(pcap):
            hp.gen(self.tmp, "webhooks", "-o", pcap, "--sessions", "4", "--provider", "github",
                   "--secret", SECRET, "--host", HOST, "--sign-time", str(int(time.time())))
        return pcap

    def test_pdump_init_logged(self):
        """rte_pdump_init ran (also without hugepages, where no secondary can attach)."""
        for pdump in ("true", "false"):
            cfg = hp.tap_cfg("forensics: {pdump: %s}\n" % pdump + ENDPOINT)
            st, _ = hp.run_hookpath(self.tmp, [self.pcap()], cfg)
            self.assertEqual(st["counters"]["verdict_accept"], 4)
        out = subprocess.run(
            [hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--lcores", "0@0,1@1",
             "--file-prefix", "hp-pdump-%d" % os.getpid(), "--log-level=lib.*:warning",
             "--vdev", "net_pcap0,rx_pcap=%s" % self.pcap(), "--", "-c", self.cfg("true"),
             "--exit-idle-ms", "150"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=120).stdout
        shutil.rmtree("/var/run/dpdk/hp-pdump-%d" % os.getpid(), ignore_errors=True)
        self.assertIn("pdump: dpdk-dumpcap may attach", out)
        self.assertNotIn("rte_pdump_init failed", out)

    def test_dumpcap_attaches(self):
        """dpdk-dumpcap, a secondary process, captures a running hookpath's rx."""
        huge, why = hugetlbfs()
        if huge is None and (why == "no hugetlbfs mounted" or why.endswith("320 MB needed")):
            # this machine has none set up (CI): reserve them for this test, given back after
            cleanup, why2 = reserve_hugepages(os.path.join(self.tmp, "huge"))
            if cleanup is not None:
                self.addCleanup(cleanup)
                huge, why = hugetlbfs()
            else:
                why = "%s; %s" % (why, why2)
        if huge is None:
            print("skipped: dpdk-dumpcap needs hugepages for its secondary process: " + why)
            self.skipTest(why)
        prefix = "hp-dumpcap-%d" % os.getpid()
        out = os.path.join(self.tmp, "dumpcap.pcapng")
        p = subprocess.Popen(
            [hp.HOOKPATH, "-m", "256", "--huge-dir", huge, "--iova-mode=va",
             "--no-pci", "--lcores", "0@0,1@1", "--file-prefix", prefix,
             "--log-level=lib.*:warning", "--vdev",
             "net_pcap0,rx_pcap=%s,infinite_rx=1" % self.pcap(), "--", "-c", self.cfg("true")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            log = ""
            for _ in range(200):
                time.sleep(0.05)
                if p.poll() is not None:
                    self.fail("hookpath exited: " + p.stdout.read()[-2000:])
                if os.path.exists("/var/run/dpdk/%s/mp_socket" % prefix):
                    break
            time.sleep(1.5)  # the workers run: pdump is registered before they start
            d = subprocess.run(["dpdk-dumpcap", "--file-prefix", prefix, "-i", "net_pcap0",
                                "-c", "40", "-q", "-w", out], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=60)
            self.assertEqual(d.returncode, 0, d.stdout[-2000:])
        finally:
            p.terminate()
            try:
                log = p.communicate(timeout=30)[0]
            except subprocess.TimeoutExpired:
                p.kill()
                log = p.communicate()[0]
            shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
            for f in os.listdir(huge):  # ours (kept for the secondary: no --huge-unlink)
                if f.startswith(prefix + "map_"):
                    os.unlink(os.path.join(huge, f))
        self.assertIn("pdump: dpdk-dumpcap may attach", log)
        reqs = hp.tshark(out, ["ip.src", "http.request.uri"], "http.request")
        self.assertGreater(len(reqs), 0)
        self.assertTrue(all(uri.startswith("/hooks") for _, uri in reqs), reqs)
        self.assertGreaterEqual(len(hp.tshark(out, ["frame.number"], "frame")), 40)


if __name__ == "__main__":
    hp.main()
