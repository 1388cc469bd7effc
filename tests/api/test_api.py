#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""REST API and hookpathctl against a running hookpath.

- docs/openapi.yaml: the document lints clean (tests/api/openapi_check.py), and every answer
  of every request these tests make validates against it (status documented, JSON schema).
- Routes: every route with valid and invalid input (wrong types, unknown fields, malformed,
  huge and non-object bodies, unknown names and methods); every refused change leaves the
  configuration exactly as it was; no answer ever contains a secret; TCP needs the bearer
  token; /metrics is well-formed Prometheus text; hookpathctl's exit codes.
- Live change on traffic (root, veth, tcpreplay): webhooks signed with the old secret are
  accepted, then a new secret is added (both verify), then the old one is retired: webhooks
  signed with it are refused from then on, the new ones accepted.
"""
import http.client
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "pcap"))
sys.path.insert(0, os.path.join(ROOT, "tests", "sinks"))
sys.path.insert(0, HERE)
import hp_pcaptest as hp  # noqa: E402
import openapi_check  # noqa: E402
import sinkenv  # noqa: E402

CTL = os.path.join(ROOT, "tools", "hookpathctl")
HOST = "hooks.example.com"
OLD, NEW = "old-secret-0123456789", "new-secret-9876543210"
TOKEN = "api-token-0123456789abcdef"


UnixConn = hp.UnixConn


def start_hookpath(tmp, name, vdev, extra_yaml, port):
    sock = os.path.join(tmp, name + ".sock")
    tok = os.path.join(tmp, "token")
    with open(tok, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(tok, 0o600)
    cfg = os.path.join(tmp, name + ".yaml")
    with open(cfg, "w") as f:
        f.write("dataplane: {mode: tap}\n"
                "events: {file: %s/%s.jsonl}\n"
                "control: {api_socket: %s, api_listen: \"127.0.0.1:%d\", api_token_file: %s,"
                " api_max_body: 4096, state_file: %s/%s-state.json}\n"
                "endpoints:\n  - name: gh\n    match: {host: %s}\n    provider: github\n"
                "    secrets: [%s]\n%s" % (tmp, name, sock, port, tok, tmp, name, HOST, OLD,
                                          extra_yaml))
    p = subprocess.Popen([hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--lcores",
                          "0@0,1@1", "--file-prefix", "hp-api-%s-%d" % (name, os.getpid()),
                          "--log-level=lib.*:warning", "--vdev", vdev, "--", "-c", cfg],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for _ in range(200):
        if os.path.exists(sock):
            break
        if p.poll() is not None:
            raise AssertionError("hookpath exited: " + p.stdout.read())
        time.sleep(0.05)
    return p, sock


def stop(p):
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=30)
    return p.returncode, out


class Api:
    def __init__(self, sock, port):
        self.sock, self.port = sock, port
        self.bodies = []
        self.headers = None  # the last answer's headers

    def req(self, method, path, body=None, raw=None, tcp=False, token=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10) if tcp else \
            UnixConn(self.sock)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        text = r.read().decode()
        self.headers = r.headers
        c.close()
        self.bodies.append(text)
        try:
            doc = json.loads(text)
        except ValueError:
            doc = text
        # every live answer against docs/openapi.yaml (raw: a body made to be refused)
        openapi_check.check(method, path, r.status, doc)
        return r.status, doc


class Routes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmpdir = __import__("tempfile").TemporaryDirectory(prefix="hp-api-")
        cls.tmp = cls.tmpdir.name
        cls.port = sinkenv.free_port()
        cls.proc, cls.sock = start_hookpath(cls.tmp, "routes", "net_null0,no-rx=1", "",
                                            cls.port)
        cls.api = Api(cls.sock, cls.port)

    @classmethod
    def tearDownClass(cls):
        rc, out = stop(cls.proc)
        # no answer and no log line ever held a secret
        for text in cls.api.bodies + [out]:
            for s in (OLD, NEW, "whsec_api_test_secret", TOKEN):
                assert s not in text, "a secret leaked: " + text[:200]
        cls.tmpdir.cleanup()

    def refused(self, method, path, body=None, raw=None, status=400, field=None):
        """A change refused with status (and field): the configuration is unchanged."""
        before = self.api.req("GET", "/v1/endpoints")[1]
        limits = self.api.req("GET", "/v1/limits")[1]
        st, b = self.api.req(method, path, body=body, raw=raw)
        self.assertEqual(st, status, b)
        self.assertEqual(b["error"]["status"], status)
        self.assertTrue(b["error"]["message"])
        if field is not None:
            self.assertEqual(b["error"]["field"], field, b)
        self.assertEqual(self.api.req("GET", "/v1/endpoints")[1], before)
        self.assertEqual(self.api.req("GET", "/v1/limits")[1], limits)
        return b

    def test_openapi_lints_clean(self):
        self.assertEqual(openapi_check.lint(), [])

    def test_read_routes(self):
        st, b = self.api.req("GET", "/v1/health")
        self.assertEqual((st, b["status"]), (200, "ok"))
        st, b = self.api.req("GET", "/v1/ready")
        self.assertEqual((st, b["ready"]), (200, True))
        st, b = self.api.req("GET", "/v1/stats")
        self.assertEqual(st, 200)
        self.assertIn("rx_packets", b["counters"])
        self.assertIn("buckets", b["latency"])
        self.assertIn("gh", b["endpoints"])
        st, b = self.api.req("GET", "/v1/sinks")
        self.assertEqual((st, b["file"]["enabled"]), (200, True))
        self.assertEqual(self.api.req("POST", "/v1/health")[0], 405)
        self.assertEqual(self.api.req("GET", "/v1/nothing")[0], 404)
        self.assertEqual(self.api.req("GET", "/v1/endpoints/nope")[0], 404)

    def test_method_not_allowed_and_no_route(self):
        """A known path with another method: 405 and Allow; an unknown path: 404."""
        for method, path, allow in [
                ("POST", "/v1/health", "GET"),
                ("DELETE", "/v1/limits", "GET, PATCH"),
                ("PUT", "/v1/endpoints", "GET, POST"),
                ("POST", "/v1/endpoints/gh", "GET, PUT, PATCH, DELETE"),
                ("GET", "/v1/endpoints/gh/secrets", "POST"),
                ("GET", "/v1/endpoints/gh/secrets/000000000000", "DELETE, PATCH")]:
            with self.subTest(method=method, path=path):
                st, b = self.api.req(method, path)
                self.assertEqual(st, 405, b)
                self.assertEqual(b, {"error": {"status": 405, "field": None, "message":
                                               "method %s not allowed on %s" % (method, path)}})
                self.assertEqual(self.api.headers.get("Allow"), allow)
        for method, path in [("GET", "/v1/nothing"), ("POST", "/v1/endpointsx"),
                             ("GET", "/v1/health/x"), ("GET", "/v1/endpoints/gh/other"),
                             ("DELETE", "/v1/endpoints/gh/secrets/a/b")]:
            with self.subTest(method=method, path=path):
                st, b = self.api.req(method, path)
                self.assertEqual(st, 404, b)
                self.assertEqual(b, {"error": {"status": 404, "field": None,
                                               "message": "no route %s %s" % (method, path)}})
                self.assertIsNone(self.api.headers.get("Allow"))
        self.assertEqual(self.api.req("GET", "/v1/endpoints/gh")[0], 200)
        self.assertIsNone(self.api.headers.get("Allow"))

    def test_metrics_exposition(self):
        st, text = self.api.req("GET", "/metrics")
        self.assertEqual(st, 200)
        seen_type, seen_help = set(), set()
        # label names as Prometheus takes them, lower case: [a-z_][a-z0-9_]* (sha256)
        sample = re.compile(r'^((?:hookpath|process)_[a-z0-9_]+)'
                            r'(\{([a-z_][a-z0-9_]*="([^"\\]|\\.)*",?)*\})? [0-9.e+-]+$')
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                name = line.split()[2]
                self.assertNotIn(name, seen_type)
                seen_type.add(name)
            elif line.startswith("# HELP "):
                name = line.split()[2]
                self.assertNotIn(name, seen_help)
                seen_help.add(name)
            else:
                self.assertRegex(line, sample)
        self.assertEqual(seen_type, seen_help)
        for fam in ("hookpath_rx_packets_total", "hookpath_verdicts_total",
                    "hookpath_verdict_latency_seconds", "hookpath_events_written_total"):
            self.assertIn(fam, seen_type)
        self.assertIn('hookpath_verdict_latency_seconds_bucket{le="+Inf"}', text)

    def test_tcp_needs_token(self):
        self.assertEqual(self.api.req("GET", "/v1/health", tcp=True)[0], 401)
        self.assertEqual(self.api.req("GET", "/v1/health", tcp=True, token="x" * 26)[0], 401)
        self.assertEqual(self.api.req("GET", "/v1/health", tcp=True, token=TOKEN)[0], 200)
        self.assertEqual(self.api.req("POST", "/v1/endpoints", tcp=True,
                                      body={"name": "x"})[0], 401)

    def test_endpoint_lifecycle(self):
        ep = {"name": "st", "provider": "stripe", "secrets": ["whsec_api_test_secret"],
              "match": {"host": "a.example.com", "path_prefix": "/stripe"}}
        st, b = self.api.req("POST", "/v1/endpoints", body=ep)
        self.assertEqual(st, 201, b)
        self.assertEqual(len(b["secrets"]), 1)
        self.assertRegex(b["secrets"][0]["id"], "^[0-9a-f]{12}$")
        self.refused("POST", "/v1/endpoints", body=ep, status=409, field="name")
        st, b = self.api.req("PATCH", "/v1/endpoints/st", body={"tolerance_s": 600,
                                                                 "pii": {"policy": "report"}})
        self.assertEqual((st, b["tolerance_s"], b["pii"]["policy"]), (200, 600, "report"), b)
        st, b = self.api.req("PATCH", "/v1/endpoints/st", body={"pii": {"entities": ["email"]}})
        self.assertEqual(b["pii"], {"policy": "report", "entities": ["email"]})
        st, b = self.api.req("PUT", "/v1/endpoints/st", body={"provider": "stripe",
                                                               "match": {"host": "b.example.com"}})
        self.assertEqual(st, 200, b)
        self.assertNotIn("tolerance_s", b)  # replaced whole; secrets kept
        self.assertEqual(len(b["secrets"]), 1)
        st, b = self.api.req("GET", "/v1/stats")
        self.assertIn("st", b["endpoints"])
        self.assertEqual(self.api.req("DELETE", "/v1/endpoints/st")[0], 200)
        self.assertEqual(self.api.req("GET", "/v1/endpoints/st")[0], 404)
        self.refused("DELETE", "/v1/endpoints/st", status=404)

    def test_refused_endpoint_changes(self):
        ok = {"name": "bad", "provider": "stripe", "secrets": ["whsec_api_test_secret"]}
        cases = [
            (dict(ok, tolerance_s="abc"), "tolerance_s"),
            (dict(ok, tolerance_s=999999), "tolerance_s"),
            (dict(ok, secrets="whsec_x"), "secrets"),
            (dict(ok, match=[1, 2]), "match"),
            (dict(ok, provider="nope"), "provider"),
            (dict(ok, unknown_field=1), "unknown_field"),
            (dict(ok, pii={"policy": "sometimes"}), "pii.policy"),
            (dict(ok, name="bad name!"), "name"),
            ({"provider": "stripe"}, "name"),
            (dict(ok, secrets=[]), "secrets"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                self.refused("POST", "/v1/endpoints", body=body, field=field)
        self.refused("POST", "/v1/endpoints", raw="{not json", field=None)
        self.refused("POST", "/v1/endpoints", raw="[1,2,3]", field=None)
        self.refused("POST", "/v1/endpoints", raw="", field=None)
        self.refused("POST", "/v1/endpoints", raw='{"name":"a","name":"b"}', field=None)
        self.refused("POST", "/v1/endpoints", raw=json.dumps(dict(ok, pad="x" * 8000)),
                     status=413)
        self.refused("PATCH", "/v1/endpoints/gh", body={"name": "other"}, field="name")
        self.refused("PATCH", "/v1/endpoints/gh", body={"secrets": ["x"]}, field="secrets")
        self.refused("PATCH", "/v1/endpoints/gh", body={"tolerance_s": -1}, field="tolerance_s")
        self.refused("PUT", "/v1/endpoints/nope", body=ok, status=404)
        self.refused("DELETE", "/v1/endpoints", status=405)

    def test_secrets_and_limits(self):
        st, b = self.api.req("POST", "/v1/endpoints/gh/secrets", body={"secret": NEW})
        self.assertEqual(st, 201, b)
        new_id = b["id"]
        ids = [s["id"] for s in self.api.req("GET", "/v1/endpoints/gh")[1]["secrets"]]
        self.assertEqual(len(ids), 2)
        self.assertIn(new_id, ids)
        self.refused("POST", "/v1/endpoints/gh/secrets", body={"secret": 5}, field="secret")
        self.refused("POST", "/v1/endpoints/gh/secrets", body={"secret": "x", "y": 1},
                     field="y")
        self.refused("DELETE", "/v1/endpoints/gh/secrets/000000000000", status=404)
        self.assertEqual(self.api.req("DELETE", "/v1/endpoints/gh/secrets/" + new_id)[0], 200)
        self.refused("DELETE", "/v1/endpoints/gh/secrets/" + ids[0] if ids[0] != new_id
                     else ids[1], status=409, field="secrets")
        st, lim = self.api.req("GET", "/v1/limits")
        self.assertEqual(st, 200)
        st, b = self.api.req("PATCH", "/v1/limits",
                             body={"dataplane.flows.timeout_established_s": 120})
        self.assertEqual((st, b["dataplane.flows.timeout_established_s"]), (200, 120))
        self.refused("PATCH", "/v1/limits", body={"dataplane.mode": "bridge"},
                     field="dataplane.mode")
        self.refused("PATCH", "/v1/limits", body={"dataplane.flows.timeout_syn_s": "10"},
                     field="dataplane.flows.timeout_syn_s")
        self.refused("PATCH", "/v1/limits", body={"dataplane.flows.timeout_syn_s": 0},
                     field="dataplane.flows.timeout_syn_s")

    def test_hookpathctl(self):
        def ctl(*args):
            return subprocess.run([sys.executable, CTL, "--socket", self.sock] + list(args),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        r = ctl("--json", "endpoints", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["endpoints"][0]["name"], "gh")
        self.assertEqual(ctl("endpoints", "show", "nope").returncode, 1)
        self.assertEqual(ctl("ready").returncode, 0)
        r = ctl("endpoints", "set", "gh", "tolerance_s=abc")
        self.assertEqual(r.returncode, 1)
        self.assertIn("tolerance_s", r.stderr)
        r = ctl("top", "--count", "1", "--interval", "0.2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("verdicts", r.stdout)
        tok = os.path.join(self.tmp, "token")
        r = subprocess.run([sys.executable, CTL, "--url", "http://127.0.0.1:%d" % self.port,
                            "--token-file", tok, "health"], stdout=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 0)
        r = subprocess.run([sys.executable, CTL, "--socket", self.tmp + "/none.sock", "health"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 3)


    def complete(self, line):
        """What bash offers at the end of line, through the installed completion file (real
        bash, python3-argcomplete and the live instance)."""
        script = ('source %s\nCOMP_LINE=%s\nCOMP_POINT=${#COMP_LINE}\n'
                  'read -ra COMP_WORDS <<< "$COMP_LINE"\n'
                  '[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")\n'
                  'COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n'
                  'fn=$(complete -p hookpathctl | sed -E "s/.* -F ([^ ]+) .*/\\1/")\n'
                  '"$fn" hookpathctl "${COMP_WORDS[COMP_CWORD]}" '
                  '"${COMP_WORDS[COMP_CWORD-1]}"\n'
                  'printf "%%s\\n" "${COMPREPLY[@]}"\n' % (
                      os.path.join(ROOT, "deploy", "bash-completion", "hookpathctl"),
                      shlex.quote(line)))
        # hookpathctl runs with `env python3`: Debian's, which has python3-argcomplete
        env = dict(os.environ, PATH=os.path.join(ROOT, "tools") + ":/usr/bin:" +
                   os.environ["PATH"])
        r = subprocess.run(["bash", "-c", script], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=env, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [x.strip() for x in r.stdout.splitlines() if x.strip()]

    def test_bash_completion(self):
        """python3-argcomplete completes from hookpathctl's own parser, with what the running
        instance has: endpoint names, secret ids, live limit keys."""
        at = "hookpathctl --socket %s " % self.sock
        self.assertTrue({"health", "stats", "endpoints", "secrets", "top"} <=
                        set(self.complete("hookpathctl ")))
        self.assertEqual(set(self.complete(at + "endpoints ")),
                         {"list", "show", "add", "update", "set", "delete"})
        self.assertIn("gh", self.complete(at + "endpoints show "))
        self.assertEqual(self.complete(at + "endpoints show zz"), [])
        ids = [x["id"] for x in self.api.req("GET", "/v1/endpoints/gh")[1]["secrets"]]
        self.assertEqual(sorted(self.complete(at + "secrets retire gh ")), sorted(ids))
        keys = self.complete(at + "limits set dataplane.flows.")
        self.assertIn("dataplane.flows.timeout_established_s=", keys)
        self.assertTrue(all(k.startswith("dataplane.flows.") for k in keys), keys)
        self.assertIn("--interval", self.complete(at + "top --"))
        # no instance there: nothing offered, nothing printed, no error
        self.assertEqual(self.complete("hookpathctl --socket /nonexistent endpoints show "),
                         [])

    def test_hookpathctl_on_a_terminal(self):
        """Every read command in its table view, the default on a terminal: a pty as stdout
        (the view `--json` and pipes never reach; `stats` and `sinks` once crashed there)."""
        import pty
        for args in (["health"], ["ready"], ["stats"], ["stats", "--all"], ["sinks"],
                     ["endpoints", "list"], ["endpoints", "show", "gh"], ["limits", "show"],
                     ["models", "show"], ["top", "--count", "1", "--interval", "0.2"]):
            master, slave = pty.openpty()
            p = subprocess.Popen([sys.executable, CTL, "--socket", self.sock] + args,
                                 stdout=slave, stderr=subprocess.PIPE, text=True)
            os.close(slave)
            out = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the writer is gone
                    break
                if not chunk:
                    break
                out += chunk
            os.close(master)
            err = p.stderr.read()
            p.stderr.close()
            self.assertEqual(p.wait(timeout=30), 0, (args, err))
            text = out.decode("utf-8", "replace")
            self.assertNotIn("Traceback", text + err, args)
            self.assertFalse(text.lstrip().startswith("{"), (args, text[:200]))  # a table
            if args[0] == "sinks":
                self.assertIn("instance", text)
                self.assertIn("FILE", text)


class SocketOwnership(unittest.TestCase):
    """One API socket path, several instances: a live socket is never taken over (the second
    instance is refused, naming the key), and an instance that stops removes the socket file
    only if it is still its own (one made by a later instance after the first one's file was
    removed stays)."""

    def start(self, tmp, name, sock):
        cfg = os.path.join(tmp, name + ".yaml")
        with open(cfg, "w") as f:
            f.write("dataplane: {mode: tap}\ncontrol: {api_socket: %s, state_file: none}\n"
                    "endpoints:\n  - {name: h, match: {host: %s}, provider: none, "
                    "dedup: {key: none}}\n" % (sock, HOST))
        return subprocess.Popen(
            [hp.HOOKPATH, "--no-huge", "-m", "256", "--no-pci", "--lcores", "0@0,1@1",
             "--file-prefix", "hp-sock-%s-%d" % (name, os.getpid()),
             "--log-level=lib.*:warning", "--vdev", "net_null0,no-rx=1", "--", "-c", cfg],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def wait_sock(self, p, sock):
        """Until the API answers. The path exists from bind(); a connect before listen() is
        refused: not ready yet, like no path at all."""
        for _ in range(200):
            try:
                if os.path.exists(sock) and hp.api(sock, "GET", "/v1/health")[0] == 200:
                    return
            except (ConnectionRefusedError, FileNotFoundError):
                pass
            if p.poll() is not None:
                self.fail("hookpath exited: " + p.stdout.read()[-2000:])
            time.sleep(0.05)
        self.fail("no API socket " + sock)

    def test_live_socket_kept(self):
        with __import__("tempfile").TemporaryDirectory(prefix="hp-sock-") as tmp:
            sock = os.path.join(tmp, "api.sock")
            a = self.start(tmp, "a", sock)
            c = None
            try:
                self.wait_sock(a, sock)
                b = self.start(tmp, "b", sock)
                out, _ = b.communicate(timeout=60)
                self.assertNotEqual(b.returncode, 0, out[-2000:])
                self.assertIn("control.api_socket: %s is in use by another process" % sock,
                              out)
                self.assertEqual(hp.api(sock, "GET", "/v1/health")[0], 200)  # a still there
                os.unlink(sock)  # removed under a (an operator, a cleanup script)
                c = self.start(tmp, "c", sock)
                self.wait_sock(c, sock)
                rc, out = stop(a)
                self.assertEqual(rc, 0, out[-2000:])
                self.assertTrue(os.path.exists(sock), "a removed c's socket")
                self.assertEqual(hp.api(sock, "GET", "/v1/health")[0], 200)
                rc, out = stop(c)
                self.assertEqual(rc, 0, out[-2000:])
                self.assertFalse(os.path.exists(sock))  # c removes its own
            finally:
                for p in (a, c):
                    if p is not None and p.poll() is None:
                        p.kill()
                        p.communicate(timeout=30)


@unittest.skipUnless(sinkenv.can_veth(), "needs root, veth pairs and tcpreplay")
class LiveRotation(unittest.TestCase):
    def setUp(self):
        self.tmpdir = __import__("tempfile").TemporaryDirectory(prefix="hp-api-live-")
        self.tmp = self.tmpdir.name
        self.veth = sinkenv.Veth("hpapi")
        self.VA, self.VB = self.veth.a, self.veth.b

    def tearDown(self):
        self.veth.delete()
        self.tmpdir.cleanup()

    def pcap(self, name, secret, seed):
        path = os.path.join(self.tmp, name + ".pcap")
        man = os.path.join(self.tmp, name + ".json")
        hp.gen(self.tmp, "webhooks", "-o", path, "--manifest", man, "--sessions", "20",
               "--provider", "github", "--secret", secret, "--cases", "valid", "--host", HOST,
               "--sign-time", str(int(time.time())), "--seed", str(seed))
        with open(man) as f:
            return path, {r["webhook_id"] for r in json.load(f)["requests"]}

    def send(self, path):
        subprocess.run(["tcpreplay", "-q", "-i", self.VA, "--pps", "250", path], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def test_rotate_secret_mid_run(self):
        port = sinkenv.free_port()
        proc, sock = start_hookpath(self.tmp, "live", "net_pcap0,iface=" + self.VB, "", port)
        api = Api(sock, port)
        try:
            # ready (ports up, the worker polling) before the first frame: on a loaded box
            # the first set was once half lost to a capture not yet reading
            for _ in range(100):
                if proc.poll() is not None:
                    self.fail("hookpath exited: " + proc.stdout.read())
                # the socket file appears only once it listens (ctl_api.c): no refusal here
                if api.req("GET", "/v1/ready")[0] == 200:
                    break
                time.sleep(0.1)
            time.sleep(0.5)
            old1 = self.pcap("old1", OLD, 11)
            self.send(old1[0])
            st, b = api.req("POST", "/v1/endpoints/gh/secrets", body={"secret": NEW})
            self.assertEqual(st, 201, b)
            new1, old2 = self.pcap("new1", NEW, 12), self.pcap("old2", OLD, 13)
            self.send(new1[0])
            self.send(old2[0])
            old_id = [s["id"] for s in api.req("GET", "/v1/endpoints/gh")[1]["secrets"]
                      if s["id"] != b["id"]][0]
            self.assertEqual(api.req("DELETE", "/v1/endpoints/gh/secrets/" + old_id)[0], 200)
            old3, new2 = self.pcap("old3", OLD, 14), self.pcap("new2", NEW, 15)
            self.send(old3[0])
            self.send(new2[0])
        finally:
            rc, out = stop(proc)
        self.assertEqual(rc, 0, out[-2000:])
        verdict = {}
        for e in hp.read_events(os.path.join(self.tmp, "live.jsonl")):
            verdict[e.get("webhook_id")] = (e["verdict"], e["reason"])
        for ids, want in ((old1[1], "accept"), (new1[1], "accept"), (old2[1], "accept"),
                          (old3[1], "reject"), (new2[1], "accept")):
            # a frame the live capture lost (a loaded CI machine) loses one event, never a
            # verdict: every event there is must have the expected one (a clean-clone CI
            # under ASan once saw 14 of 20: at least half)
            got = [verdict[i][0] for i in ids if i in verdict]
            self.assertGreaterEqual(len(got), len(ids) // 2, (want, len(got)))
            self.assertEqual(set(got), {want}, (want, [verdict.get(i) for i in ids]))
        self.assertEqual({verdict[i][1] for i in old3[1] if i in verdict}, {"bad_signature"})


if __name__ == "__main__":
    hp.main()
