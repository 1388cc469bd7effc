#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ML flag into Redis (issue 15): with ml.policy flag and the Redis sink, every event is in
the events stream with its score, and the flagged ones are also in <stream>:quarantine, under
the same entry ids; a real redis-server started for the test."""
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pcap"))
sys.path.insert(0, os.path.join(HERE, "..", "sinks"))
import hp_pcaptest as hp  # noqa: E402
import sinkenv  # noqa: E402

HOST = "hooks.example.com"


class MlRedis(hp.TmpDirCase):
    def test_quarantine(self):
        model = os.path.join(self.tmp, "rule.json")
        subprocess.run(["/usr/bin/python3", os.path.join(HERE, "make_rule_model.py"), model],
                       check=True)
        hp.gen(self.tmp, "webhooks", "-o", "s.pcap", "--sessions", "6", "--body-size", "300",
               "--host", HOST, "--seed", "3", "-q")
        hp.gen(self.tmp, "webhooks", "-o", "b.pcap", "--sessions", "3", "--body-size",
               "30000", "--host", HOST, "--seed", "4", "--clients", "3", "-q")
        mixed = os.path.join(self.tmp, "m.pcap")
        hp.write_pcap(mixed, hp.read_pcap(os.path.join(self.tmp, "s.pcap")) +
                      hp.read_pcap(os.path.join(self.tmp, "b.pcap")))
        redis = sinkenv.Redis(self.tmp)
        try:
            events = os.path.join(self.tmp, "ev.jsonl")
            cfg = hp.bridge_cfg(
                "events: {file: %s}\nhttp: {max_sessions: 256, body_copy_max: 65536}\n"
                "control: {instance: mltest}\n"
                "sinks: {redis: {url: \"%s\", stream: \"ml:events\"}}\n"
                "ml: {model: \"%s\"}\n"
                "endpoints:\n  - {name: h, match: {host: %s}, provider: none, "
                "dedup: {key: none}, ml: {policy: flag, threshold: 0.5}}\n" % (
                    events, redis.url, model, HOST))
            hp.run_hookpath(self.tmp, [mixed, None], cfg, idle_ms=600)
            evs = hp.read_events(events)
            flagged = sorted(e["event_id"] for e in evs if e["ml"].get("flagged"))
            self.assertEqual(len(evs), 9)
            self.assertEqual(len(flagged), 3)
            self.assertEqual(sorted(redis.stream_ids("ml:events")),
                             sorted(e["event_id"] for e in evs))
            self.assertEqual(sorted(redis.stream_ids("ml:events:quarantine")), flagged)
            # the quarantined entry is the event, score included
            out = redis.cli("--raw", "XRANGE", "ml:events:quarantine", flagged[0], flagged[0])
            doc = json.loads([l for l in out.splitlines() if l.startswith("{")][0])
            self.assertTrue(doc["ml"]["flagged"])
            self.assertGreater(doc["ml"]["score"], 0.5)
        finally:
            redis.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
