#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ML scoring end to end (issue 15): hookpath over generated webhooks (net_pcap vdevs), a model
that scores by body size (make_rule_model.py: small bodies ~0, large ones ~1), tshark reading
what reached the server and what the client got back.

- score: every event carries the score and the feature vector scored; nothing is held.
- flag: large bodies flagged in their event, all forwarded.
- enforce: large bodies never reach the server (tshark on the server side), the client gets
  403 ml_blocked; small ones go through.
- a deadline miss follows on_timeout: reject (503 ml_unavailable) or accept (counted).
- a model that cannot load stops the start with a message naming it."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcap"))
import hp_pcaptest as hp  # noqa: E402

HOST = "hooks.example.com"
SMALL, BIG = 300, 30000
N_SMALL, N_BIG = 10, 4
PORT = 8080  # the generator's server port


class MlPcap(hp.TmpDirCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.model = os.path.join(cls.tmp, "rule.json")
        subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(__file__),
                        "make_rule_model.py"), cls.model], check=True)
        hp.gen(cls.tmp, "webhooks", "-o", "small.pcap", "--sessions", str(N_SMALL),
               "--body-size", str(SMALL), "--host", HOST, "--seed", "3", "-q")
        hp.gen(cls.tmp, "webhooks", "-o", "big.pcap", "--sessions", str(N_BIG),
               "--body-size", str(BIG), "--host", HOST, "--seed", "4", "--clients", "3",
               "-q")
        mixed = os.path.join(cls.tmp, "mixed.pcap")
        hp.write_pcap(mixed, hp.read_pcap(os.path.join(cls.tmp, "small.pcap")) +
                      hp.read_pcap(os.path.join(cls.tmp, "big.pcap")))
        cls.mixed = mixed

    def run_ml(self, ml, ep_ml, pcap=None, expect_rc=0):
        events = os.path.join(self.tmp, "ev.jsonl")
        if os.path.exists(events):
            os.unlink(events)
        cfg = hp.bridge_cfg(
            "events: {file: %s}\nhttp: {max_sessions: 256, body_copy_max: 65536}\nml: {model: \"%s\"%s}\n"
            "endpoints:\n  - {name: h, match: {host: %s}, provider: none, dedup: {key: none},\n"
            "     ml: {%s}}\n" % (events, ml.pop("model", self.model),
                                  "".join(", %s: %s" % kv for kv in ml.items()), HOST, ep_ml))
        st, frames = hp.run_hookpath(self.tmp, [pcap or self.mixed, None], cfg, idle_ms=400,
                                     expect_rc=expect_rc)
        if expect_rc != 0:
            return st, None, None
        return st, frames, hp.read_events(events)

    def tshark_out(self, frames, port, fields, flt):
        path = os.path.join(self.tmp, "out-p%d.pcap" % port)
        hp.write_pcap(path, frames[port])
        return hp.tshark(path, fields, flt)

    def server_bodies(self, frames):
        """Lengths of the request bodies the server side received, whole: each client's byte
        stream rebuilt by sequence number (held segments are released after later packets of
        the pcap, so a dissector reading in capture order would miss them)."""
        streams, _ = hp.client_streams(frames[1], port=PORT)
        return sorted(len(b) for _, s in streams.values() for b in hp.bodies(s))

    def test_score(self):
        st, frames, evs = self.run_ml({}, "policy: score")
        self.assertEqual(len(evs), N_SMALL + N_BIG)
        for e in evs:
            self.assertEqual(e["verdict"], "accept")
            ml = e["ml"]
            self.assertIn("score", ml, e)
            self.assertEqual(ml["features"]["body_len"], e["http"]["body_len"])
            if e["http"]["body_len"] == SMALL:
                self.assertLess(ml["score"], 0.1)
            else:
                self.assertGreater(ml["score"], 0.9)
            self.assertNotIn("flagged", ml)
        self.assertEqual(self.server_bodies(frames), [SMALL] * N_SMALL + [BIG] * N_BIG)
        self.assertEqual(st["counters"]["ml_records"], N_SMALL + N_BIG)

    def test_flag(self):
        st, frames, evs = self.run_ml({}, "policy: flag, threshold: 0.5")
        flagged = [e["http"]["body_len"] for e in evs if e["ml"].get("flagged")]
        self.assertEqual(flagged, [BIG] * N_BIG)
        self.assertTrue(all(e["verdict"] == "accept" for e in evs))
        self.assertEqual(self.server_bodies(frames), [SMALL] * N_SMALL + [BIG] * N_BIG)

    def test_enforce(self):
        st, frames, evs = self.run_ml({}, "policy: enforce, threshold: 0.5")
        by = sorted((e["http"]["body_len"], e["verdict"], e["reason"]) for e in evs)
        self.assertEqual(by, [(SMALL, "accept", "ok")] * N_SMALL +
                         [(BIG, "reject", "ml_blocked")] * N_BIG)
        # the server got only the small ones; the large ones' clients got 403 ml_blocked
        self.assertEqual(self.server_bodies(frames), [SMALL] * N_SMALL)
        codes = self.tshark_out(frames, 0, ["http.response.code"], "http.response")
        self.assertEqual(sorted(r[0] for r in codes), ["403"] * N_BIG)
        self.assertEqual(st["counters"]["reason_ml_blocked"], N_BIG)
        self.assertEqual(st["counters"]["ml_answers"], N_SMALL + N_BIG)

    def test_deadline_reject(self):
        # the batch waits 1 s, the requests 5 ms: every score comes too late
        st, frames, evs = self.run_ml({"max_delay_us": 1000000, "max_batch": 1024,
                                       "timeout_ms": 5}, "policy: enforce")
        self.assertEqual({(e["verdict"], e["reason"]) for e in evs},
                         {("reject", "ml_unavailable")})
        self.assertTrue(all(e["ml"] == {"missing": "timeout"} or
                            e["ml"].get("missing") == "timeout" for e in evs))
        self.assertEqual(self.server_bodies(frames), [])
        codes = self.tshark_out(frames, 0, ["http.response.code"], "http.response")
        self.assertEqual(sorted(r[0] for r in codes), ["503"] * (N_SMALL + N_BIG))
        self.assertEqual(st["counters"]["ml_timeouts"], N_SMALL + N_BIG)

    def test_deadline_accept(self):
        st, frames, evs = self.run_ml({"max_delay_us": 1000000, "max_batch": 1024,
                                       "timeout_ms": 5}, "policy: enforce, on_timeout: accept")
        self.assertEqual({(e["verdict"], e["reason"]) for e in evs}, {("accept", "ok")})
        self.assertEqual(self.server_bodies(frames), [SMALL] * N_SMALL + [BIG] * N_BIG)
        self.assertEqual(st["counters"]["ml_timeout_accepted"], N_SMALL + N_BIG)

    def test_model_refused(self):
        bad = os.path.join(self.tmp, "not-a-model.json")
        with open(bad, "w") as f:
            f.write("{\"learner\": 1}")
        out, _, _ = self.run_ml({"model": bad}, "policy: score", expect_rc=1)
        self.assertIn("not-a-model.json", out)
        self.assertIn("cannot load the model", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
