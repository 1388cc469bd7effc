#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tools/hookpathctl without a server: help, usage errors, connection failure, pure functions.

Run: /usr/bin/python3 tests/api/test_hookpathctl_cli.py  (unittest; -v for names)
End-to-end tests against the real appliance live elsewhere.
"""
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no tools/__pycache__ from loading the script
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CTL = os.path.join(ROOT, "tools", "hookpathctl")


def load_ctl():
    loader = importlib.machinery.SourceFileLoader("hookpathctl", CTL)
    spec = importlib.util.spec_from_loader("hookpathctl", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


ctl = load_ctl()

# Every command path, for --help.
COMMANDS = [
    [], ["health"], ["ready"], ["stats"], ["metrics"], ["sinks"], ["top"], ["reload"],
    ["endpoints"], ["endpoints", "list"], ["endpoints", "show"], ["endpoints", "add"],
    ["endpoints", "update"], ["endpoints", "set"], ["endpoints", "delete"],
    ["secrets"], ["secrets", "add"], ["secrets", "retire"],
    ["limits"], ["limits", "show"], ["limits", "set"],
]


def run(*args, env_extra=None, stdin=None):
    env = dict(os.environ)
    env.pop("HOOKPATH_SOCKET", None)
    env.pop("HOOKPATH_TOKEN", None)
    if env_extra:
        env.update(env_extra)
    return subprocess.run([sys.executable, CTL] + list(args), capture_output=True, text=True,
                          env=env, input=stdin, timeout=30)


class TestHelp(unittest.TestCase):
    def test_help_every_level(self):
        for cmd in COMMANDS:
            with self.subTest(cmd=cmd):
                r = run(*(cmd + ["--help"]))
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("usage: hookpathctl", r.stdout)

    def test_help_documents_exit_codes(self):
        r = run("--help")
        self.assertIn("exit codes", r.stdout)
        for code in ("0", "1", "2", "3"):
            self.assertRegex(r.stdout, r"\n  %s  " % code)

    def test_every_command_has_json_and_completion_marker(self):
        """Every leaf command takes --json (scripts rely on it), and the script carries the
        marker python3-argcomplete looks for."""
        import argparse

        def leaves(p, path):
            subs = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
            if not subs:
                yield path, p
            for a in subs:
                for name, sp in a.choices.items():
                    yield from leaves(sp, path + [name])
        found = list(leaves(ctl.build_parser(), []))
        self.assertGreater(len(found), 15)
        for path, p in found:
            with self.subTest(cmd=path):
                self.assertIn("--json", p._option_string_actions)
        with open(CTL) as f:
            self.assertIn("PYTHON_ARGCOMPLETE_OK", f.read(1024))

    def test_executable_with_shebang(self):
        self.assertTrue(os.access(CTL, os.X_OK))
        with open(CTL) as f:
            self.assertEqual(f.readline().strip(), "#!/usr/bin/env python3")


class TestUsageErrors(unittest.TestCase):
    CASES = [
        [],                                           # no command
        ["nosuchcmd"],
        ["endpoints"],                                # no action
        ["endpoints", "show"],                        # no NAME
        ["endpoints", "add"],                         # neither --file nor --json-body
        ["endpoints", "add", "--file", "a", "--json-body", "{}"],
        ["endpoints", "update", "x"],                 # no --file
        ["endpoints", "set", "x"],                    # no KEY=VALUE
        ["endpoints", "set", "x", "novalue"],         # not key=value
        ["endpoints", "set", "x", ".a=1"],            # empty key part
        ["endpoints", "set", "x", "secrets=[\"s\"]"],  # secrets never on the command line
        ["endpoints", "add", "--json-body", "{bad"],
        ["endpoints", "add", "--json-body", "[1]"],
        ["endpoints", "add", "--json-body", '{"name":"a","secrets":["s"]}'],
        ["endpoints", "add", "--file", "/nonexistent/ep.json"],
        ["secrets", "add", "x"],                      # no source
        ["secrets", "retire", "x"],                   # no ID
        ["limits", "set"],
        ["limits", "set", "x"],
        ["--socket", "/a", "--prefix", "b", "health"],
        ["--socket", "/a", "--url", "http://127.0.0.1:1", "health"],
        ["--json", "--table", "health"],
        ["health", "--json", "--table"],
        ["--url", "ftp://host", "health"],
        ["--token-file", "/dev/null", "health"],      # token without --url
        ["--timeout", "abc", "health"],
        ["--timeout", "0", "health"],
        ["--prefix", "a/b", "health"],
        ["top", "--interval", "0"],
        ["top", "--count", "0"],
        ["top", "--count", "x"],
    ]

    def test_usage_errors_exit_2(self):
        for args in self.CASES:
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual(r.returncode, 2, "stdout=%r stderr=%r" % (r.stdout, r.stderr))
                self.assertTrue(r.stderr.strip())

    def test_secret_on_command_line_refused(self):
        for args in (["secrets", "add", "ep", "--secret", "whsec_x"],
                     ["secrets", "add", "ep", "--secret=whsec_x"],
                     ["secrets", "add", "ep", "--secret-file", "f", "--secret", "whsec_x"],
                     ["secrets", "add", "ep", "whsec_x"],
                     ["secrets", "add", "ep", "--secret-stdin", "whsec_x"]):
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
        r = run("secrets", "add", "--help")
        self.assertNotRegex(r.stdout, r"--secret(\s|=|,)")  # only --secret-file / --secret-stdin

    def test_empty_or_multiline_secret_refused(self):
        with tempfile.TemporaryDirectory() as d:
            sock = os.path.join(d, "absent.sock")
            for content in ("", "\n", "a\nb\n"):
                with self.subTest(content=content):
                    p = os.path.join(d, "s")
                    with open(p, "w") as f:
                        f.write(content)
                    os.chmod(p, 0o600)
                    r = run("--socket", sock, "secrets", "add", "ep", "--secret-file", p)
                    self.assertEqual(r.returncode, 2, r.stderr)
            r = run("--socket", sock, "secrets", "add", "ep", "--secret-stdin", stdin="")
            self.assertEqual(r.returncode, 2, r.stderr)


class TestConnect(unittest.TestCase):
    def test_missing_socket_exits_3(self):
        with tempfile.TemporaryDirectory() as d:
            sock = os.path.join(d, "nope.sock")
            for args in (["health"], ["ready"], ["stats"], ["metrics"], ["endpoints", "list"],
                         ["endpoints", "set", "a", "tolerance_s=600"], ["limits", "show"],
                         ["top", "--count", "1", "--interval", "0.01"]):
                with self.subTest(args=args):
                    r = run("--socket", sock, *args)
                    self.assertEqual(r.returncode, 3, r.stderr)
                    self.assertIn("cannot connect", r.stderr)
                    self.assertIn(sock, r.stderr)
                    self.assertEqual(r.stdout, "")

    def test_env_and_prefix_select_socket(self):
        with tempfile.TemporaryDirectory() as d:
            sock = os.path.join(d, "env.sock")
            r = run("health", env_extra={"HOOKPATH_SOCKET": sock})
            self.assertEqual(r.returncode, 3)
            self.assertIn(sock, r.stderr)
            r = run("--prefix", "hp_test_no_such_prefix", "health", env_extra={"HOOKPATH_SOCKET": sock})
            self.assertEqual(r.returncode, 3)
            self.assertIn("/var/run/dpdk/hp_test_no_such_prefix/hookpath.sock", r.stderr)

    def test_secret_read_before_connect(self):
        # A valid secret file, no server: the secret is read, then the connection fails (3).
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "s")
            with open(p, "w") as f:
                f.write("whsec_abc\n")
            os.chmod(p, 0o600)
            r = run("--socket", os.path.join(d, "x.sock"), "secrets", "add", "ep", "--secret-file", p)
            self.assertEqual(r.returncode, 3, r.stderr)
            self.assertNotIn("whsec_abc", r.stderr + r.stdout)

    def test_default_socket_path(self):
        self.assertEqual(ctl.default_socket_path(), "/var/run/dpdk/rte/hookpath.sock")
        self.assertEqual(ctl.default_socket_path("hp1"), "/var/run/dpdk/hp1/hookpath.sock")


class TestBodies(unittest.TestCase):
    def test_patch_body_nested(self):
        self.assertEqual(ctl.build_patch_body(["pii.policy=mask"]), {"pii": {"policy": "mask"}})
        self.assertEqual(ctl.build_patch_body(["tolerance_s=600"]), {"tolerance_s": 600})
        self.assertEqual(ctl.build_patch_body(["dedup.ttl_s=60", "dedup.key=header:X-Id",
                                               "tolerance_s=auto"]),
                         {"dedup": {"ttl_s": 60, "key": "header:X-Id"}, "tolerance_s": "auto"})
        self.assertEqual(ctl.build_patch_body(["pii.policy=mask", 'pii.entities=["email","jwt"]',
                                               "on_reject.respond=false", "allow_sha1=true",
                                               "match.host=*.example.com", "hmac.prefix=sha256="]),
                         {"pii": {"policy": "mask", "entities": ["email", "jwt"]},
                          "on_reject": {"respond": False}, "allow_sha1": True,
                          "match": {"host": "*.example.com"}, "hmac": {"prefix": "sha256="}})

    def test_patch_values(self):
        b = ctl.build_patch_body(["a=1.5", "b=null", "c=", "d=\"600\"", "e={\"x\":1}", "f=a=b",
                                  "g=[1,"])
        self.assertEqual(b, {"a": 1.5, "b": None, "c": "", "d": "600", "e": {"x": 1}, "f": "a=b",
                             "g": "[1,"})

    def test_patch_errors(self):
        for bad in ([], ["x"], ["=1"], ["a..b=1"], ["a.=1"], ["a=1", "a=2"], ["a=1", "a.b=2"],
                    ["a.b=2", "a=1"], ["secrets=[]"], ["secrets_file=/x"]):
            with self.subTest(bad=bad):
                with self.assertRaises(ctl.UsageError):
                    ctl.build_patch_body(bad)

    def test_limits_body_flat(self):
        self.assertEqual(ctl.build_limits_body(["dataplane.flows.timeout_established_s=300",
                                                "http.max_pipelined=8"]),
                         {"dataplane.flows.timeout_established_s": 300, "http.max_pipelined": 8})
        for bad in ([], ["x"], ["a=1", "a=2"]):
            with self.subTest(bad=bad):
                with self.assertRaises(ctl.UsageError):
                    ctl.build_limits_body(bad)

    def test_ep_path_quotes(self):
        self.assertEqual(ctl.ep_path("stripe-prod"), "/v1/endpoints/stripe-prod")
        self.assertEqual(ctl.ep_path("a b/c", "secrets", "3fa9"), "/v1/endpoints/a%20b%2Fc/secrets/3fa9")


class TestHistogram(unittest.TestCase):
    B = [1e-6, 2e-6, 4e-6, None]

    def bk(self, counts):
        return [{"le_s": le, "count": n} for le, n in zip(self.B, counts)]

    def test_empty(self):
        self.assertIsNone(ctl.estimate_percentile(self.bk([0, 0, 0, 0]), 0.5))
        self.assertIsNone(ctl.estimate_percentile([], 0.99))

    def test_interpolation(self):
        b = self.bk([0, 100, 0, 0])                     # everything in (1us, 2us]
        self.assertAlmostEqual(ctl.estimate_percentile(b, 0.5), 1.5e-6)
        self.assertAlmostEqual(ctl.estimate_percentile(b, 0.99), 1.99e-6)
        self.assertAlmostEqual(ctl.estimate_percentile(b, 1.0), 2e-6)
        b = self.bk([50, 0, 50, 0])
        self.assertAlmostEqual(ctl.estimate_percentile(b, 0.5), 1e-6)      # end of bucket 0
        self.assertAlmostEqual(ctl.estimate_percentile(b, 0.75), 3e-6)     # middle of (2us, 4us]
        self.assertAlmostEqual(ctl.estimate_percentile(self.bk([10, 0, 0, 0]), 0.5), 0.5e-6)

    def test_overflow_bucket(self):
        b = self.bk([90, 0, 0, 10])
        self.assertAlmostEqual(ctl.estimate_percentile(b, 0.45), 0.5e-6)
        self.assertEqual(ctl.estimate_percentile(b, 0.99), 4e-6)           # largest finite bound
        self.assertEqual(ctl.estimate_percentile(self.bk([0, 0, 0, 5]), 0.5), 4e-6)

    def test_monotonic_in_q(self):
        b = self.bk([3, 7, 11, 2])
        qs = [0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0]
        vals = [ctl.estimate_percentile(b, q) for q in qs]
        self.assertEqual(vals, sorted(vals))

    def test_bad_q(self):
        with self.assertRaises(ValueError):
            ctl.estimate_percentile(self.bk([1, 0, 0, 0]), 0)
        with self.assertRaises(ValueError):
            ctl.estimate_percentile(self.bk([1, 0, 0, 0]), 1.5)

    def test_delta(self):
        prev = self.bk([100, 50, 0, 0])
        cur = self.bk([100, 150, 10, 0])
        d = ctl.histogram_delta(prev, cur)
        self.assertEqual(d, [(1e-6, 0), (2e-6, 100), (4e-6, 10), (None, 0)])
        # Percentiles of the interval only, not of everything since start.
        self.assertGreater(ctl.estimate_percentile(d, 0.5), 1e-6)
        self.assertLess(ctl.estimate_percentile(cur, 0.5), ctl.estimate_percentile(d, 0.5))
        self.assertEqual(ctl.histogram_delta(None, cur), ctl.histogram_delta([], cur))

    def test_delta_reset_or_layout_change(self):
        prev = self.bk([100, 50, 0, 0])
        cur = self.bk([1, 2, 3, 4])                      # counts went down: restart
        self.assertEqual(ctl.histogram_delta(prev, cur), [(1e-6, 1), (2e-6, 2), (4e-6, 3), (None, 4)])
        other = [{"le_s": 1e-3, "count": 5}, {"le_s": None, "count": 1}]
        self.assertEqual(ctl.histogram_delta(prev, other), [(1e-3, 5), (None, 1)])


class TestTop(unittest.TestCase):
    @staticmethod
    def stats(k):
        return {
            "workers": 2, "flows_active": 7, "events_written": 10 * k,
            "ports": [{"port": 0, "rx_packets": 100 * k, "tx_packets": 90 * k},
                      {"port": 1, "rx_packets": 10 * k, "tx_packets": 10 * k}],
            "counters": {"rx_packets": 110 * k, "verdict_accept": 5 * k, "verdict_reject": k,
                         "verdict_duplicate": 0, "verdict_pass": 2 * k, "malformed_dropped": 3 * k,
                         "tx_drop_full": 0, "dispatch_ring_full": 0, "events_ring_full": 0},
            "latency": {"count": 10 * k, "sum_s": 1e-5 * k,
                        "buckets": [{"le_s": 1e-6, "count": 5 * k}, {"le_s": 2e-6, "count": 5 * k},
                                    {"le_s": None, "count": 0}]},
            "endpoints": {"s": {"provider": "stripe", "requests": 6 * k, "accept": 5 * k,
                                "reject": k, "duplicate": 0}},
            "sinks": {"redis": {"enabled": True, "state": "closed", "sent_total": 4 * k,
                                "failures_total": 0, "queued": 0},
                      "file": {"enabled": True, "path": "/x", "written_total": 10 * k,
                               "write_errors_total": 0}},
            "per_worker": [{"worker": 0, "lcore": 1, "rx_packets": 60 * k, "busy_s": 0.3 * k,
                            "idle_s": 0.1 * k, "busy_polls": 3 * k, "idle_polls": k,
                            "poll_packets": 60 * k},
                           {"worker": 1, "lcore": 2, "rx_packets": 0, "busy_s": 0,
                            "idle_s": 0.4 * k, "busy_polls": 0, "idle_polls": 4 * k,
                            "poll_packets": 0}],
        }

    def test_rates(self):
        t = ctl.compute_top(self.stats(1), self.stats(3), 2.0)
        self.assertEqual(t["rx_pps"], 110.0)
        self.assertEqual(t["tx_pps"], 100.0)               # no tx_packets counter: sum of ports
        self.assertEqual(t["verdicts_per_s"], {"accept": 5.0, "duplicate": 0.0, "pass": 2.0,
                                               "reject": 1.0})
        self.assertEqual(t["drops"]["malformed_dropped"], {"total": 9, "per_s": 3.0})
        self.assertEqual(set(t["drops"]), set(ctl.DROP_COUNTERS))
        self.assertEqual(t["latency"]["count"], 20)
        self.assertAlmostEqual(t["latency"]["p50_s"], 1e-6)
        self.assertEqual(t["endpoints"]["s"]["requests_per_s"], 6.0)
        self.assertEqual(t["sinks"]["redis"]["state"], "closed")
        self.assertEqual(t["sinks"]["redis"]["sent_per_s"], 4.0)
        # the file sink counts what it wrote (it showed 0/s while writing 270k events/s)
        self.assertEqual(t["sinks"]["file"]["sent_per_s"], 10.0)
        load = {w["worker"]: w for w in t["workers_load"]}
        self.assertAlmostEqual(load[0]["load"], 0.75)
        self.assertEqual(load[0]["packets_per_poll"], 20.0)
        self.assertEqual(load[0]["rx_pps"], 60.0)
        self.assertEqual(load[1]["load"], 0.0)
        self.assertIsNone(load[1]["packets_per_poll"])
        text = ctl.render_top(t)
        self.assertIn("75%", text)
        self.assertNotIn("\x1b", text)
        for word in ("rx", "p99", "malformed_dropped", "redis", "closed"):
            self.assertIn(word, text)

    def test_counter_reset(self):
        t = ctl.compute_top(self.stats(5), self.stats(1), 1.0)
        self.assertEqual(t["rx_pps"], 110.0)                # restart: current value, never negative


if __name__ == "__main__":
    unittest.main()
