#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""dataplane.clock capture: a capture analysed offline is judged at the time it was taken.

- webhooks signed a week ago, in a pcap whose timestamps say a week ago: the wall clock
  refuses them as stale_timestamp (their signatures are a week old), the capture clock
  accepts them (they were fresh when captured);
- the same pcap replayed with its timestamps a week after the signature: stale under both;
- the ML features read the capture's time: hour of the day and the gap between requests
  come from the pcap's timestamps (generated at 03:00 UTC, 100 packets/s), not the replay's;
- the rate features count a source's requests across workers: with two workers, 40 requests
  from one client address read src_rate 1..40 and new_source once (each worker's own count
  read about half of that), and the endpoint's rate is the whole endpoint's."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hp_pcaptest as hp  # noqa: E402

HOST = "hooks.example.com"
SECRET = "whsec_clock_test_0123"
N = 6
ONE_SRC = 40


class Clock(hp.TmpDirCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        week_ago = int(time.time()) - 7 * 86400
        # signed and captured a week ago
        hp.gen(cls.tmp, "webhooks", "-o", "old.pcap", "--provider", "stripe", "--secret",
               SECRET, "--sign-time", str(week_ago), "--start", str(week_ago), "--sessions",
               str(N), "--host", HOST, "--seed", "5", "-q")
        # signed a week ago, captured now (a replay of an old delivery)
        hp.gen(cls.tmp, "webhooks", "-o", "replayed.pcap", "--provider", "stripe", "--secret",
               SECRET, "--sign-time", str(week_ago), "--start", str(int(time.time())),
               "--sessions", str(N), "--host", HOST, "--seed", "5", "-q")
        three_am = (int(time.time()) // 86400 - 2) * 86400 + 3 * 3600
        hp.gen(cls.tmp, "webhooks", "-o", "night.pcap", "--start", str(three_am), "--pps",
               "100", "--sessions", str(N), "--host", HOST, "--seed", "6", "-q")
        # one client address, a request every 8 ms of capture time (125/s)
        hp.gen(cls.tmp, "webhooks", "-o", "one-source.pcap", "--start", str(three_am), "--pps",
               "1000", "--sessions", str(ONE_SRC), "--clients", "1", "--host", HOST, "--seed",
               "7", "-q")

    def reasons(self, pcap, clock, endpoint, workers=1):
        events = os.path.join(self.tmp, "ev.jsonl")
        if os.path.exists(events):
            os.unlink(events)
        cfg = hp.tap_cfg("  clock: %s\nevents: {file: %s}\nendpoints:\n  - %s\n" % (
            clock, events, endpoint))
        hp.run_hookpath(self.tmp, [os.path.join(self.tmp, pcap)], cfg, workers=workers)
        return hp.read_events(events)

    def stripe(self, pcap, clock):
        ep = "{name: s, match: {host: %s}, provider: stripe, secrets: [%s]}" % (HOST, SECRET)
        return sorted(e["reason"] for e in self.reasons(pcap, clock, ep))

    def test_old_capture(self):
        self.assertEqual(self.stripe("old.pcap", "wall"), ["stale_timestamp"] * N)
        self.assertEqual(self.stripe("old.pcap", "capture"), ["ok"] * N)

    def test_old_signature_replayed(self):
        self.assertEqual(self.stripe("replayed.pcap", "wall"), ["stale_timestamp"] * N)
        self.assertEqual(self.stripe("replayed.pcap", "capture"), ["stale_timestamp"] * N)

    def test_ml_features_read_capture_time(self):
        ep = ("{name: h, match: {host: %s}, provider: none, dedup: {key: none}, "
              "ml: {policy: score}}" % HOST)
        evs = self.reasons("night.pcap", "capture", ep)
        self.assertEqual(len(evs), N)
        self.assertEqual({e["ml"]["features"]["hour"] for e in evs}, {3})
        # 8 packets per session at 100 packets/s: a request every 80 ms of capture time
        self.assertEqual([e["ml"]["features"]["gap_ms"] for e in evs[1:]], [80] * (N - 1))
        h = time.gmtime().tm_hour
        wall = self.reasons("night.pcap", "wall", ep)
        # the wall clock: the replay's hour (the next one if it crossed the hour)
        self.assertLessEqual({e["ml"]["features"]["hour"] for e in wall}, {h, (h + 1) % 24})
        self.assertTrue(all(e["ml"]["features"]["gap_ms"] is None or
                            e["ml"]["features"]["gap_ms"] < 80 for e in wall))

    def test_rates_across_workers(self):
        ep = ("{name: h, match: {host: %s}, provider: none, dedup: {key: none}, "
              "ml: {policy: score}}" % HOST)
        evs = self.reasons("one-source.pcap", "capture", ep, workers=2)
        self.assertEqual(len(evs), ONE_SRC)
        self.assertEqual({e["worker"] for e in evs}, {0, 1}, "both workers took requests")
        feats = [e["ml"]["features"] for e in evs]
        self.assertEqual(sorted(f["src_rate"] for f in feats), list(range(1, ONE_SRC + 1)))
        self.assertEqual(sum(f["new_source"] for f in feats), 1)
        self.assertEqual(sum(f["gap_ms"] is None for f in feats), 1)
        # the gaps add up to the capture time from the request the hp-ml thread saw first (no
        # gap) to the last: the two workers' records reach it interleaved, so that one need
        # not be the capture's first (an older one after it has a gap of 0 and does not move
        # the clock back). Its index in the capture: the generator's client ports are
        # consecutive per session (mod 28232 from a random base)
        ports = [int(e["flow"]["src"].rsplit(":", 1)[1]) for e in evs]
        p0 = min(ports, key=lambda p: max((q - p) % 28232 for q in ports))
        first = next(e for e, f in zip(evs, feats) if f["gap_ms"] is None)
        k = (int(first["flow"]["src"].rsplit(":", 1)[1]) - p0) % 28232
        self.assertEqual(sorted((p - p0) % 28232 for p in ports), list(range(ONE_SRC)))
        self.assertAlmostEqual(sum(f["gap_ms"] or 0 for f in feats), 8 * (ONE_SRC - 1 - k),
                               delta=1)
        last = sorted(feats, key=lambda f: f["src_rate"])[-1]
        self.assertGreater(last["ep_rate"], 90)  # ~125/s; one worker's share read ~62/s


if __name__ == "__main__":
    unittest.main(verbosity=2)
