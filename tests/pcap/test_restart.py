#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Replay protection across restarts (replay_cache.snapshot, docs/DEDUP.md "Across restarts").

One pcap of signed Stripe webhooks (fresh timestamps, so they stay inside the tolerance
window for the whole test), hookpath in bridge mode (both directions enter port 0; port 1
carries what the servers get):

- run 1 accepts every webhook and writes the replay cache to the snapshot file at stop; run 2,
  a new process with the same configuration, loads it and refuses every one of them as a
  duplicate: tshark finds no complete request on the server side, the server gets a RST, the
  client a 409;
- with `snapshot: off` run 2 accepts them all again (what the feature prevents);
- a crash: hookpath is SIGKILLed after a periodic snapshot (snapshot_interval_s: 1) that
  holds every accepted webhook; the restarted process refuses them as duplicates (a torn
  <path>.tmp left by the crash does not matter);
- a corrupt snapshot: hookpath refuses to start (exit 1, a message saying why), leaves the
  file as it was, and starts empty once the operator moved it aside.
"""
import json
import os
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hp_pcaptest as hp  # noqa: E402

HOST = "hooks.example.com"
SECRET = "whsec_hookpath_restart_0123456789"
N = 24


def snapshot_count(path):
    """Entry count of a snapshot file (header: magic, version, key length, count, saved ms),
    or None if there is none (yet)."""
    try:
        with open(path, "rb") as f:
            hdr = f.read(32)
    except FileNotFoundError:
        return None
    magic, version, key_len, count, _ = struct.unpack("<8sIIQQ", hdr)
    assert (magic, version, key_len) == (b"HPREPLAY", 1, 16), hdr
    return count


def complete_events(path):
    """The events a running hookpath has written so far: whole lines only (the last one may be
    half written)."""
    try:
        with open(path) as f:
            data = f.read()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in data.split("\n")[:-1] if line.strip()]


class Restart(hp.TmpDirCase):
    seed = 0

    def gen_webhooks(self, provider="stripe"):
        Restart.seed += 1
        pcap = os.path.join(self.tmp, "wh%d.pcap" % self.seed)
        man = os.path.join(self.tmp, "wh%d.json" % self.seed)
        now = int(time.time())
        hp.gen(self.tmp, "webhooks", "-o", pcap, "--manifest", man, "--sessions", str(N),
               "--provider", provider, "--secret", SECRET, "--cases", "valid", "--host", HOST,
               "--body-size", "700", "--seed", str(self.seed), "--sign-time", str(now),
               "--start-time", str(now))
        with open(man) as f:
            reqs = json.load(f)["requests"]
        self.assertEqual(len(reqs), N)
        return pcap, reqs

    def config(self, name, snapshot, interval=60, provider="stripe"):
        events = os.path.join(self.tmp, name + ".jsonl")
        if os.path.exists(events):
            os.unlink(events)
        cfg = hp.bridge_cfg(
            "events: {file: %s}\n"
            "replay_cache: {snapshot: \"%s\", snapshot_interval_s: %d}\n"
            "endpoints:\n"
            "  - name: ep-stripe\n"
            "    match: {host: %s, path_prefix: /}\n"
            "    provider: %s\n"
            "    secrets: [%s]\n" % (events, snapshot, interval, HOST, provider,
                                  json.dumps(SECRET)))
        return cfg, events

    def run_once(self, name, pcap, snapshot, expect_rc=0, provider="stripe", env=(), log=None):
        cfg, events = self.config(name, snapshot, provider=provider)
        st, frames = hp.run_hookpath(self.tmp, [pcap, None], cfg, expect_rc=expect_rc,
                                     wrapper=("env",) + tuple(env) if env else (), log=log)
        if expect_rc != 0:
            return st, None, None
        return st, frames, hp.read_events(events)

    def start_by_hand(self, name, pcap, snap, extra=()):
        """hookpath bridging pcap with periodic snapshots every second and no --exit-idle-ms:
        it runs until signalled. Returns (process, its log file open for reading, events
        path)."""
        cfg, events = self.config(name, snap, interval=1)
        cfg_path = os.path.join(self.tmp, name + ".yaml")
        with open(cfg_path, "w") as f:
            f.write(cfg)
        empty = os.path.join(self.tmp, name + "-empty.pcap")
        hp.write_pcap(empty, [])
        log = open(os.path.join(self.tmp, name + ".log"), "w+")
        cmd = [hp.HOOKPATH, "--no-huge", "-m", "512", "--no-pci", "--lcores", "0@0,1@1",
               "--file-prefix", "hp-restart-%s-%d" % (name, os.getpid()),
               "--log-level=lib.*:warning",
               "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (
                   pcap, os.path.join(self.tmp, name + "-p0.pcap")),
               "--vdev", "net_pcap1,rx_pcap=%s,tx_pcap=%s" % (
                   empty, os.path.join(self.tmp, name + "-p1.pcap")),
               "--", "-c", cfg_path] + list(extra)
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log, events

    def verdicts(self, evs):
        return sorted({(e["verdict"], e["reason"]) for e in evs})

    def server_requests(self, frames, name):
        """Complete requests the server side received, per tshark's own TCP reassembly and
        HTTP dissection: (client "ip:port", body bytes)."""
        out = os.path.join(self.tmp, name + "-server.pcap")
        hp.write_pcap(out, frames[1])
        rows = hp.tshark(out, ["ip.src", "tcp.srcport", "http.file_data"], "http.request")
        return [("%s:%s" % (a, p), body) for a, p, body in rows]

    def check_refused(self, st, frames, evs, reqs, name):
        self.assertEqual(len(evs), N, evs)
        self.assertEqual(self.verdicts(evs), [("duplicate", "duplicate")])
        self.assertEqual(sorted(e["webhook_id"] for e in evs),
                         sorted(r["webhook_id"] for r in reqs))
        self.assertEqual(self.server_requests(frames, name), [])
        c = st["counters"]
        self.assertEqual(c["verdict_duplicate"], N)
        self.assertEqual(c["verdict_accept"], 0)
        self.assertEqual(c["reject_rst_server"], N)
        to_client = os.path.join(self.tmp, name + "-client.pcap")
        hp.write_pcap(to_client, frames[0])
        codes = hp.tshark(to_client, ["http.response.code"], "http.response")
        self.assertEqual([x[0] for x in codes], ["409"] * N)

    def check_accepted(self, frames, evs, reqs, name):
        self.assertEqual(len(evs), N, evs)
        self.assertEqual(self.verdicts(evs), [("accept", "ok")])
        got = self.server_requests(frames, name)
        # the oracle sees every request, body included, so its silence in run 2 means
        # something
        self.assertEqual(sorted(c for c, _ in got), sorted(r["flow"].split("->")[0] for r in reqs))
        self.assertTrue(all(len(b) >= 700 for _, b in got), got[:2])

    def test_restart_refuses_replays(self):
        pcap, reqs = self.gen_webhooks()
        snap = os.path.join(self.tmp, "replay-a.snap")
        st, frames, evs = self.run_once("a1", pcap, snap)
        self.check_accepted(frames, evs, reqs, "a1")
        self.assertEqual(snapshot_count(snap), N)
        sn = st["replay_cache"]["snapshot"]
        self.assertEqual((sn["loaded"], sn["failed"]), (0, 0), sn)
        self.assertEqual(os.stat(snap).st_mode & 0o777, 0o600)
        self.assertFalse(os.path.exists(snap + ".tmp"))
        # a new process, same configuration, same webhooks
        st, frames, evs = self.run_once("a2", pcap, snap)
        self.check_refused(st, frames, evs, reqs, "a2")
        self.assertEqual(st["replay_cache"]["snapshot"]["loaded"], N)
        # still all of them in the snapshot that run 2 wrote at its stop
        self.assertEqual(snapshot_count(snap), N)

    def test_body_hash_key_on_both_engines(self):
        """Slack's replay key is the body hash. Where SHA-NI runs, verify's HMAC hashes the
        body for it as a second chain (docs/VERIFY.md); HOOKPATH_SHA=openssl computes it with
        OpenSSL after verification. The keys must be the same bytes: a snapshot written on one
        engine makes the other refuse every webhook as a duplicate, both ways."""
        for first, second in ((), ("HOOKPATH_SHA=openssl",)), (("HOOKPATH_SHA=openssl",), ()):
            pcap, reqs = self.gen_webhooks("slack")
            snap = os.path.join(self.tmp, "replay-slack-%d.snap" % self.seed)
            log = []
            st, frames, evs = self.run_once("s1-%d" % self.seed, pcap, snap, provider="slack",
                                            env=first, log=log)
            self.assertEqual(self.verdicts(evs), [("accept", "ok")])
            # the start names the engine it chose (SHA-NI, or OpenSSL's and why)
            self.assertEqual("SHA-256 (HMAC-SHA256, replay and token keys): OpenSSL's "
                             "(HOOKPATH_SHA=openssl)" in log[0], bool(first), log[0][-2000:])
            self.assertIn("SHA-256 (HMAC-SHA256, replay and token keys): ", log[0])
            self.assertEqual(snapshot_count(snap), N)
            st, frames, evs = self.run_once("s2-%d" % self.seed, pcap, snap, provider="slack",
                                            env=second)
            self.assertEqual(len(evs), N, evs)
            self.assertEqual(self.verdicts(evs), [("duplicate", "duplicate")], (first, second))
            self.assertEqual(self.server_requests(frames, "s2-%d" % self.seed), [])
            self.assertEqual(st["counters"]["verdict_duplicate"], N)

    def test_snapshot_failures_counted(self):
        """A periodic snapshot that cannot be written (its directory removed under the running
        process) is counted and logged, and so is the final one; the ones written before are
        counted with their entries."""
        pcap, reqs = self.gen_webhooks()
        sdir = os.path.join(self.tmp, "snapdir")
        os.mkdir(sdir)
        snap = os.path.join(sdir, "replay.snap")
        stats = os.path.join(self.tmp, "fail1-stats.json")
        proc, log, _ = self.start_by_hand("fail1", pcap, snap, ["--stats-file", stats])
        try:
            deadline = time.time() + 120
            while time.time() < deadline and proc.poll() is None:
                if snapshot_count(snap) == N:
                    break
                time.sleep(0.1)
            self.assertEqual(snapshot_count(snap), N, "no periodic snapshot with every entry")
            for name in os.listdir(sdir):
                os.unlink(os.path.join(sdir, name))
            os.rmdir(sdir)
            deadline = time.time() + 60
            while time.time() < deadline and proc.poll() is None:
                log.seek(0)
                if "periodic snapshot not written" in log.read():
                    break
                time.sleep(0.1)
            self.assertIsNone(proc.poll(), "hookpath exited early")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        log.seek(0)
        out = log.read()
        log.close()
        self.assertEqual(proc.returncode, 0, out[-3000:])
        self.assertIn("periodic snapshot not written", out)
        self.assertIn("replay cache: NOT saved", out)
        with open(stats) as f:
            sn = json.load(f)["replay_cache"]["snapshot"]
        self.assertGreaterEqual(sn["written"], 1, sn)
        self.assertGreaterEqual(sn["failed"], 2, sn)  # a periodic one and the final one
        self.assertEqual(sn["last_entries"], N, sn)
        self.assertGreater(sn["last_age_s"], 0, sn)

    def test_snapshot_off_accepts_again(self):
        """Without the snapshot a restart forgets: the same webhooks are accepted again."""
        pcap, reqs = self.gen_webhooks()
        st, frames, evs = self.run_once("off1", pcap, "off")
        self.check_accepted(frames, evs, reqs, "off1")
        st, frames, evs = self.run_once("off2", pcap, "off")
        self.check_accepted(frames, evs, reqs, "off2")

    def test_crash_after_periodic_snapshot(self):
        """SIGKILL after a periodic snapshot: what it holds survives the crash."""
        pcap, reqs = self.gen_webhooks()
        snap = os.path.join(self.tmp, "replay-crash.snap")
        proc, log, events = self.start_by_hand("crash1", pcap, snap)
        try:
            # every webhook accepted (events), then a periodic snapshot holding all of them:
            # polled, never a fixed sleep (a loaded 2-core machine is slow to start)
            deadline = time.time() + 120
            n_ev = 0
            while time.time() < deadline and proc.poll() is None:
                n_ev = len(complete_events(events))
                if n_ev == N and snapshot_count(snap) == N:
                    break
                time.sleep(0.1)
            self.assertIsNone(proc.poll(), "hookpath exited early")
            self.assertEqual(n_ev, N, "events seen before the deadline")
            self.assertEqual(snapshot_count(snap), N, "no periodic snapshot with every entry")
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        log.seek(0)
        out = log.read()
        log.close()
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        self.assertNotIn("entries saved to", out)  # no final snapshot: the periodic one counts
        self.assertEqual(self.verdicts(hp.read_events(events)), [("accept", "ok")])
        # what a crash in the middle of the next periodic snapshot would leave: a torn .tmp
        with open(snap + ".tmp", "wb") as f:
            f.write(b"HPREPLAY\x01\x00\x00\x00torn")
        st, frames, evs = self.run_once("crash2", pcap, snap)
        self.check_refused(st, frames, evs, reqs, "crash2")

    def test_corrupt_snapshot_refuses_to_start(self):
        pcap, reqs = self.gen_webhooks()
        snap = os.path.join(self.tmp, "replay-bad.snap")
        st, frames, evs = self.run_once("bad1", pcap, snap)
        self.check_accepted(frames, evs, reqs, "bad1")
        with open(snap, "rb") as f:
            good = f.read()
        bad = bytearray(good)
        bad[40] ^= 0x01  # one bit of the first key
        with open(snap, "wb") as f:
            f.write(bad)
        out, _, _ = self.run_once("bad2", pcap, snap, expect_rc=1)
        self.assertIn("CRC mismatch", out)
        self.assertIn("refusing to start", out)
        self.assertIn(snap, out)
        with open(snap, "rb") as f:
            self.assertEqual(f.read(), bytes(bad), "the corrupt file must be left for the "
                             "operator, not overwritten")
        # the operator moves it aside: an empty cache, the webhooks are accepted again
        os.rename(snap, snap + ".corrupt")
        st, frames, evs = self.run_once("bad3", pcap, snap)
        self.check_accepted(frames, evs, reqs, "bad3")


if __name__ == "__main__":
    hp.main()
