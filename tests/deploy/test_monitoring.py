#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""deploy/monitoring (issue 17): the Prometheus alert rules pass `promtool check rules`, the
Grafana dashboard is valid JSON whose every expression parses as PromQL (promtool, as recording
rules) and every metric name an expression or a rule uses is one a live hookpath exports on
/metrics (with the histogram suffixes _bucket/_sum/_count), so a rename breaks this test, not
an operator's dashboard. The live instance runs with a Redis sink, the replay cache and an
endpoint, so the families that exist only then are there."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
MON = os.path.join(ROOT, "deploy", "monitoring")
sys.path.insert(0, os.path.join(ROOT, "tests", "pcap"))
import hp_pcaptest as hp  # noqa: E402

PROMTOOL = shutil.which("promtool")
PROMQL_WORDS = {"rate", "sum", "by", "topk", "histogram_quantile", "changes", "clamp_min",
                "increase", "predict_linear", "time", "and", "or", "up", "without", "on",
                "le", "instance", "job"}


def metric_names(expr):
    """Metric names in a PromQL expression (label matchers and strings removed)."""
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"by \([^)]*\)", "", expr)
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr))
    return {n for n in names if n not in PROMQL_WORDS and not n.startswith("__")
            and ("_" in n)}


def dashboard_exprs():
    with open(os.path.join(MON, "grafana-hookpath.json")) as f:
        d = json.load(f)
    out = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
    out += [a["expr"] for a in d.get("annotations", {}).get("list", []) if "expr" in a]
    return d, out


def rule_exprs():
    import yaml
    with open(os.path.join(MON, "hookpath.rules.yml")) as f:
        doc = yaml.safe_load(f)
    return [r["expr"] for g in doc["groups"] for r in g["rules"]]


@unittest.skipIf(PROMTOOL is None, "promtool missing (deploy/setup.sh installs prometheus)")
class Monitoring(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.TemporaryDirectory(prefix="hp-mon-")
        tmp = cls.tmpdir.name
        hp.gen(tmp, "webhooks", "-o", "w.pcap", "--sessions", "20", "--host",
               "hooks.example.com", "-q")
        cfg = os.path.join(tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write("dataplane: {mode: tap}\n"
                    "control: {api_socket: %s/api.sock, state_file: none}\n"
                    "events: {file: %s/ev.jsonl}\n"
                    "sinks:\n  redis: {url: \"redis://127.0.0.1:1\"}\n  spool: {dir: %s/spool}\n"
                    "endpoints:\n  - {name: a, match: {host: hooks.example.com}, "
                    "provider: none}\n" % (tmp, tmp, tmp))
        sock = os.path.join(tmp, "api.sock")
        p = hp.start_live(cfg, os.path.join(tmp, "w.pcap"), "hp-mon-%d" % os.getpid(), sock)
        try:
            time.sleep(1.0)
            st, cls.metrics = hp.api(sock, "GET", "/metrics")
            assert st == 200, st
        finally:
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=60)
        cls.families = set(re.findall(r"^# TYPE (\S+) ", cls.metrics, re.M))
        cls.tmp = tmp

    @classmethod
    def tearDownClass(cls):
        cls.tmpdir.cleanup()

    def known(self, name):
        if name in self.families:
            return True
        for suf in ("_bucket", "_sum", "_count"):
            if name.endswith(suf) and name[:-len(suf)] in self.families:
                return True
        return False

    def test_rules_check(self):
        r = subprocess.run([PROMTOOL, "check", "rules", os.path.join(MON, "hookpath.rules.yml")],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_rules_use_exported_metrics(self):
        for expr in rule_exprs():
            for name in metric_names(expr):
                with self.subTest(expr=expr, name=name):
                    self.assertTrue(self.known(name), "%s is not exported" % name)

    def test_dashboard(self):
        d, exprs = dashboard_exprs()
        self.assertEqual(d["uid"], "hookpath-overview")
        self.assertGreaterEqual(len(d["panels"]), 12)
        ids = [p["id"] for p in d["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        # every expression parses: as recording rules, Grafana's variables given values
        rules = {"groups": [{"name": "dashboard", "rules": [
            {"record": "hookpath:dashboard_%d" % i,
             "expr": e.replace("$__rate_interval", "5m").replace("$instance", ".*")}
            for i, e in enumerate(exprs)]}]}
        path = os.path.join(self.tmp, "dashboard-rules.yml")
        with open(path, "w") as f:
            json.dump(rules, f)  # JSON is YAML
        r = subprocess.run([PROMTOOL, "check", "rules", path], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for expr in exprs:
            for name in metric_names(expr):
                with self.subTest(expr=expr, name=name):
                    self.assertTrue(self.known(name), "%s is not exported" % name)

    def test_name_check_can_fail(self):
        self.assertFalse(self.known("hookpath_verify_ns_total"))  # the old, renamed family
        self.assertEqual(metric_names('rate(hookpath_x_total{a="b"}[5m]) / up'),
                         {"hookpath_x_total"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
