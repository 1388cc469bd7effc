#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Redis and Postgres sinks against real servers (sinkenv.py): every event of the events file
arrives in the Redis Stream and in the Postgres table exactly once, ids equal.

- pcap runs: both sinks up; both down (everything spooled, then replayed in order by the next
  run); a spool replayed twice (the sinks absorb the duplicates and count them); a torn spool
  tail (truncated at open, counted, the rest delivered).
- live run (root, a veth pair, tcpreplay at a fixed rate into hookpath in tap mode): Redis is
  killed with SIGKILL in the middle of the run and restarted, then Postgres; hookpath gets
  SIGTERM while traffic still flows. Every event ends up in each sink exactly once, the rx
  counter rises every second throughout, and the spools are empty at the end.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pcap"))
import hp_pcaptest as hp  # noqa: E402
import sinkenv  # noqa: E402

HOST = "hooks.example.com"
SECRET = "s3cret"


def sinks_yaml(tmp, name, redis=None, pg=None, extra=""):
    y = ("events: {file: %s/%s.jsonl}\ncontrol: {instance: %s}\nsinks:\n"
         "  spool: {dir: %s/spool-%s, fsync: always}\n"
         "  breaker: {cooldown_ms: 100, cooldown_max_ms: 400}\n"
         "  redis: {url: \"%s\", timeout_ms: 500}\n"
         "  postgres: {dsn: \"%s\", timeout_ms: 1000}\n" %
         (tmp, name, name, tmp, name, redis.url if redis else "redis://127.0.0.1:1",
          pg.dsn if pg else "host=127.0.0.1 port=1 user=x dbname=x"))
    return y + extra + ("endpoints:\n  - name: gh\n    match: {host: %s}\n    provider: github\n"
                        "    secrets: [%s]\n" % (HOST, SECRET))


def file_ids(path):
    return [e["event_id"] for e in hp.read_events(path)]


class Env(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmpdir = __import__("tempfile").TemporaryDirectory(prefix="hp-sinks-")
        cls.tmp = cls.tmpdir.name
        cls.redis = sinkenv.Redis(cls.tmp)
        cls.pg = sinkenv.Postgres(cls.tmp)
        cls.pcap = os.path.join(cls.tmp, "wh.pcap")
        hp.gen(cls.tmp, "webhooks", "-o", cls.pcap, "--sessions", "600", "--provider",
               "github", "--secret", SECRET, "--cases", "valid,tampered,replayed",
               "--host", HOST, "--sign-time", str(int(time.time())))

    @classmethod
    def tearDownClass(cls):
        cls.redis.stop()
        cls.pg.stop()
        cls.tmpdir.cleanup()

    def run_pcap(self, name, redis, pg, extra=""):
        st, _ = hp.run_hookpath(self.tmp, [self.pcap], hp.tap_cfg(
            sinks_yaml(self.tmp, name, redis, pg, extra)), idle_ms=300)
        return st

    def assert_exactly_once(self, name, expect_ids):
        r = self.redis.stream_ids("hookpath:events:" + name)
        p = self.pg.event_ids(name)
        self.assertEqual(len(r), len(set(r)), "redis has duplicate entries")
        self.assertEqual(len(p), len(set(p)), "postgres has duplicate rows")
        self.assertEqual(r, expect_ids, "redis stream ids differ from the events file")
        self.assertEqual(sorted(p), sorted(expect_ids), "postgres ids differ from the events file")



class PcapRuns(Env):
    def test_1_both_up(self):
        st = self.run_pcap("up", self.redis, self.pg)
        ids = file_ids(os.path.join(self.tmp, "up.jsonl"))
        self.assertGreater(len(ids), 500)
        self.assert_exactly_once("up", ids)
        for s in ("redis", "postgres"):
            self.assertEqual(st["sinks"][s]["sent_total"], len(ids))
            self.assertEqual(st["sinks"][s]["duplicates_total"], 0)
            self.assertEqual(st["sinks"][s]["spool"]["records"], 0)
        # the table's columns agree with the event
        ev = hp.read_events(os.path.join(self.tmp, "up.jsonl"))[0]
        row = self.pg.query("SELECT endpoint, webhook_id, verdict, reason, latency_ns, "
                            "event->>'event_id' FROM hookpath_events WHERE instance='up' "
                            "AND event_id='%s'" % ev["event_id"])[0].split("|")
        self.assertEqual(row, [ev["endpoint"], ev["webhook_id"], ev["verdict"], ev["reason"],
                               str(ev["latency_ns"]), ev["event_id"]])
        entry = self.redis.cli("--raw", "XRANGE", "hookpath:events:up", ev["event_id"],
                               ev["event_id"]).split("\n")
        self.assertEqual(json.loads(entry[2]), ev)

    def test_2_down_then_replayed(self):
        # both sinks unreachable: everything goes to the spools, durable
        st = self.run_pcap("down", None, None)
        ids1 = file_ids(os.path.join(self.tmp, "down.jsonl"))
        for s in ("redis", "postgres"):
            self.assertEqual(st["sinks"][s]["sent_total"], 0)
            self.assertGreaterEqual(st["sinks"][s]["failures_total"], 1)
            self.assertEqual(st["sinks"][s]["spool"]["records"], len(ids1))
        saved = os.path.join(self.tmp, "spool-down-copy")
        shutil.copytree(os.path.join(self.tmp, "spool-down"), saved)
        # next run, sinks up: the spool is replayed first, in order, then the new events
        os.rename(os.path.join(self.tmp, "down.jsonl"), os.path.join(self.tmp, "down1.jsonl"))
        st = self.run_pcap("down", self.redis, self.pg)
        ids2 = file_ids(os.path.join(self.tmp, "down.jsonl"))
        self.assert_exactly_once("down", ids1 + ids2)
        for s in ("redis", "postgres"):
            # the old records, and this run's (spooled behind them to keep the order)
            sp = st["sinks"][s]["spool"]
            self.assertEqual(sp["replayed_total"], len(ids1) + sp["appended_total"], s)
            self.assertEqual(sp["records"], 0)
        self.assertEqual(glob.glob(os.path.join(self.tmp, "spool-down", "*", "*.seg")), [])
        # a crash replay: the same spool again; both sinks absorb it and count duplicates
        shutil.rmtree(os.path.join(self.tmp, "spool-down"))
        shutil.copytree(saved, os.path.join(self.tmp, "spool-down"))
        os.rename(os.path.join(self.tmp, "down.jsonl"), os.path.join(self.tmp, "down2.jsonl"))
        st = self.run_pcap("down", self.redis, self.pg)
        ids3 = file_ids(os.path.join(self.tmp, "down.jsonl"))
        self.assert_exactly_once("down", ids1 + ids2 + ids3)
        for s in ("redis", "postgres"):
            self.assertEqual(st["sinks"][s]["duplicates_total"], len(ids1), s)

    def test_3_torn_spool_tail(self):
        self.run_pcap("torn", None, None)
        ids1 = file_ids(os.path.join(self.tmp, "torn.jsonl"))
        # a crash in the middle of an append: the last record is cut short
        for sink in ("redis", "postgres"):
            seg = sorted(glob.glob(os.path.join(self.tmp, "spool-torn", sink, "*.seg")))[-1]
            with open(seg, "r+b") as f:
                f.truncate(os.path.getsize(seg) - 100)
        os.rename(os.path.join(self.tmp, "torn.jsonl"), os.path.join(self.tmp, "torn1.jsonl"))
        st = self.run_pcap("torn", self.redis, self.pg)
        ids2 = file_ids(os.path.join(self.tmp, "torn.jsonl"))
        self.assert_exactly_once("torn", ids1[:-1] + ids2)
        for s in ("redis", "postgres"):
            self.assertEqual(st["sinks"][s]["spool"]["corrupt_total"], 1)


@unittest.skipUnless(sinkenv.can_veth(), "needs root, veth pairs and tcpreplay")
class LiveFaults(Env):
    def setUp(self):
        self.veth = sinkenv.Veth("hpsk")
        self.VA, self.VB = self.veth.a, self.veth.b

    def tearDown(self):
        self.veth.delete()

    def test_kill9_redis_then_postgres_then_sigterm(self):
        name = "live"
        cfg = os.path.join(self.tmp, "live.yaml")
        text = hp.tap_cfg(sinks_yaml(self.tmp, name, self.redis, self.pg))
        with open(cfg, "w") as f:
            f.write(text.replace("control: {instance: live}",
                                 "control: {instance: live, stats_interval_s: 1}"))
        stats = os.path.join(self.tmp, "live.json")
        hpp = subprocess.Popen(
            [hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--lcores", "0@0,1@1",
             "--file-prefix", "hp-sinks-live-%d" % os.getpid(), "--log-level=lib.*:warning",
             "--vdev", "net_pcap0,iface=%s" % self.VB, "--", "-c", cfg, "--stats-file", stats],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(1.5)
        replay = subprocess.Popen(["tcpreplay", "-q", "-i", self.VA, "--pps", "3000",
                                   "--loop", "0", self.pcap],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(2)
            self.redis.kill9()
            time.sleep(2.5)
            self.redis.start()
            time.sleep(2)
            self.pg.kill9()
            time.sleep(2.5)
            self.pg.start()
            time.sleep(2.5)
            hpp.send_signal(signal.SIGTERM)  # traffic still flowing
            out, _ = hpp.communicate(timeout=60)
        finally:
            replay.kill()
            replay.wait()
            if hpp.poll() is None:
                hpp.kill()
        self.assertEqual(hpp.returncode, 0, out[-3000:])
        ids = file_ids(os.path.join(self.tmp, "live.jsonl"))
        self.assertGreater(len(ids), 3000)
        self.assert_exactly_once(name, ids)
        with open(stats) as f:
            st = json.load(f)
        for s in ("redis", "postgres"):
            sk = st["sinks"][s]
            self.assertGreaterEqual(sk["failures_total"], 1, s)
            self.assertGreaterEqual(sk["spool"]["appended_total"], 1, s)
            self.assertEqual(sk["spool"]["records"], 0, s)
            self.assertEqual(sk["spool"]["replayed_total"], sk["spool"]["appended_total"], s)
        # workers never stalled: rx rose in every one-second stats line while sinks were down
        rates = [float(line.split("rx ")[1].split(" pps")[0]) for line in out.splitlines()
                 if line.startswith("stats: rx")]
        self.assertGreaterEqual(len(rates), 9, out[-2000:])
        self.assertTrue(all(r > 1000 for r in rates[2:-1]), rates)


if __name__ == "__main__":
    hp.main()
