# SPDX-License-Identifier: BSD-3-Clause
"""Real Redis and Postgres servers for the sink tests: each in a temporary directory, on
loopback, on a free port, started and stopped (or killed with SIGKILL) by the test.

Postgres refuses to run as root, so initdb and the server run as the `postgres` user (created
by the Debian package) in a directory it owns. Redis keeps an append-only file (fsync always)
so that a server killed with SIGKILL and restarted still has what it acknowledged.
"""
import atexit
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PGBIN = "/usr/lib/postgresql/15/bin"


def free_port():
    """A loopback port nothing listens on now, below Linux's ephemeral range (32768-60999) so
    that no outgoing connection takes it meanwhile. Two tests running at once can still draw
    the same one: the servers below check that the one answering is theirs."""
    rng = random.SystemRandom()
    while True:
        port = rng.randrange(20000, 32000)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()


def wait_port(port, timeout=15.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on 127.0.0.1:%d after %.0f s" % (port, timeout))


class Redis:
    def __init__(self, tmp, appendfsync="always"):
        """appendfsync: always (the tests: nothing acknowledged is lost to SIGKILL), everysec
        (common in production; the benchmark) or "off" (no append-only file)."""
        self.appendfsync = appendfsync
        self.dir = os.path.join(tmp, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None
        # stopped at exit whatever happens: a setUpClass that fails after this (Postgres
        # not starting) never reaches its tearDownClass, and the server outlived the test
        atexit.register(self.stop)
        for _ in range(5):  # another test's server may have taken the port first
            self.port = free_port()
            try:
                self.start()
                return
            except RuntimeError as e:
                self.stop()
                err = e
        raise err

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "no" if self.appendfsync == "off" else "yes",
             "--appendfsync", "always" if self.appendfsync == "off" else self.appendfsync,
             "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        for _ in range(100):  # loading the AOF: PING answers LOADING until done
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server on port %d exited (port taken?)" % self.port)
            if self.cli("PING").strip() == "PONG":
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("redis did not become ready")
        # the server answering must be this one, not another test's on the same port
        info = self.cli("INFO", "server")
        pid = [line.split(":")[1].strip() for line in info.splitlines()
               if line.startswith("process_id:")]
        if pid != [str(self.proc.pid)]:
            raise RuntimeError("port %d answered by redis pid %s, not ours (%d)" % (
                self.port, pid, self.proc.pid))

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port)] + [str(a) for a in args],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              check=False).stdout

    def stream_ids(self, key):
        """Every entry id of the stream, in order (XRANGE in pages)."""
        ids, start = [], "-"
        while True:
            out = self.cli("--raw", "XRANGE", key, start, "+", "COUNT", 10000).split("\n")
            page = [line for line in out if line and line[0].isdigit() and "-" in line and
                    line.replace("-", "").isdigit()]
            if start != "-" and page and page[0] == start:
                page = page[1:]
            if not page:
                return ids
            ids += page
            start = page[-1]


class Postgres:
    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "pg")
        os.chmod(tmp, 0o711)  # postgres must reach its directory (traverse only)
        os.makedirs(self.dir)
        shutil.chown(self.dir, "postgres")
        self._as_pg([PGBIN + "/initdb", "-D", self.dir + "/data", "-U", "hookpath",
                     "--auth=trust", "-E", "UTF8", "--no-sync"])
        for attempt in range(5):  # pg_ctl -w fails if the postmaster cannot bind the port
            self.port = free_port()
            try:
                self.start()
                break
            except subprocess.CalledProcessError:
                if attempt == 4:
                    raise
        subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U",
                        "hookpath", "-d", "postgres", "-c", "CREATE DATABASE hookpath"],
                       check=True)
        subprocess.run([os.path.join(REPO, "deploy", "migrate.sh"), self.dsn], check=True,
                       stdout=subprocess.DEVNULL)

    @property
    def dsn(self):
        return "host=127.0.0.1 port=%d user=hookpath dbname=hookpath" % self.port

    def _as_pg(self, cmd):
        subprocess.run(["runuser", "-u", "postgres", "--"] + cmd, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self):
        self._as_pg([PGBIN + "/pg_ctl", "-D", self.dir + "/data", "-w", "-l",
                     self.dir + "/server.log", "-o",
                     "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off" %
                     (self.port, self.dir), "start"])
        wait_port(self.port)

    def pids(self):
        with open(self.dir + "/data/postmaster.pid") as f:
            pm = int(f.readline())
        kids = subprocess.run(["pgrep", "-P", str(pm)], stdout=subprocess.PIPE,
                              text=True).stdout.split()
        return [pm] + [int(k) for k in kids]

    def kill9(self):
        """SIGKILL the postmaster and every backend: a crash, not a shutdown."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.3)

    def stop(self):
        try:
            self._as_pg([PGBIN + "/pg_ctl", "-D", self.dir + "/data", "-m", "immediate",
                         "stop"])
        except subprocess.CalledProcessError:
            pass

    def query(self, sql):
        return subprocess.run(["psql", "-X", "-tA", "-h", "127.0.0.1", "-p", str(self.port),
                               "-U", "hookpath", "-d", "hookpath", "-c", sql],
                              stdout=subprocess.PIPE, check=True, text=True).stdout.split("\n")

    def event_ids(self, instance):
        return [x for x in self.query("SELECT event_id FROM hookpath_events WHERE instance = '%s'"
                                      % instance) if x]


def can_veth():
    """Root, veth pairs and tcpreplay: what the live tests need."""
    if os.geteuid() != 0 or shutil.which("tcpreplay") is None:
        return False
    r = subprocess.run(["ip", "link", "add", "hpprobe%d-0" % (os.getpid() % 10000), "type",
                        "veth", "peer", "name", "hpprobe%d-1" % (os.getpid() % 10000)],
                       stderr=subprocess.DEVNULL)
    subprocess.run(["ip", "link", "del", "hpprobe%d-0" % (os.getpid() % 10000)],
                   stderr=subprocess.DEVNULL)
    return r.returncode == 0


class Veth:
    """A veth pair (a: where tcpreplay sends, b: what hookpath reads), offloads off so that
    frames are what the wire would carry, IPv6 off so the kernel adds no noise."""

    def __init__(self, tag):
        self.a = "%s%d-a" % (tag, os.getpid() % 10000)
        self.b = "%s%d-b" % (tag, os.getpid() % 10000)
        subprocess.run(["ip", "link", "add", self.a, "type", "veth", "peer", "name", self.b],
                       check=True)
        for v in (self.a, self.b):
            subprocess.run(["ip", "link", "set", v, "up"], check=True)
            subprocess.run(["ethtool", "-K", v, "tso", "off", "gso", "off", "gro", "off",
                            "tx", "off", "rx", "off"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % v, "w") as f:
                f.write("1")

    def delete(self):
        subprocess.run(["ip", "link", "del", self.a], stderr=subprocess.DEVNULL)


def replay_live(tag, make_cmd, pcap, pps, cpu=None):
    """hookpath (make_cmd(iface): its command line, reading iface) on one end of a fresh veth
    pair, tcpreplay of pcap at pps into the other end, then SIGTERM; the pair is removed.
    tcpreplay (pinned to cpu when given) starts once hookpath has logged its "<mode> mode, N
    worker(s)" line: ports up, workers starting."""
    veth = Veth(tag)
    p = subprocess.Popen(make_cmd(veth.b), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    running = threading.Event()

    def drain():
        for line in p.stdout:
            if " mode, " in line:
                running.set()
        running.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        running.wait(60)
        time.sleep(0.3)
        pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
        subprocess.run(pin + ["tcpreplay", "-q", "-i", veth.a, "--pps", str(pps), pcap],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        p.wait(60)
    finally:
        if p.poll() is None:
            p.kill()
        veth.delete()
