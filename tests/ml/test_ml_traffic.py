#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The default model (models/default.json, tools/ml/train_default.py --traffic) on traffic it
was not trained on: one capture per class of `hp_pcapgen.py traffic` with seeds the training
never used, replayed through hookpath (tap, dataplane.clock capture, ml policy flag,
threshold 0.5, the shipped model): normal webhooks are almost never flagged, every anomaly
class almost always is, with the score and flag in each event as hookpath wrote it."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcap"))
import hp_pcaptest as hp  # noqa: E402

SECRET = "whsec_hookpath_traffic_test_42"
CLASSES = ["normal", "burst", "replay_storm", "odd_size", "odd_shape", "night",
           "unknown_sources", "pii_leak"]
REQUESTS = 150


class Traffic(hp.TmpDirCase):
    def flagged(self, cls, seed):
        pcap = "%s.pcap" % cls
        hp.gen(self.tmp, "traffic", "-q", "--class", cls, "-o", pcap, "--requests",
               str(REQUESTS), "--seed", str(seed), "--provider", "stripe", "--secret", SECRET)
        events = os.path.join(self.tmp, "ev-%s.jsonl" % cls)
        cfg = hp.tap_cfg(
            "  clock: capture\nhttp: {max_sessions: 256, body_copy_max: 65536}\n"
            # the model's quality is judged here, not the scheduler: an event may wait 2 s
            # (4 x timeout_ms) for its score, so a busy CI machine that holds the ML thread
            # back for 100 ms does not leave events unscored
            "ml: {timeout_ms: 500}\n"
            "events: {file: %s}\nendpoints:\n  - {name: t, match: {host: hooks.example.com}, "
            "provider: stripe, secrets: [%s], max_body: 65536, dedup: {key: none},\n"
            "     pii: {policy: report}, ml: {policy: flag, threshold: 0.5}}\n"
            % (events, SECRET))
        hp.run_hookpath(self.tmp, [os.path.join(self.tmp, pcap)], cfg, idle_ms=400)
        evs = hp.read_events(events)
        scored = [e for e in evs if "score" in e.get("ml", {})]
        self.assertGreaterEqual(len(scored), REQUESTS - 1,
                                (cls, [(i, e["reason"], e.get("ml", {}).get("missing"))
                                       for i, e in enumerate(evs)
                                       if "score" not in e.get("ml", {})]))
        for e in scored:
            self.assertEqual(e["ml"].get("flagged", False), e["ml"]["score"] > 0.5, e)
        # the first request of a capture has no rate yet: rate classes are judged after it
        return sum(1 for e in scored[1:] if e["ml"].get("flagged")) / (len(scored) - 1)

    def test_classes(self):
        got = {}
        for i, cls in enumerate(CLASSES):
            got[cls] = self.flagged(cls, 7000 + i)
        print("flagged: " + ", ".join("%s %.3f" % kv for kv in got.items()), file=sys.stderr)
        self.assertLess(got["normal"], 0.05, got)
        for cls in CLASSES[1:]:
            self.assertGreater(got[cls], 0.9, (cls, got))


if __name__ == "__main__":
    unittest.main(verbosity=2)
