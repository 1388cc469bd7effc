#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Metrics as Prometheus and DPDK operators expect them (issue 17), on a live hookpath.

- `promtool check metrics` (Debian package prometheus) finds nothing to say about /metrics;
  base units (no _ns, _ms, _cycles), counters end in _total, HELP lines written for people;
- hookpath_build_info{version,dpdk} 1 (the version of `hookpath --version`) and
  process_start_time_seconds (between the test's clock before and after the start);
  hookpath_engine_info{sha256,pii_scan} 1, the versions /proc/cpuinfo's flags call for;
- the per-worker poll loop figures: under traffic busy time, busy polls and packets move, the
  packets per non-empty poll lie between 1 and the burst; once the capture is consumed the
  worker only idles (idle polls and time move, busy ones stay) and the packets it took are
  exactly the frames it received; /v1/stats per_worker has them too;
- the read-only listener (control.metrics_listen): GET and HEAD /metrics and GET /v1/health
  without a token; every other path 404 (no admin route: /v1/stats, /v1/endpoints, POST
  /v1/reload ...), every other method 405 with Allow, a bearer token unlocks nothing; the
  configuration is unchanged after all that; a port already in use stops the start naming
  the key; a bad value is refused by --check-config naming the key.
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "pcap"))
sys.path.insert(0, os.path.join(ROOT, "tests", "sinks"))
import hp_pcaptest as hp  # noqa: E402
import sinkenv  # noqa: E402

HOST = "hooks.example.com"
PROMTOOL = shutil.which("promtool")
BURST = 32  # dataplane.burst's default


def config(tmp, port):
    cfg = os.path.join(tmp, "c.yaml")
    with open(cfg, "w") as f:
        f.write("dataplane: {mode: tap, workers: 1}\n"
                "events: {file: %s/ev.jsonl}\n"
                "control: {api_socket: %s/api.sock, metrics_listen: \"127.0.0.1:%d\"}\n"
                "endpoints:\n  - {name: a, match: {host: %s}, provider: none, "
                "dedup: {key: none}}\n" % (tmp, tmp, port, HOST))
    return cfg


def get(port, method, path, body=None, headers=None):
    """One request to the metrics listener: (status, headers, body text)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    text = r.read().decode()
    c.close()
    return r.status, r.headers, text


def samples(text):
    """{(name, labels string): value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$', line)
        assert m, line
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def families(text):
    """{name: (type, help)} of an exposition."""
    types, helps = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, t = line.split(" ", 3)
            types[name] = t
        elif line.startswith("# HELP "):
            _, _, name, h = line.split(" ", 3)
            helps[name] = h
    return {n: (types[n], helps.get(n)) for n in types}


def worker(s, fam, w=0):
    return s[("hookpath_worker_%s" % fam, '{worker="%d"}' % w)]


class Live(unittest.TestCase):
    """hookpath in tap mode over a capture replayed without end (traffic all the time)."""

    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.TemporaryDirectory(prefix="hp-metrics-")
        cls.tmp = cls.tmpdir.name
        cls.port = sinkenv.free_port()
        cfg = config(cls.tmp, cls.port)
        hp.gen(cls.tmp, "webhooks", "-o", "w.pcap", "--sessions", "40", "--host", HOST, "-q")
        cls.sock = os.path.join(cls.tmp, "api.sock")
        cls.t_before = time.time()
        cls.p = hp.start_live(cfg, os.path.join(cls.tmp, "w.pcap"),
                              "hp-metrics-%d" % os.getpid(), cls.sock)
        cls.t_after = time.time()
        time.sleep(0.5)

    @classmethod
    def tearDownClass(cls):
        cls.p.terminate()
        out, _ = cls.p.communicate(timeout=30)
        cls.tmpdir.cleanup()
        assert cls.p.returncode == 0, out[-2000:]

    def test_top_on_a_terminal(self):
        """`hookpathctl top` as an operator sees it: in tmux (a real terminal emulator, which
        applies its redraws), under traffic: verdicts per second, the worker's load, the file
        sink's real rate; the screen is kept in the log."""
        ctl = os.path.join(ROOT, "tools", "hookpathctl")
        srv = "hp-top-%d" % os.getpid()
        tmux = ["tmux", "-L", srv, "-f", "/dev/null"]
        subprocess.run(tmux + ["new-session", "-d", "-s", "top", "-x", "140", "-y", "40",
                               "/usr/bin/python3 %s --socket %s top --interval 0.5"
                               % (ctl, self.sock)], check=True)
        try:
            screen = ""
            for _ in range(60):  # redrawn every 0.5 s: wait for a screen with rates
                time.sleep(0.25)
                screen = subprocess.run(tmux + ["capture-pane", "-p", "-t", "top"],
                                        capture_output=True, text=True).stdout
                if re.search(r"(?m)^verdicts/s +accept [1-9]", screen) and \
                        re.search(r"(?m)^file +true +writing +\S+ +[1-9]", screen):
                    break
        finally:
            subprocess.run(tmux + ["kill-server"], capture_output=True)
        print(screen.rstrip())
        self.assertNotIn("Traceback", screen)
        # the interval shown is the one measured between the two samples (0.5 s asked; a
        # busy machine makes it 0.6)
        self.assertRegex(screen, r"(?m)^hookpath top +\d\d:\d\d:\d\d +interval \d+\.\ds +workers 1")
        self.assertRegex(screen, r"(?m)^verdicts/s +accept [1-9]")
        self.assertRegex(screen, r"(?m)^WORKER +LCORE +LOAD +PKTS/POLL +RX PPS")
        self.assertRegex(screen, r"(?m)^0 +1 +\d+% +[\d.]+ +[1-9]")  # worker 0, lcore 1
        self.assertRegex(screen, r"(?m)^a +none +[1-9]")  # the endpoint's requests/s
        self.assertRegex(screen, r"(?m)^file +true +writing +\S+ +[1-9]")  # events written/s
        # one screen, redrawn in place: the header once
        self.assertEqual(screen.count("hookpath top"), 1, screen)

    def metrics(self):
        st, h, text = get(self.port, "GET", "/metrics")
        self.assertEqual(st, 200, text)
        self.assertEqual(h["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        return text

    def test_promtool_clean(self):
        if PROMTOOL is None:
            self.skipTest("promtool not installed (Debian package prometheus, deploy/setup.sh)")
        for text in (self.metrics(), hp.api(self.sock, "GET", "/metrics")[1]):
            p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self.assertEqual((p.returncode, p.stdout), (0, ""))

    def test_names_units_help(self):
        fams = families(self.metrics())
        self.assertGreater(len(fams), 100)
        for name, (typ, help_) in fams.items():
            with self.subTest(name=name):
                self.assertRegex(name, r"^(hookpath|process)_[a-z0-9_]+$")
                self.assertEqual(name.endswith("_total"), typ == "counter")
                # base units: seconds and bytes, never an abbreviation or cycles
                self.assertNotRegex(name, r"_(ns|us|ms|cycles|kb|mb)(_|$)")
                self.assertIsNotNone(help_)
                # for people: a sentence, no source file nor "counter x" boilerplate
                self.assertRegex(help_, r"^[A-Z0-9].*[.)]$")
                self.assertNotRegex(help_, r"\.[ch]\b|lib/|dataplane/|summed over|[Cc]ounter \w+_")
        self.assertIn("hookpath_verify_seconds_total", fams)
        self.assertNotIn("hookpath_verify_ns_total", fams)
        # the same families on the admin API and on the listener
        self.assertEqual(set(families(hp.api(self.sock, "GET", "/metrics")[1])), set(fams))

    def test_build_info_and_start_time(self):
        s = samples(self.metrics())
        ver = subprocess.run([hp.HOOKPATH, "--version"], stdout=subprocess.PIPE,
                             text=True).stdout.split()[1]
        info = [k for k in s if k[0] == "hookpath_build_info"]
        self.assertEqual(len(info), 1)
        self.assertRegex(info[0][1], r'^\{version="%s",dpdk="\d+\.\d+(\.\d+)*"\}$' %
                         re.escape(ver))
        self.assertEqual(s[info[0]], 1)
        start = s[("process_start_time_seconds", "")]
        self.assertGreaterEqual(start, self.t_before - 2)
        self.assertLessEqual(start, self.t_after + 1)

    def test_engine_info(self):
        """hookpath_engine_info names the SHA-256 and the PII scan version the CPU's flags call
        for (the test's environment asks for none): the widest scan version whose instructions
        /proc/cpuinfo lists, SHA-NI where it lists sha_ni with SSE4.1 and SSSE3."""
        with open("/proc/cpuinfo") as f:
            flags = set(next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")),
                             []))
        avx2 = {"avx2", "bmi1", "bmi2", "popcnt"} <= flags
        want_pii = "avx2" if avx2 else "sse2"
        if avx2 and "avx512bw" in flags:
            want_pii = "avx512vbmi" if {"avx512vbmi", "gfni"} <= flags else "avx512bw"
        want_sha = "sha-ni" if {"sha_ni", "sse4_1", "ssse3"} <= flags else "openssl"
        info = [k for k in samples(self.metrics()) if k[0] == "hookpath_engine_info"]
        self.assertEqual(info, [("hookpath_engine_info",
                                 '{sha256="%s",pii_scan="%s"}' % (want_sha, want_pii))])

    def test_worker_busy_under_traffic(self):
        a = samples(self.metrics())
        time.sleep(1)
        b = samples(self.metrics())
        self.assertEqual(b[("hookpath_workers", "")], 1)
        self.assertEqual(worker(b, "lcore"), 1)  # -l 0,1: lcore 1 is the worker
        busy = worker(b, "busy_seconds_total") - worker(a, "busy_seconds_total")
        idle = worker(b, "idle_seconds_total") - worker(a, "idle_seconds_total")
        polls = worker(b, "busy_polls_total") - worker(a, "busy_polls_total")
        pkts = worker(b, "poll_packets_total") - worker(a, "poll_packets_total")
        self.assertGreater(polls, 0)
        self.assertGreater(pkts, 0)
        # the replay never pauses: the worker is mostly busy, over about one second
        self.assertGreater(busy, 0.5 * (busy + idle))
        self.assertLess(busy + idle, 3.0)
        self.assertGreaterEqual(pkts / polls, 1)
        self.assertLessEqual(pkts / polls, BURST)
        # packets taken = frames received, but both move while one scrape reads them (the
        # exact equality is checked once the traffic has stopped: Idle)
        rx = b[("hookpath_rx_packets_total", "")]
        self.assertLess(abs(worker(b, "poll_packets_total") - rx), 0.01 * rx + 64 * BURST)

    def test_stats_json_per_worker(self):
        st, s = hp.api(self.sock, "GET", "/v1/stats")
        self.assertEqual(st, 200)
        w = s["per_worker"][0]
        for k in ("busy_s", "idle_s", "busy_polls", "idle_polls", "poll_packets"):
            self.assertIn(k, w)
        self.assertGreater(w["busy_s"], 0)
        self.assertGreater(w["poll_packets"], 0)
        # the longest pass: some pass took time, none longer than all of them together
        self.assertGreater(w["longest_pass_ms"], 0)
        self.assertLessEqual(w["longest_pass_ms"], 1e3 * (w["busy_s"] + w["idle_s"]) + 1)

    def test_listener_serves_metrics_and_health_only(self):
        st, h, text = get(self.port, "HEAD", "/metrics")
        self.assertEqual((st, text), (200, ""))
        st, h, text = get(self.port, "GET", "/v1/health")
        self.assertEqual((st, json.loads(text)), (200, {"status": "ok"}))
        # a query string or a body on a GET changes nothing
        self.assertEqual(get(self.port, "GET", "/metrics?x=1")[0], 200)
        before = hp.api(self.sock, "GET", "/v1/endpoints")[1]
        token = {"Authorization": "Bearer " + "t" * 32}
        for method, path, body, headers in [
                ("GET", "/", None, None), ("GET", "/metricsx", None, None),
                ("GET", "/metrics/", None, None), ("GET", "/v1/stats", None, None),
                ("GET", "/v1/stats", None, token), ("GET", "/v1/endpoints", None, None),
                ("GET", "/v1/sinks", None, None), ("GET", "/v1/limits", None, None),
                ("GET", "/v1/ready", None, None), ("GET", "/v1/models", None, None),
                ("POST", "/v1/reload", "", token),
                ("POST", "/v1/endpoints", json.dumps({"name": "x", "match": {"host": "x"},
                                                      "provider": "none"}), None),
                ("DELETE", "/v1/endpoints/a", None, token)]:
            with self.subTest(method=method, path=path):
                st, h, text = get(self.port, method, path, body, headers)
                self.assertEqual(st, 404, text)
                self.assertNotIn("counters", text)
                self.assertNotIn("endpoints", text)
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            for path in ("/metrics", "/v1/health"):
                with self.subTest(method=method, path=path):
                    st, h, text = get(self.port, method, path, "{}" if method != "OPTIONS"
                                      else None)
                    self.assertEqual(st, 405, text)
                    self.assertEqual(h["Allow"], "GET, HEAD")
        # nothing changed, and the listener still answers after the refusals
        self.assertEqual(hp.api(self.sock, "GET", "/v1/endpoints")[1], before)
        self.assertEqual(get(self.port, "GET", "/metrics")[0], 200)

    def test_port_in_use_stops_start(self):
        tmp = os.path.join(self.tmp, "second")
        os.mkdir(tmp)
        cfg = config(tmp, self.port)  # the running instance's listener port
        p = subprocess.run(
            [hp.HOOKPATH, "--no-huge", "-m", "256", "--no-pci", "--lcores", "0@0,1@1",
             "--file-prefix", "hp-metrics-2-%d" % os.getpid(), "--log-level=lib.*:warning",
             "--vdev", "net_null0,no-rx=1", "--", "-c", cfg],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        self.assertEqual(p.returncode, 2, p.stdout[-2000:])
        self.assertIn("control.metrics_listen: 127.0.0.1:%d: Address already in use" %
                      self.port, p.stdout)


class Idle(unittest.TestCase):
    """A capture replayed once: consumed within the first moments, then the worker idles."""

    def test_idle_after_capture(self):
        with tempfile.TemporaryDirectory(prefix="hp-metrics-idle-") as tmp:
            port = sinkenv.free_port()
            cfg = config(tmp, port)
            hp.gen(tmp, "webhooks", "-o", "w.pcap", "--sessions", "20", "--host", HOST, "-q")
            frames = len(hp.read_pcap(os.path.join(tmp, "w.pcap")))
            p = hp.start_live(cfg, os.path.join(tmp, "w.pcap"), "hp-metrics-i-%d" % os.getpid(),
                              os.path.join(tmp, "api.sock"), infinite=False)
            try:
                time.sleep(1)
                a = samples(get(port, "GET", "/metrics")[2])
                time.sleep(0.5)
                b = samples(get(port, "GET", "/metrics")[2])
            finally:
                p.terminate()
                out, _ = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 0, out[-2000:])
            # every frame was taken by a busy pass, and counted once
            self.assertEqual(worker(b, "poll_packets_total"), frames)
            self.assertEqual(b[("hookpath_rx_packets_total", "")], frames)
            self.assertGreater(worker(b, "busy_polls_total"), 0)
            self.assertLessEqual(worker(b, "busy_polls_total"), frames)
            # then only idle passes: their count and time move, the busy ones do not
            for fam in ("busy_polls_total", "busy_seconds_total", "poll_packets_total"):
                self.assertEqual(worker(b, fam), worker(a, fam), fam)
            self.assertGreater(worker(b, "idle_polls_total"), worker(a, "idle_polls_total"))
            idle = worker(b, "idle_seconds_total") - worker(a, "idle_seconds_total")
            self.assertGreater(idle, 0.3)
            self.assertLess(idle, 2.0)


class CheckConfig(unittest.TestCase):
    def test_bad_value_names_the_key(self):
        with tempfile.TemporaryDirectory(prefix="hp-metrics-cfg-") as tmp:
            for bad in ("9464", "localhost", ":9464", "127.0.0.1:0", "127.0.0.1:70000"):
                cfg = os.path.join(tmp, "c.yaml")
                with open(cfg, "w") as f:
                    f.write("dataplane: {mode: tap}\ncontrol: {metrics_listen: \"%s\"}\n" % bad)
                p = subprocess.run([hp.HOOKPATH, "-c", cfg, "--check-config"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                with self.subTest(value=bad):
                    self.assertEqual(p.returncode, 2, p.stdout)
                    self.assertIn("control.metrics_listen: must be IPv4:port or [IPv6]:port",
                                  p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
